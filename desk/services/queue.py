"""The message table as a work queue.

A worker claims one due message at a time with a lease and a claim token. Messages of
one conversation are handled in order: a message waits while an earlier one in the
same direction is still pending or in progress. On PostgreSQL the candidate row is
locked with SKIP LOCKED so many workers pass each other; the compare-and-set update
makes the claim safe on SQLite too.

No transaction stays open after a claim: the caller talks to Rasa or Twilio with the
database free, then writes the outcome in a new transaction that begins with
``hold``, which refuses if the lease was lost (expired and taken by another worker)
in the meantime. So a slow worker can never overwrite the work of the one that took
over, and SQLite's single write lock is never held across a network call.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from desk.db import utcnow
from desk.models import message as m
from desk.models.message import Message
from desk.services.backoff import next_attempt

log = logging.getLogger(__name__)

CHANNEL = "ventanilla_work"
LEASE = timedelta(minutes=2)


class LeaseLost(Exception):
    """Another worker holds this message now: this one must not write its outcome."""


def notify_worker(session: Session, direction: str = "") -> None:
    """Wake sleeping workers once this transaction commits: NOTIFY on PostgreSQL, a
    datagram to the worker's socket on SQLite (the embedded default, one machine)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_notify(CHANNEL, direction)))
        return
    if not session.info.get("wake_socket"):
        return
    session.connection()  # the work is in this transaction: its end decides the wake-up
    waiting = session.info.setdefault("wake_directions", set())
    if not waiting:
        sa.event.listen(session, "after_commit", _send_wake, once=True)
        # Soft: fires even when nothing had been sent to the database yet.
        sa.event.listen(session, "after_soft_rollback", _forget_wake, once=True)
    waiting.add(direction)


def _send_wake(session: Session) -> None:
    for direction in session.info.pop("wake_directions", ()):
        wake(session.info["wake_socket"], direction)


def _forget_wake(session: Session, _previous: object = None) -> None:
    session.info.pop("wake_directions", None)


def wake(path: str | Path, direction: str = "") -> None:
    """Tell a worker listening on ``path`` that there is work; nobody there is fine."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.setblocking(False)
            sender.sendto(direction.encode(), os.fspath(path))
    except OSError:
        pass  # no worker listening, or its buffer is full: it polls anyway


def _due(now: datetime | sa.BindParameter[datetime], row: Any = Message) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(row.status == m.PENDING, row.next_attempt_at <= now),
        # A worker that died mid-message loses its lease; the message is tried again.
        sa.and_(row.status == m.PROCESSING, row.lease_expires_at <= now),
    )


# Order within a conversation: only its first message still pending or in progress (in
# one direction) may be claimed. Numbered in one pass over the messages in flight: the
# former NOT EXISTS on an earlier one became a nested loop over the whole backlog for
# every candidate when PostgreSQL's planner had no statistics yet (a new database, a
# burst): 45 ms a claim with 600 messages waiting, against under one now.
_in_flight = (
    sa.select(
        Message.id,
        Message.status,
        Message.next_attempt_at,
        Message.lease_expires_at,
        sa.func.row_number()
        .over(partition_by=Message.conversation_id, order_by=Message.id)
        .label("place"),
    )
    .where(
        Message.direction == sa.bindparam("direction"),
        Message.status.in_((m.PENDING, m.PROCESSING)),
    )
    .subquery("in_flight")
)
# Built once: the claim runs several times per message, and building these statements
# cost more CPU than running them. The first CLAIM_WINDOW due messages are locked with
# SKIP LOCKED, so threads and workers claiming at once pass each other.
CLAIM_WINDOW = 16
_CANDIDATE = (
    sa.select(Message.id, Message.status)
    .where(
        Message.id.in_(
            sa.select(_in_flight.c.id)
            .where(_in_flight.c.place == 1, _due(sa.bindparam("now"), _in_flight.c))
            .order_by(_in_flight.c.next_attempt_at, _in_flight.c.id)
            .limit(CLAIM_WINDOW)
        ),
        _due(sa.bindparam("now")),
    )
    .order_by(Message.next_attempt_at, Message.id)
    # The second row only says whether more work is waiting (``Message.more``).
    .limit(2)
    .with_for_update(skip_locked=True)
)
_TAKE = (
    sa.update(Message)
    .where(Message.id == sa.bindparam("candidate"), _due(sa.bindparam("now")))
    .values(
        status=m.PROCESSING,
        lease_expires_at=sa.bindparam("lease_until"),
        attempts=Message.attempts + 1,
        claim_token=sa.bindparam("token"),
        updated_at=sa.bindparam("now"),
    )
    .execution_options(synchronize_session=False)
)
_HELD = (
    sa.select(Message.status, Message.claim_token)
    .where(Message.id == sa.bindparam("message"))
    .with_for_update()
)


_FINISHED = {
    "status": m.DONE,
    "lease_expires_at": None,
    "claim_token": None,
    "error_code": None,
    "error_message": None,
    "sending_started_at": None,  # not mid-send, nor waiting on Rasa
}


def claim(
    session: Session,
    direction: str,
    now: datetime | None = None,
    lease: timedelta = LEASE,
    *,
    keep_open: bool = False,
) -> Message | None:
    """Take the next due message in ``direction``, or None. Commits the claim and
    returns the message (with its conversation) detached from any transaction; with
    ``keep_open`` the transaction goes on, the row still locked, for the caller's first
    writes (as after ``hold``), and the caller commits it.

    The message's ``abandoned`` says a worker had it and stopped before finishing;
    ``more`` says another message was due too, for the worker to wake a second thread
    only when there is something for it."""
    now = now or utcnow()
    rows = session.execute(_CANDIDATE, {"direction": direction, "now": now}).all()
    if not rows:
        session.rollback()
        return None
    row = rows[0]
    candidate = row.id
    token = uuid.uuid4().hex
    claimed = session.execute(
        _TAKE, {"candidate": candidate, "now": now, "lease_until": now + lease, "token": token}
    ).rowcount
    if claimed != 1:
        session.rollback()
        return None
    message = session.get(
        Message, candidate, populate_existing=True, options=[joinedload(Message.conversation)]
    )
    if not keep_open:
        session.commit()  # the claim, and the end of the transaction
    assert message is not None
    # Claimed while still in progress: the worker that had it died or hung.
    message.abandoned = row.status == m.PROCESSING  # type: ignore[attr-defined]
    message.more = len(rows) > 1  # type: ignore[attr-defined]
    return message


def claim_queued(
    session: Session, message: Message, *, lease: timedelta, now: datetime | None = None
) -> bool:
    """Claim a message in the transaction that queues it, for the thread that queues it
    to handle right after the commit: no wake-up, no claim and no second transaction.
    An outbound message is claimed already marked as being sent (``sending_started_at``),
    so it is durable as such before anything leaves, as ``outbound.deliver`` requires.

    Refused (False, the message stays queued) while an earlier message of the same
    conversation and direction is pending or in progress: order comes first."""
    assert message.id is None, "only a message not yet stored is claimed as it is queued"
    now = now or utcnow()
    # Not flushed first: the message itself would count as an earlier one.
    with session.no_autoflush:
        earlier = session.scalar(
            sa.select(
                sa.exists().where(
                    Message.conversation_id == message.conversation.id,
                    Message.direction == message.direction,
                    Message.status.in_((m.PENDING, m.PROCESSING)),
                )
            )
        )
    if earlier:
        return False
    message.status = m.PROCESSING
    message.claim_token = uuid.uuid4().hex
    message.lease_expires_at = now + lease
    message.attempts = 1
    if message.direction == m.OUTBOUND:
        message.sending_started_at = now
    return True


def hold(session: Session, message: Message) -> None:
    """Begin writing a claimed message's outcome: lock its row and check the claim is
    still this worker's. Raises LeaseLost (after rolling back) when it is not."""
    current = session.execute(_HELD, {"message": message.id}).first()
    if (
        current is None
        or current.status != m.PROCESSING
        or current.claim_token != message.claim_token
    ):
        session.rollback()
        raise LeaseLost(f"message {message.id} is no longer held by this worker")


def finish_held(session: Session, message: Message, **values: Any) -> None:
    """``hold`` then ``finish`` (with ``values``) as one compare-and-set UPDATE, for the
    commonest endings: a reply handed to Twilio, a message the assistant answered. One
    statement where there were a locking read and a write, in a transaction that on
    SQLite holds the lock webhooks wait for. Raises LeaseLost (after rolling back) when
    another worker holds the message now."""
    finished = session.execute(
        _finish_statement(tuple(sorted(values))),
        {"message": message.id, "token": message.claim_token, **values},
    ).rowcount
    if finished != 1:
        session.rollback()
        raise LeaseLost(f"message {message.id} is no longer held by this worker")
    # The caller's copy says what the row now says, without a reload.
    for key, value in {**_FINISHED, **values}.items():
        set_committed_value(message, key, value)


@functools.cache
def _finish_statement(columns: tuple[str, ...]) -> sa.Update:
    table = Message.__table__
    return (
        sa.update(table)
        .where(
            table.c.id == sa.bindparam("message"),
            table.c.status == m.PROCESSING,
            table.c.claim_token == sa.bindparam("token"),
        )
        .values(**_FINISHED, **{column: sa.bindparam(column) for column in columns})
    )


def retry_later(message: Message, now: datetime, error: str, *, code: str | None = None) -> None:
    message.status = m.PENDING
    message.lease_expires_at = None
    message.claim_token = None
    message.next_attempt_at = next_attempt(now, message.attempts)
    message.error_code = code
    message.error_message = error


def finish(message: Message) -> None:
    message.status = m.DONE
    message.lease_expires_at = None
    message.claim_token = None
    message.error_code = None
    message.error_message = None


def fail(message: Message, error: str, *, code: str | None = None) -> None:
    message.status = m.FAILED
    message.lease_expires_at = None
    message.claim_token = None
    message.error_code = code
    message.error_message = error


def due_work(session: Session, now: datetime | None = None) -> set[str]:
    """The directions with a message due now (a cheap look, for the worker's poll)."""
    now = now or utcnow()
    found = session.scalars(
        sa.select(Message.direction).where(_due(now)).group_by(Message.direction)
    ).all()
    session.rollback()
    return set(found)
