"""Cases: opened by the assistant's handoff (or by the desk when the assistant is
down), worked by agents, resolved, reopened or closed — every move through here.

The lifecycle is new → open → pending → resolved → closed. Each transition writes a
timeline event (desk.services.audit) in the same transaction as the change.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desk.assignment import services as assignment
from desk.assignment import sla
from desk.db import utcnow
from desk.models import Agent, Case, CaseNote, Conversation, Message
from desk.models import case as c
from desk.models import conversation as conv
from desk.models import message as m
from desk.services import audit, outbound, settings

TOPIC_MAX = 120
TAG_MAX = 32
NOTE_MAX = 4000
RESOLVED_NOTICE = {
    "es": "Tu caso {folio} quedó resuelto. Si necesitas algo más, escríbeme aquí.",
    "en": "Your case {folio} is resolved. If you need anything else, write to me here.",
}
CSAT_QUESTION = {
    "es": "¿Cómo te atendimos? Responde con un número del 1 (mal) al 5 (excelente).",
    "en": "How did we do? Reply with a number from 1 (poor) to 5 (excellent).",
}
CSAT_THANKS = {
    "es": "¡Gracias por tu respuesta! Nos ayuda a mejorar.",
    "en": "Thank you for your answer! It helps us improve.",
}
# How long after the question a rating is still taken as its answer.
CSAT_ANSWER_HOURS = 24


class CaseClosed(ValueError):
    """The case is no longer active; nothing more can be sent on it."""


class InvalidChange(ValueError):
    """A priority, topic or tag that the desk does not accept; the message says why."""


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
    existing = active_case_of(session, conversation)
    if existing is not None:
        return existing, False
    now = utcnow()
    case = Case(
        reason=reason,
        topic=(topic or "").strip()[:TOPIC_MAX] or None,
        opened_at=now,
        status=c.NEW,
        priority=c.NORMAL,
        tags=[],
    )
    try:
        with session.begin_nested():
            case.conversation = conversation
            session.add(case)
            sla.apply_targets(session, case, now)
    except IntegrityError:
        # Another request opened it first (unique active case per conversation).
        return active_case_of(session, conversation), False  # type: ignore[return-value]
    conversation.mode = conv.HUMAN
    conversation.needs_bot_resume = False
    audit.record(session, "case.opened", actor=actor, case=case, reason=reason, topic=case.topic)
    assignment.auto_assign(session, now=now)
    return case, True


def active_case_of(session: Session, conversation: Conversation) -> Case | None:
    return session.scalars(
        sa.select(Case).where(Case.conversation_id == conversation.id, Case.status.in_(c.ACTIVE))
    ).first()


def latest_case_of(session: Session, conversation: Conversation) -> Case | None:
    return session.scalars(
        sa.select(Case)
        .where(Case.conversation_id == conversation.id)
        .order_by(Case.opened_at.desc(), Case.id.desc())
    ).first()


def reply(
    session: Session,
    case: Case,
    agent: Agent,
    body: str,
    *,
    wait_for_citizen: bool = False,
    content_sid: str | None = None,
    content_variables: dict[str, str] | None = None,
) -> Message:
    """An agent's answer to the citizen (text, or a WhatsApp template); sent by the
    worker. The first one stops the first-response clock. Commits."""
    if not case.is_active:
        raise CaseClosed(f"case {case.folio} is {case.status}")
    now = utcnow()
    if case.assignee_id is None:
        assignment.claim(session, case, agent, now=now)
    message = outbound.enqueue(
        session,
        case.conversation,
        body.strip(),
        author=m.AGENT,
        agent=agent,
        case=case,
        content_sid=content_sid,
        content_variables=content_variables,
    )
    session.flush()
    if case.first_response_at is None:
        case.first_response_at = now
    audit.record(
        session,
        "case.replied",
        actor="agent",
        agent=agent,
        case=case,
        message_id=message.id,
        template=bool(content_sid),
    )
    if wait_for_citizen and case.status != c.PENDING:
        _move(session, case, c.PENDING, agent=agent)
    elif not wait_for_citizen and case.status == c.NEW:
        _move(session, case, c.OPEN, agent=agent)
    session.commit()
    return message


def add_note(session: Session, case: Case, agent: Agent, body: str) -> CaseNote:
    """An internal note: kept on the case, never sent. Commits."""
    text = body.strip()
    if not text:
        raise InvalidChange("la nota está vacía")
    if len(text) > NOTE_MAX:
        raise InvalidChange(f"la nota pasa de {NOTE_MAX} caracteres")
    note = CaseNote(case_id=case.id, agent_id=agent.id, body=text)
    session.add(note)
    session.flush()
    audit.record(session, "case.note_added", actor="agent", agent=agent, case=case, note_id=note.id)
    session.commit()
    return note


def update_details(
    session: Session,
    case: Case,
    agent: Agent,
    *,
    priority: str | None = None,
    topic: str | None = None,
    tags: list[str] | None = None,
) -> None:
    """Change priority (due times follow), topic or tags. Commits."""
    if priority is not None and priority != case.priority:
        if priority not in c.PRIORITIES:
            raise InvalidChange(f"prioridad desconocida: {priority!r}")
        audit.record(
            session,
            "case.priority_changed",
            actor="agent",
            agent=agent,
            case=case,
            old=case.priority,
            new=priority,
        )
        case.priority = priority
        sla.apply_targets(session, case, case.opened_at)
    if topic is not None:
        cleaned = topic.strip()[:TOPIC_MAX] or None
        if cleaned != case.topic:
            audit.record(
                session,
                "case.topic_changed",
                actor="agent",
                agent=agent,
                case=case,
                old=case.topic,
                new=cleaned,
            )
            case.topic = cleaned
    if tags is not None:
        cleaned_tags = sorted({_tag(tag) for tag in tags if tag.strip()})
        if cleaned_tags != sorted(case.tags or []):
            audit.record(
                session,
                "case.tags_changed",
                actor="agent",
                agent=agent,
                case=case,
                old=case.tags,
                new=cleaned_tags,
            )
            case.tags = cleaned_tags
    session.commit()


def _tag(raw: str) -> str:
    tag = re.sub(r"\s+", "-", raw.strip().lower())
    if len(tag) > TAG_MAX or not re.fullmatch(r"[\w-]+", tag):
        raise InvalidChange(
            f"etiqueta no válida: {raw!r} (letras, números y guiones, hasta {TAG_MAX})"
        )
    return tag


def mark_pending(session: Session, case: Case, agent: Agent) -> None:
    """Waiting for the citizen. Commits."""
    if not case.is_active:
        raise CaseClosed(f"case {case.folio} is {case.status}")
    if case.status != c.PENDING:
        _move(session, case, c.PENDING, agent=agent)
    session.commit()


def resolve(session: Session, case: Case, agent: Agent) -> None:
    """Close the case, tell the citizen (and ask how it went), and give the
    conversation back to the assistant. Commits."""
    if not case.is_active:
        raise CaseClosed(f"case {case.folio} is already {case.status}")
    now = utcnow()
    _move(session, case, c.RESOLVED, agent=agent)
    case.resolved_at = now
    case.resolved_by = agent
    conversation = case.conversation
    conversation.mode = conv.BOT
    conversation.needs_bot_resume = True
    language = _language(conversation)
    notice = RESOLVED_NOTICE[language].format(folio=case.folio)
    if settings.get(session, "csat_enabled") and not conversation.opted_out:
        notice = f"{notice}\n\n{CSAT_QUESTION[language]}"
        # Resolved again after reopening: this time's answer is the one that counts.
        case.csat_asked_at = now
        case.csat_answered_at = None
        case.csat_score = None
    outbound.enqueue_notice(session, conversation, notice, case=case, purpose="case_resolved")
    session.commit()


def take_citizen_message(
    session: Session, message: Message, *, now: datetime | None = None
) -> str | None:
    """Before the assistant sees a citizen's message: is it for the desk?

    Returns "csat" (a rating, stored and thanked), "case" (the message reopened or
    belongs to an active case: people answer it) or None (the assistant's). Adds to
    the caller's transaction.
    """
    now = now or utcnow()
    conversation = message.conversation
    # One indexed query per message: the active case, if any, is the latest one.
    latest = latest_case_of(session, conversation)
    if latest is not None and latest.is_active:
        if latest.status == c.PENDING:
            _move(session, latest, c.OPEN, agent=None, actor="citizen")
        return "case"
    if latest is None or latest.status != c.RESOLVED or latest.resolved_at is None:
        return None
    if _awaits_rating(latest, now):
        score = parse_rating(message.body)
        # Asked once: whatever comes next answers it or lets it go (a score of None
        # with an answer time: the question was let go; the dashboard counts both).
        latest.csat_answered_at = now
        if score is not None:
            latest.csat_score = score
            message.case_id = latest.id
            audit.record(session, "case.csat", actor="citizen", case=latest, score=score)
            outbound.enqueue(
                session,
                conversation,
                CSAT_THANKS[_language(conversation)],
                author=m.SYSTEM,
                case=latest,
            )
            return "csat"
    window = timedelta(hours=settings.get(session, "reopen_window_hours"))
    if now - latest.resolved_at <= window:
        reopen(session, latest, now=now)
        return "case"
    return None


def _awaits_rating(case: Case, now: datetime) -> bool:
    return (
        case.csat_asked_at is not None
        and case.csat_answered_at is None
        and now - case.csat_asked_at <= timedelta(hours=CSAT_ANSWER_HOURS)
    )


RATING_WORDS = {
    "uno": 1,
    "one": 1,
    "dos": 2,
    "two": 2,
    "tres": 3,
    "three": 3,
    "cuatro": 4,
    "four": 4,
    "cinco": 5,
    "five": 5,
}


def parse_rating(text: str) -> int | None:
    """1–5 from "5", "un 4", "cinco", "Five!", "4/5"; None for anything else."""
    words = re.findall(r"[a-záéíóúñ]+|\d+", text.lower())
    if not words or len(words) > 4:
        return None
    numbers = [int(w) for w in words if w.isdigit()]
    if "/" in text and numbers[-1:] == [5]:
        numbers = numbers[:-1]
    named = [RATING_WORDS[w] for w in words if w in RATING_WORDS]
    found = numbers + named
    if len(found) != 1 or not 1 <= found[0] <= 5:
        return None
    return found[0]


def reopen(session: Session, case: Case, *, now: datetime | None = None) -> None:
    """The citizen wrote again soon after resolution: the same case, back to its agent
    if available, else to the queue; the assistant stays silent. Adds to the transaction."""
    now = now or utcnow()
    agent = case.assignee
    case.reopened_count += 1
    case.resolved_at = None
    case.resolved_by = None
    if agent is not None and agent.active and agent.available:
        _move(session, case, c.OPEN, agent=None, actor="citizen")
    else:
        if agent is not None:
            case.assignee = None
            case.assignee_id = None
            case.assigned_at = None
        _move(session, case, c.NEW, agent=None, actor="citizen")
    conversation = case.conversation
    conversation.mode = conv.HUMAN
    # The tracker is still paused from the handoff; there is nothing to resume.
    conversation.needs_bot_resume = False
    sla.apply_targets(session, case, now)
    if case.status == c.NEW:
        assignment.auto_assign(session, now=now)


def close_resolved(session: Session, *, now: datetime | None = None) -> int:
    """Resolved cases older than the setting are closed. Returns how many. Commits."""
    now = now or utcnow()
    cutoff = now - timedelta(days=settings.get(session, "auto_close_days"))
    stale = session.scalars(
        sa.select(Case).where(Case.status == c.RESOLVED, Case.resolved_at <= cutoff)
    ).all()
    for case in stale:
        _move(session, case, c.CLOSED, agent=None, actor="system")
        case.closed_at = now
    session.commit()
    return len(stale)


def _move(
    session: Session, case: Case, status: str, *, agent: Agent | None, actor: str = "agent"
) -> None:
    old = case.status
    case.status = status
    audit.record(
        session,
        f"case.{status}",
        actor=actor if agent is None else "agent",
        agent=agent,
        case=case,
        old=old,
    )


def notes(session: Session, case: Case) -> list[CaseNote]:
    return list(
        session.scalars(
            sa.select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.id)
        )
    )


def timeline(session: Session, case: Case) -> list:
    """The case's events, oldest first: who did what, when."""
    from desk.models import AuditEvent

    return list(
        session.scalars(
            sa.select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
        )
    )


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


def _language(conversation: Conversation) -> str:
    return conversation.language if conversation.language in ("es", "en") else "es"
