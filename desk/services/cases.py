"""Cases: opened by the assistant's handoff (or by the desk when the assistant is
down), answered and resolved by agents. Resolving hands the conversation back."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.models import Agent, Case, Conversation, Message
from desk.models import case as c
from desk.models import conversation as conv
from desk.models import message as m
from desk.services import audit, outbound

TOPIC_MAX = 120


class CaseClosed(ValueError):
    """The case is resolved; nothing more can be sent on it."""


def open_case(
    session: Session,
    conversation: Conversation,
    *,
    reason: str,
    topic: str | None = None,
    actor: str = "bot",
) -> tuple[Case, bool]:
    """Open a case and hand the conversation to people; (case, created). Idempotent.

    Adds to the caller's transaction and flushes; the caller commits.
    """
    if reason not in c.REASONS:
        raise ValueError(f"unknown handoff reason {reason!r}; expected one of {c.REASONS}")
    existing = open_case_of(session, conversation)
    if existing is not None:
        return existing, False
    case = Case(reason=reason, topic=(topic or "").strip()[:TOPIC_MAX] or None, opened_at=utcnow())
    try:
        with session.begin_nested():
            case.conversation = conversation
            session.add(case)
    except IntegrityError:
        # Another request opened it first (unique open case per conversation).
        return open_case_of(session, conversation), False  # type: ignore[return-value]
    conversation.mode = conv.HUMAN
    audit.record(session, "case.opened", actor=actor, case=case, reason=reason, topic=case.topic)
    return case, True


def open_case_of(session: Session, conversation: Conversation) -> Case | None:
    return session.scalars(
        sa.select(Case).filter_by(conversation_id=conversation.id, status=c.OPEN)
    ).first()


def reply(session: Session, case: Case, agent: Agent, body: str) -> Message:
    """An agent's answer to the citizen; sent by the worker. Commits."""
    if not case.is_open:
        raise CaseClosed(f"case {case.folio} is resolved")
    message = outbound.enqueue(
        session, case.conversation, body.strip(), author=m.AGENT, agent=agent, case=case
    )
    session.flush()
    audit.record(
        session, "case.replied", actor="agent", agent=agent, case=case, message_id=message.id
    )
    session.commit()
    return message


def resolve(session: Session, case: Case, agent: Agent) -> None:
    """Close the case, tell the citizen, and give the conversation back to the assistant."""
    if not case.is_open:
        raise CaseClosed(f"case {case.folio} is already resolved")
    case.status = c.RESOLVED
    case.resolved_at = utcnow()
    case.resolved_by = agent
    conversation = case.conversation
    conversation.mode = conv.BOT
    conversation.needs_bot_resume = True
    outbound.enqueue(
        session,
        conversation,
        f"Tu caso {case.folio} quedó resuelto. Si necesitas algo más, escríbeme aquí.",
        author=m.SYSTEM,
        case=case,
    )
    audit.record(session, "case.resolved", actor="agent", agent=agent, case=case)
    session.commit()


def open_cases_page(session: Session, page: int, per_page: int) -> tuple[list[Case], int]:
    """Open cases, newest first, and how many there are in all."""
    base = sa.select(Case).where(Case.status == c.OPEN)
    total = session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    cases = session.scalars(
        base.order_by(Case.opened_at.desc(), Case.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(cases), total


def transcript(session: Session, case: Case) -> list[Message]:
    """The whole conversation, bot turns included: the agent sees what the citizen saw."""
    return list(
        session.scalars(
            sa.select(Message)
            .where(Message.conversation_id == case.conversation_id)
            .order_by(Message.id)
        )
    )


def find_by_folio(session: Session, folio: str) -> Case | None:
    parsed = c.parse_folio(folio)
    if parsed is None:
        return None
    _year, case_id = parsed
    case = session.get(Case, case_id)
    return case if case is not None and case.folio == folio.upper() else None
