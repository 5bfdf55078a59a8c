"""Which citizen messages wait for a trainer: the ones the assistant was unsure about.

A message waits when the assistant did not understand it (``nlu_fallback``), understood
it with a confidence below the desk's threshold, when it was the citizen's last words
before the assistant handed the conversation to a person, or when the conversation's
case got a satisfaction score of 1 or 2. A message leaves the inbox once it has a review,
confirmed or dismissed. Newest first: what citizens say now is what the model must learn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from desk.models import Case, Conversation, Message, Review
from desk.models import case as c
from desk.models import message as m

FALLBACK = "fallback"
LOW_CONFIDENCE = "low_confidence"
BEFORE_HANDOFF = "before_handoff"
LOW_CSAT = "low_csat"

FALLBACK_INTENT = "nlu_fallback"
LOW_SCORES = (1, 2)
# Cases the assistant opened itself; an unreachable assistant or a crash is no
# sign of a message it misunderstood.
HANDOFF_REASONS = (c.CITIZEN_REQUEST, c.BOT_FALLBACK, c.COMPLAINT, c.FRUSTRATION)


@dataclass(frozen=True)
class Waiting:
    """A message in the inbox, why it is there, and what came right before it."""

    message: Message
    reasons: tuple[str, ...]
    before: str | None


def waiting(
    session: Session,
    *,
    below: float,
    intent: str | None = None,
    channel: str | None = None,
    model: str | None = None,
    procedure: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[Waiting]:
    """The messages waiting for review, newest first; ``until`` is exclusive."""
    handoff = Message.id.in_(_before_handoff()).label("handoff")
    csat = Message.conversation_id.in_(_low_csat()).label("csat")
    earlier = aliased(Message)
    before = (
        sa.select(earlier.body)
        .where(earlier.conversation_id == Message.conversation_id, earlier.id < Message.id)
        .order_by(earlier.id.desc())
        .limit(1)
        .scalar_subquery()
        .label("before")
    )
    query = (
        _filtered(
            sa.select(Message, handoff, csat, before),
            below=below,
            intent=intent,
            channel=channel,
            model=model,
            procedure=procedure,
            since=since,
            until=until,
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )
    return [
        Waiting(row.Message, _reasons(row.Message, below, row.handoff, row.csat), row.before)
        for row in session.execute(query)
    ]


def count_waiting(session: Session, below: float, **filters: object) -> int:
    """How many messages wait, with the same filters as ``waiting``."""
    query = _filtered(sa.select(sa.func.count(Message.id)), below=below, **filters)  # type: ignore[arg-type]
    return session.scalar(query) or 0


def next_waiting(session: Session, below: float, **filters: Any) -> Message | None:
    """The newest message still waiting, with the inbox's filters, where a trainer goes
    after each review."""
    found = waiting(session, below=below, limit=1, **filters)
    return found[0].message if found else None


def is_waiting(session: Session, message: Message, below: float) -> bool:
    query = _filtered(sa.select(Message.id), below=below).where(Message.id == message.id)
    return session.scalar(query) is not None


def context(
    session: Session, message: Message, around: int = 2
) -> tuple[list[Message], list[Message]]:
    """The messages just before and just after ``message`` in its conversation."""
    same = Message.conversation_id == message.conversation_id
    earlier = session.scalars(
        sa.select(Message)
        .where(same, Message.id < message.id)
        .order_by(Message.id.desc())
        .limit(around)
    ).all()
    later = session.scalars(
        sa.select(Message).where(same, Message.id > message.id).order_by(Message.id).limit(around)
    ).all()
    return list(reversed(earlier)), list(later)


def models(session: Session) -> list[str]:
    """The models that have answered citizens, for the filter."""
    query = sa.select(Message.model_id).where(Message.model_id.is_not(None)).distinct()
    return sorted(session.scalars(query))


def procedures(session: Session) -> list[str]:
    """The procedures NLU found in citizens' messages, for the filter."""
    query = sa.select(Message.procedure).where(Message.procedure.is_not(None)).distinct()
    return sorted(session.scalars(query))


def _filtered(
    query: sa.Select,  # type: ignore[type-arg]
    *,
    below: float,
    intent: str | None = None,
    channel: str | None = None,
    model: str | None = None,
    procedure: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> sa.Select:  # type: ignore[type-arg]
    reviewed = sa.select(Review.message_id)
    query = query.where(
        Message.direction == m.INBOUND,
        Message.author == m.CITIZEN,
        # Erased for a privacy request (desk.privacy blanks the text): nothing to learn.
        Message.body != "",
        Message.id.not_in(reviewed),
        sa.or_(
            Message.intent == FALLBACK_INTENT,
            Message.confidence < below,
            Message.id.in_(_before_handoff()),
            # Only what the assistant answered: a person answered the rest.
            sa.and_(Message.intent.is_not(None), Message.conversation_id.in_(_low_csat())),
        ),
    )
    if intent:
        query = query.where(Message.intent == intent)
    if model:
        query = query.where(Message.model_id == model)
    if procedure:
        query = query.where(Message.procedure == procedure)
    if since is not None:
        query = query.where(Message.created_at >= since)
    if until is not None:
        query = query.where(Message.created_at < until)
    if channel:
        query = query.where(
            Message.conversation_id.in_(
                sa.select(Conversation.id).where(Conversation.channel == channel)
            )
        )
    return query


def _before_handoff() -> sa.Select:  # type: ignore[type-arg]
    """The citizen's last message before each case the assistant opened."""
    said = aliased(Message)
    return (
        sa.select(sa.func.max(said.id))
        .join(Case, Case.conversation_id == said.conversation_id)
        .where(
            Case.reason.in_(HANDOFF_REASONS),
            said.direction == m.INBOUND,
            said.author == m.CITIZEN,
            said.created_at <= Case.opened_at,
        )
        .group_by(Case.id)
    )


def _low_csat() -> sa.Select:  # type: ignore[type-arg]
    return sa.select(Case.conversation_id).where(Case.csat_score.in_(LOW_SCORES))


def _reasons(message: Message, below: float, handoff: bool, csat: bool) -> tuple[str, ...]:
    reasons = []
    if message.intent == FALLBACK_INTENT:
        reasons.append(FALLBACK)
    if message.confidence is not None and message.confidence < below:
        reasons.append(LOW_CONFIDENCE)
    if handoff:
        reasons.append(BEFORE_HANDOFF)
    if csat and message.intent is not None:
        reasons.append(LOW_CSAT)
    return tuple(reasons)
