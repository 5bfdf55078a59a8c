"""The message table as a work queue.

A worker claims one due message at a time with a lease. Messages of one
conversation are handled in order: a message waits while an earlier one in the
same direction is still pending or in progress. On PostgreSQL the candidate row
is locked with SKIP LOCKED so several workers pass each other; the
compare-and-set update makes the claim safe on SQLite too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from desk.db import utcnow
from desk.models import message as m
from desk.models.message import Message
from desk.services.backoff import next_attempt

CHANNEL = "ventanilla_work"
LEASE = timedelta(minutes=2)


def notify_worker(session: Session) -> None:
    """Wake sleeping workers when this transaction commits (PostgreSQL only; others poll)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_notify(CHANNEL, "")))


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(Message.status == m.PENDING, Message.next_attempt_at <= now),
        # A worker that died mid-message loses its lease; the message is tried again.
        sa.and_(Message.status == m.PROCESSING, Message.lease_expires_at <= now),
    )


def claim(session: Session, direction: str, now: datetime | None = None) -> Message | None:
    """Take the next due message in ``direction``, or None. Commits the claim."""
    now = now or utcnow()
    earlier = aliased(Message)
    waits_for_earlier = (
        sa.select(earlier.id)
        .where(
            earlier.conversation_id == Message.conversation_id,
            earlier.direction == direction,
            earlier.id < Message.id,
            earlier.status.in_((m.PENDING, m.PROCESSING)),
        )
        .exists()
    )
    candidate = session.scalars(
        sa.select(Message.id)
        .where(Message.direction == direction, _due(now), ~waits_for_earlier)
        .order_by(Message.next_attempt_at, Message.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if candidate is None:
        session.rollback()
        return None
    claimed = session.execute(
        sa.update(Message)
        .where(Message.id == candidate, _due(now))
        .values(
            status=m.PROCESSING,
            lease_expires_at=now + LEASE,
            attempts=Message.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if claimed != 1:
        return None
    message = session.get(Message, candidate, populate_existing=True)
    return message


def retry_later(message: Message, now: datetime, error: str, *, code: str | None = None) -> None:
    message.status = m.PENDING
    message.lease_expires_at = None
    message.next_attempt_at = next_attempt(now, message.attempts)
    message.error_code = code
    message.error_message = error


def finish(message: Message) -> None:
    message.status = m.DONE
    message.lease_expires_at = None
    message.error_code = None
    message.error_message = None


def fail(message: Message, error: str, *, code: str | None = None) -> None:
    message.status = m.FAILED
    message.lease_expires_at = None
    message.error_code = code
    message.error_message = error
