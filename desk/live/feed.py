"""The change feed behind the live pages: what changed in the desk, as kinds and ids.

One broadcaster per web process (``Feed``) looks at the database once a second —
while at least one page of that process listens — and fans what it finds out to every
open stream of the process: N open pages cost the same queries as one. Each look is two
index range reads on primary keys: messages and audit events (the case timeline) newer
than its cursor. It also re-reads, by id, the few outbound messages sent in the last
minutes, so that "entregado" and "leído" show up without a new message.

A change carries its kind, the id of the row and the case it belongs to: never a body,
a phone number or a name. The page fetches itself again to show what changed, with
the same permission checks as any page view.

On PostgreSQL ids are taken when a row is inserted, not when it commits: a slow
transaction may show up below the cursor after faster ones above it. The ids skipped
over are kept as gaps and looked up again for ``GAP_SECONDS``.

The broadcaster also says the listening agents are there (``agents.last_seen_at``),
once a minute per process: automatic assignment hands back the cases of agents whose
browsers left (desk.assignment.services.hand_back_from_away).
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from desk.db import utcnow
from desk.models import Agent, AuditEvent, Case, Message
from desk.models import case as c
from desk.models import message as m

log = logging.getLogger(__name__)

# Kinds of change.
MESSAGE = "message"  # a citizen wrote
REPLY = "reply"  # the desk wrote: an agent, the assistant or a notice
DELIVERY = "delivery"  # an outbound message moved along (sent, delivered, read, failed)
CASE = "case"  # something on a case's timeline (opened, assigned, note, resolved…)
# What changes the queue: it shows cases, not conversations, and what a message does to
# a case (opens it, reopens it, moves it along) is on the case's timeline. Add MESSAGE
# if the queue ever shows the conversation itself (last message, unread).
QUEUE_KINDS = frozenset({CASE})

POLL_SECONDS = 1.0
PRESENCE_SECONDS = 60.0
# How long an id skipped over is looked for (a transaction slower than this is missed
# by the live pages, never by the pages themselves).
GAP_SECONDS = 30.0
MAX_GAPS = 1000
# Outbound messages are watched this long for delivery updates, at most this many.
WATCH_SECONDS = 600.0
MAX_WATCHED = 500
BATCH = 500  # rows per table per look: a backlog is read over the next looks
FINAL_DELIVERY = frozenset({"read", *m.DELIVERY_FAILED})

Clock = Callable[[], float]


@dataclass(frozen=True)
class Change:
    kind: str
    id: int
    case_id: int | None  # the row's own case, else its conversation's active case
    conversation_id: int | None

    def payload(self) -> dict[str, Any]:
        """What a page receives: the conversation stays on the server (it only filters)."""
        return {"kind": self.kind, "id": self.id, "case": self.case_id}


@dataclass(frozen=True, order=True)
class Cursor:
    """How far the feed has looked: the newest message and audit event ids."""

    message: int = 0
    audit: int = 0

    @property
    def token(self) -> str:
        return f"{self.message}.{self.audit}"

    @classmethod
    def parse(cls, token: str | None) -> Cursor | None:
        """A token from a page; None for anything else."""
        match = re.fullmatch(r"([0-9]{1,12})\.([0-9]{1,12})", token or "")
        return cls(int(match.group(1)), int(match.group(2))) if match else None


@dataclass(frozen=True)
class Interest:
    """What one page listens to. No case: the queue, which wants what changes any case
    (``QUEUE_KINDS``). A case: that case, and anything in its conversation (the
    transcript is all of it)."""

    case_id: int | None = None
    conversation_id: int | None = None

    def wants(self, change: Change) -> bool:
        if self.case_id is None:
            return change.case_id is not None and change.kind in QUEUE_KINDS
        return change.case_id == self.case_id or (
            self.conversation_id is not None and change.conversation_id == self.conversation_id
        )


@dataclass(eq=False)
class Subscription:
    """One open stream: the batches meant for it wait here until its thread takes them."""

    interest: Interest
    agent_id: int
    cursor: Cursor  # the feed's cursor when it subscribed
    batches: queue.SimpleQueue[tuple[list[Change], Cursor]] = field(
        default_factory=queue.SimpleQueue
    )

    def next(self, timeout: float) -> tuple[list[Change], Cursor] | None:
        try:
            return self.batches.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None


class _Ids:
    """A table's cursor and the ids it skipped over (see the module's docstring)."""

    def __init__(self, last: int) -> None:
        self.last = last
        self.gaps: dict[int, float] = {}  # id -> when it was skipped (clock)

    def condition(self, column: Any, also: Iterable[int] = ()) -> Any:
        wanted = set(self.gaps) | set(also)
        newer = column > self.last
        return sa.or_(newer, column.in_(sorted(wanted))) if wanted else newer

    def take(self, ids: Iterable[int], now: float) -> set[int]:
        """The ids of a look; returns those not seen before (new, or a gap filled)."""
        ids = set(ids)
        fresh = {i for i in ids if i > self.last} | (ids & set(self.gaps))
        for i in ids & set(self.gaps):
            del self.gaps[i]
        newest = max((i for i in ids if i > self.last), default=self.last)
        if newest - self.last <= MAX_GAPS:  # not after a restore that jumped far ahead
            for i in range(self.last + 1, newest):
                if i not in ids:
                    self.gaps[i] = now
        self.last = newest
        for i, since in list(self.gaps.items()):
            if now - since > GAP_SECONDS:
                del self.gaps[i]
        while len(self.gaps) > MAX_GAPS:
            del self.gaps[min(self.gaps, key=self.gaps.__getitem__)]
        return fresh


@dataclass
class _Watched:
    since: float
    state: tuple[str, str | None]  # (status, delivery_status)


class Feed:
    """The per-process broadcaster. ``poll()`` is one look; the thread calls it every
    ``poll_seconds`` while someone listens (tests call it themselves: ``autostart=False``)."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        *,
        poll_seconds: float = POLL_SECONDS,
        presence_seconds: float = PRESENCE_SECONDS,
        clock: Clock = time.monotonic,
        now: Callable[[], datetime] = utcnow,
        autostart: bool = True,
    ) -> None:
        self._sessions = sessions
        self.poll_seconds = poll_seconds
        self.presence_seconds = presence_seconds
        self._clock = clock
        self._now = now
        self._autostart = autostart
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()
        self._agents: Counter[int] = Counter()
        self._messages: _Ids | None = None
        self._audit: _Ids | None = None
        self._watched: dict[int, _Watched] = {}
        self._presence_due = 0.0
        self._thread: threading.Thread | None = None
        self._failing_since: float | None = None

    # --- subscribers ---------------------------------------------------------------------

    @property
    def streams(self) -> int:
        """Streams open in this process."""
        return len(self._subscriptions)

    @property
    def cursor(self) -> Cursor:
        if self._messages is None or self._audit is None:
            return Cursor()
        return Cursor(self._messages.last, self._audit.last)

    def subscribe(self, interest: Interest, agent_id: int) -> Subscription:
        """Start receiving the changes ``interest`` wants, from now on."""
        with self._lock:
            if self._messages is None or (self._autostart and self._thread is None):
                # Nobody listened a moment ago: start from now, not from back then.
                self._start_cursor()
            subscription = Subscription(interest, agent_id, self.cursor)
            self._subscriptions.add(subscription)
            self._agents[agent_id] += 1
            if self._autostart and self._thread is None:
                self._thread = threading.Thread(target=self._run, name="live-feed", daemon=True)
                self._thread.start()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._subscriptions:
                self._subscriptions.discard(subscription)
                self._agents[subscription.agent_id] -= 1
                if self._agents[subscription.agent_id] <= 0:
                    del self._agents[subscription.agent_id]

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._subscriptions:
                    # Nobody listens: no more looks until someone does.
                    self._thread = None
                    return
            started = self._clock()
            try:
                self.poll()
            except Exception:  # the database restarting: the next look tries again
                self._report_failure()
            time.sleep(max(0.0, self.poll_seconds - (self._clock() - started)))

    def _report_failure(self) -> None:
        now = self._clock()
        if self._failing_since is None or now - self._failing_since > 60:
            log.warning("live feed: looking for changes failed", exc_info=True)
            self._failing_since = now

    # --- one look --------------------------------------------------------------------------

    def _start_cursor(self) -> None:
        """From now on: what is already stored, pages ask for with ``catch_up``."""
        with self._sessions() as session:
            cursor = current_cursor(session)
        self._messages, self._audit = _Ids(cursor.message), _Ids(cursor.audit)

    def poll(self) -> list[Change]:
        """Look once, hand each subscription what it wants; returns every change found."""
        with self._lock:
            if self._messages is None:
                self._start_cursor()
        assert self._messages is not None and self._audit is not None
        before, now = self.cursor, self._clock()
        with self._sessions() as session:
            changes = self._message_changes(session, now) + self._audit_changes(session, now)
            if now >= self._presence_due and self._mark_present(session):
                self._presence_due = now + self.presence_seconds
        self._failing_since = None
        cursor = self.cursor
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            wanted = [change for change in changes if subscription.interest.wants(change)]
            # Even an empty batch moves the stream's cursor on: a page that reconnects
            # asks the new stream for what came after it (``catch_up``).
            if changes or cursor != before:
                subscription.batches.put((wanted, cursor))
        return changes

    def _message_changes(self, session: Session, now: float) -> list[Change]:
        assert self._messages is not None
        for message_id, watched in list(self._watched.items()):
            if now - watched.since > WATCH_SECONDS:
                del self._watched[message_id]
        rows = _message_rows(
            session,
            self._messages.condition(Message.id, also=self._watched),
            BATCH + len(self._watched),
        )
        fresh = self._messages.take((row[0] for row in rows), now)
        changes = []
        for message_id, conversation_id, case_id, direction, status, delivery in rows:
            state = (status, delivery)
            if message_id in fresh:
                kind = REPLY if direction == m.OUTBOUND else MESSAGE
                changes.append(Change(kind, message_id, case_id, conversation_id))
                if direction == m.OUTBOUND and len(self._watched) < MAX_WATCHED:
                    self._watched[message_id] = _Watched(now, state)
            elif message_id in self._watched and self._watched[message_id].state != state:
                self._watched[message_id].state = state
                changes.append(Change(DELIVERY, message_id, case_id, conversation_id))
            if message_id in self._watched and (status == m.FAILED or delivery in FINAL_DELIVERY):
                del self._watched[message_id]
        return changes

    def _audit_changes(self, session: Session, now: float) -> list[Change]:
        assert self._audit is not None
        rows = _audit_rows(session, self._audit.condition(AuditEvent.id), BATCH)
        fresh = self._audit.take((row[0] for row in rows), now)
        return [_audit_change(row) for row in rows if row[0] in fresh and _about_a_case(row)]

    def catch_up(self, subscription: Subscription, since: Cursor) -> list[Change] | None:
        """What the page missed between ``since`` (the cursor its HTML or its previous
        stream had) and the subscription's start, from which on the feed hands it
        everything; None when that is more than a look's worth (the page reloads)."""
        until, interest = subscription.cursor, subscription.interest
        if since.message >= until.message and since.audit >= until.audit:
            return []
        if until.message - since.message > BATCH or until.audit - since.audit > BATCH:
            return None
        with self._sessions() as session:
            messages = _message_rows(
                session, Message.id.between(since.message + 1, until.message), BATCH
            )
            events = _audit_rows(
                session, AuditEvent.id.between(since.audit + 1, until.audit), BATCH
            )
        changes = [
            Change(REPLY if row[3] == m.OUTBOUND else MESSAGE, row[0], row[2], row[1])
            for row in messages
        ]
        changes += [_audit_change(row) for row in events if _about_a_case(row)]
        return [change for change in changes if interest.wants(change)]

    def _mark_present(self, session: Session) -> bool:
        with self._lock:
            agents = sorted(self._agents)
        if not agents:
            return False
        session.execute(
            sa.update(Agent).where(Agent.id.in_(agents)).values(last_seen_at=self._now())
        )
        session.commit()
        return True


def current_cursor(session: Session) -> Cursor:
    """The newest message and audit event ids (two reads of a primary key's end)."""
    return Cursor(
        session.scalar(sa.select(sa.func.max(Message.id))) or 0,
        session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0,
    )


def _message_rows(session: Session, condition: Any, limit: int) -> list[Any]:
    """(id, conversation, case, direction, status, delivery status) of the messages
    matching ``condition``; the case is the message's own, else its conversation's
    active one (an inbound message gets its case from the worker, after it is stored)."""
    active = aliased(Case)
    return list(
        session.execute(
            sa.select(
                Message.id,
                Message.conversation_id,
                sa.func.coalesce(Message.case_id, active.id),
                Message.direction,
                Message.status,
                Message.delivery_status,
            )
            .outerjoin(
                active,
                sa.and_(
                    active.conversation_id == Message.conversation_id,
                    active.status.in_(c.ACTIVE),
                ),
            )
            .where(condition)
            .order_by(Message.id)
            .limit(limit)
        ).all()
    )


def _audit_rows(session: Session, condition: Any, limit: int) -> list[Any]:
    """(id, conversation, case) of the audit events matching ``condition``."""
    active = aliased(Case)
    return list(
        session.execute(
            sa.select(
                AuditEvent.id,
                AuditEvent.conversation_id,
                sa.func.coalesce(AuditEvent.case_id, active.id),
            )
            .outerjoin(
                active,
                sa.and_(
                    active.conversation_id == AuditEvent.conversation_id,
                    active.status.in_(c.ACTIVE),
                ),
            )
            .where(condition)
            .order_by(AuditEvent.id)
            .limit(limit)
        ).all()
    )


def _audit_change(row: Any) -> Change:
    event_id, conversation_id, case_id = row
    return Change(CASE, event_id, case_id, conversation_id)


def _about_a_case(row: Any) -> bool:
    # Logins, availability and the like are about agents, not about any page's cases.
    return row[1] is not None or row[2] is not None


def touch_presence(
    session: Session, agent: Agent, *, now: datetime | None = None, every: float = PRESENCE_SECONDS
) -> bool:
    """Say ``agent`` is there, at most once every ``every`` seconds. Commits when it
    writes; returns whether it did."""
    now = now or utcnow()
    if agent.last_seen_at is not None and now - agent.last_seen_at < timedelta(seconds=every):
        return False
    agent.last_seen_at = now
    session.commit()
    return True


# --- the stream itself ------------------------------------------------------------------

HEARTBEAT_SECONDS = 15.0
LIFETIME_SECONDS = 300.0
TICK_SECONDS = 1.0  # how often a quiet stream checks its deadline and the server stopping
RETRY_MILLISECONDS = 3000  # the browser's wait before reconnecting after a network error


def event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def stream(
    feed: Feed,
    subscription: Subscription,
    *,
    missed: Sequence[Change] | None = (),
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
    lifetime_seconds: float = LIFETIME_SECONDS,
    tick_seconds: float = TICK_SECONDS,
    clock: Clock = time.monotonic,
    stopping: Callable[[], bool] = lambda: False,
) -> Iterator[str]:
    """The text/event-stream of one page, until its lifetime ends or the server stops.

    Opens with ``hello`` (the feed's cursor), then what the page ``missed`` since its
    own cursor (``Feed.catch_up``; None, too much: ``stale`` tells the page to reload),
    then ``change`` events as they come and a comment every ``heartbeat_seconds``
    (proxies keep the connection; a closed one is noticed at the next write). Ends with
    ``reconnect`` and its cursor, so that the page opens a new stream at once instead of
    reporting an error: the thread goes back to the server's pool.
    """
    delivered = subscription.cursor
    try:
        yield f"retry: {RETRY_MILLISECONDS}\n" + event("hello", {"cursor": delivered.token})
        if missed is None:
            yield event("stale", {})
        elif missed:
            yield "".join(event("change", change.payload()) for change in missed)
        started = clock()
        deadline = started + lifetime_seconds
        next_beat = started + heartbeat_seconds
        while True:
            now = clock()
            if now >= deadline or stopping():
                yield event("reconnect", {"cursor": delivered.token})
                return
            if now >= next_beat:
                yield ": keep-alive\n\n"
                next_beat = now + heartbeat_seconds
            batch = subscription.next(min(next_beat - now, deadline - now, tick_seconds))
            if batch is None:
                continue
            changes, delivered = batch
            if changes:
                yield "".join(event("change", change.payload()) for change in changes)
    finally:
        feed.unsubscribe(subscription)
