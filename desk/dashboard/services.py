"""The dashboard's numbers, computed in the database.

Every metric reads a period of local days (Mexico City) turned into a half-open UTC
interval [start, end). Case metrics follow one cohort, the cases *opened* in the
period, so the cards, the charts and the CSV describe the same cases; the only
exception is an agent's "resolved", which counts resolutions made in the period.

Queries group and count in SQL; only the durations for the percentiles come back
row by row, and only on SQLite (PostgreSQL computes them with percentile_cont). Each
function reads, never writes, and leaves the transaction to the caller, except
``export_chunks``, which ends its read transaction after each chunk (see there).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from desk import labels
from desk.db import UTCDateTime
from desk.models import Agent, Case, Conversation, Message
from desk.models import case as c
from desk.models import message as m
from desk.permissions import WORK_CASES, allowed, mask_phone

LOCAL_TZ = c.LOCAL_TZ
DEFAULT_DAYS = 30
# A year and a day: enough for a leap year, small enough that a typo cannot ask
# for every message the desk ever stored.
MAX_DAYS = 366
# Dates the desk can have data for; anything else is a typo, and the year 1 or
# 9999 would overflow when turned into UTC.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
TOP_TOPICS = 10
CSAT_SCORES = (1, 2, 3, 4, 5)
EXPORT_CHUNK = 1000
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class InvalidPeriod(ValueError):
    """A period the dashboard cannot show; the message says why, for the user."""


@dataclass(frozen=True)
class Period:
    """Local days from ``first`` to ``last``, both included."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        """The first day's local midnight, in UTC."""
        return datetime.combine(self.first, time(), LOCAL_TZ).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The local midnight after the last day, in UTC (excluded)."""
        return datetime.combine(self.last + timedelta(days=1), time(), LOCAL_TZ).astimezone(UTC)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def local_today(now: datetime) -> date:
    return now.astimezone(LOCAL_TZ).date()


def make_period(first: date | None, last: date | None, *, today: date) -> Period:
    """The period asked for; a missing end defaults to today, a missing start to the
    DEFAULT_DAYS days that end on the last day. Raises InvalidPeriod."""
    last = last or today
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    for day in (first, last):
        if not EARLIEST <= day <= LATEST:
            raise InvalidPeriod(
                _(
                    "La fecha %(day)s está fuera del rango que el tablero admite "
                    "(%(earliest)s a %(latest)s).",
                    day=day.isoformat(),
                    earliest=EARLIEST.isoformat(),
                    latest=LATEST.isoformat(),
                )
            )
    if first > last:
        raise InvalidPeriod(
            _(
                "La fecha inicial (%(first)s) es posterior a la final (%(last)s).",
                first=first.isoformat(),
                last=last.isoformat(),
            )
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidPeriod(_("El periodo no puede pasar de %(days)d días.", days=MAX_DAYS))
    return Period(first, last)


# --- dialect helpers ------------------------------------------------------------------


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def local_day(column: Any, dialect: str, start: datetime, end: datetime) -> ColumnElement[Any]:
    """The Mexico City date of a UTC timestamp ``column``, for rows in [start, end).

    PostgreSQL converts with its time-zone database. SQLite has none, so the offsets
    in force over [start, end) are worked out here with zoneinfo and applied piecewise
    (Mexico City kept summer time until October 2022).
    """
    if dialect == "postgresql":
        # Literal zone names (constants, not input): with bound parameters, the same
        # expression in SELECT and GROUP BY would not read as one to PostgreSQL.
        as_utc = sa.func.timezone(sa.literal_column("'UTC'"), column)
        local = sa.func.timezone(sa.literal_column(f"'{LOCAL_TZ.key}'"), as_utc)
        return sa.cast(local, sa.Date)
    if dialect == "sqlite":
        segments = utc_offset_segments(start, end)

        def shifted(offset: timedelta) -> ColumnElement[Any]:
            minutes = int(offset.total_seconds() // 60)
            return sa.func.date(column, f"{minutes:+d} minutes")

        if len(segments) == 1:
            return shifted(segments[0][1])
        whens = [
            (column < segments[i + 1][0], shifted(offset))
            for i, (_since, offset) in enumerate(segments[:-1])
        ]
        return sa.case(*whens, else_=shifted(segments[-1][1]))
    raise ValueError(f"the dashboard does not support the {dialect!r} database")


def utc_offset_segments(start: datetime, end: datetime) -> list[tuple[datetime, timedelta]]:
    """[(since, offset)]: Mexico City's UTC offset from each ``since`` on, over [start, end)."""

    def offset_at(instant: datetime) -> timedelta:
        return instant.astimezone(LOCAL_TZ).utcoffset() or timedelta()

    segments = [(start, offset_at(start))]
    cursor = start
    while cursor < end:
        step = min(cursor + timedelta(days=1), end)
        if offset_at(step) != segments[-1][1]:
            low, high = cursor, step
            # To the microsecond, the precision timestamps are stored with.
            while high - low > timedelta(microseconds=1):
                middle = low + (high - low) / 2
                if offset_at(middle) == segments[-1][1]:
                    low = middle
                else:
                    high = middle
            segments.append((high, offset_at(high)))
        cursor = step
    return segments


def seconds_between(later: Any, earlier: Any, dialect: str) -> ColumnElement[Any]:
    """``later - earlier`` in seconds, as a float."""
    if dialect == "postgresql":
        return sa.cast(sa.extract("epoch", later - earlier), sa.Float)
    if dialect == "sqlite":
        return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0
    raise ValueError(f"the dashboard does not support the {dialect!r} database")


def percentile(ordered: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks, as PostgreSQL's percentile_cont."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _as_date(value: Any) -> date:
    # PostgreSQL gives a date, SQLite's date() a 'YYYY-MM-DD' string.
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _at(value: datetime) -> ColumnElement[Any]:
    """A timestamp to compare with the desk's columns (stored as naive UTC)."""
    return sa.literal(value, UTCDateTime())


def opened_in(period: Period) -> ColumnElement[bool]:
    return sa.and_(Case.opened_at >= period.start, Case.opened_at < period.end)


def first_response_breached(now: datetime) -> ColumnElement[bool]:
    """No person answered by the due time: the answer came late, or is still missing
    after it. Resolving or closing the case stops the clock, as answering does."""
    waited_until = sa.func.coalesce(
        Case.first_response_at, Case.resolved_at, Case.closed_at, _at(now)
    )
    return sa.and_(
        Case.first_response_due_at.is_not(None), waited_until > Case.first_response_due_at
    )


def resolution_breached(now: datetime) -> ColumnElement[bool]:
    """Resolved (or closed) after its due time, or still unresolved past it."""
    finished = sa.func.coalesce(Case.resolved_at, Case.closed_at, _at(now))
    return sa.and_(Case.resolution_due_at.is_not(None), finished > Case.resolution_due_at)


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


# --- metrics --------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    day: date
    inbound: int = 0
    outbound: int = 0
    conversations: int = 0  # distinct conversations with a citizen's message that day
    cases_opened: int = 0


def daily(session: Session, period: Period) -> list[Day]:
    """Every day of the period, the empty ones included."""
    dialect = dialect_of(session)
    day = local_day(Message.created_at, dialect, period.start, period.end)
    messages = (
        sa.select(day.label("day"), Message.direction, Message.conversation_id)
        .where(Message.created_at >= period.start, Message.created_at < period.end)
        .subquery()
    )
    counts: dict[date, dict[str, int]] = {d: {} for d in period.days}
    rows = session.execute(
        sa.select(
            messages.c.day,
            messages.c.direction,
            sa.func.count(),
            sa.func.count(sa.distinct(messages.c.conversation_id)),
        ).group_by(messages.c.day, messages.c.direction)
    )
    for raw_day, direction, total, conversations in rows:
        bucket = counts.setdefault(_as_date(raw_day), {})
        bucket[direction] = total
        if direction == m.INBOUND:
            bucket["conversations"] = conversations
    opened_day = local_day(Case.opened_at, dialect, period.start, period.end)
    opened = sa.select(opened_day.label("day")).where(opened_in(period)).subquery()
    for raw_day, total in session.execute(
        sa.select(opened.c.day, sa.func.count()).group_by(opened.c.day)
    ):
        counts.setdefault(_as_date(raw_day), {})["cases"] = total
    return [
        Day(
            day=d,
            inbound=counts[d].get(m.INBOUND, 0),
            outbound=counts[d].get(m.OUTBOUND, 0),
            conversations=counts[d].get("conversations", 0),
            cases_opened=counts[d].get("cases", 0),
        )
        for d in sorted(counts)
        if period.first <= d <= period.last
    ]


@dataclass(frozen=True)
class Containment:
    conversations: int  # with a citizen's message in the period
    contained: int  # of those, the ones no person had to take

    @property
    def rate(self) -> float | None:
        return self.contained / self.conversations if self.conversations else None


def containment(session: Session, period: Period) -> Containment:
    """How many conversations the assistant handled alone.

    A conversation with a citizen's message in the period is contained unless a case of
    it was alive at some point of the period (opened before the period ended, and not
    resolved or closed before it began). A case from months ago does not count against
    today's conversation: the same citizen writes in the same conversation forever.
    """
    ended = sa.func.coalesce(Case.resolved_at, Case.closed_at)
    with_a_person = sa.select(Case.conversation_id).where(
        Case.opened_at < period.end, sa.or_(ended.is_(None), ended >= period.start)
    )
    handed = sa.case(
        (Message.conversation_id.in_(with_a_person), Message.conversation_id), else_=None
    )
    conversations, handed_off = session.execute(
        sa.select(
            sa.func.count(sa.distinct(Message.conversation_id)),
            sa.func.count(sa.distinct(handed)),
        ).where(
            Message.direction == m.INBOUND,
            Message.created_at >= period.start,
            Message.created_at < period.end,
        )
    ).one()
    return Containment(conversations=conversations, contained=conversations - handed_off)


@dataclass(frozen=True)
class Tally:
    """A count by some label (topic, reason); ``key`` None is 'none given'."""

    key: str | None
    label: str
    count: int


def handoffs_by_topic(session: Session, period: Period, *, top: int = TOP_TOPICS) -> list[Tally]:
    """The ``top`` topics with most cases opened, then the rest as one line."""
    rows = session.execute(
        sa.select(Case.topic, sa.func.count().label("n"))
        .where(opened_in(period))
        .group_by(Case.topic)
        .order_by(sa.desc("n"), Case.topic.asc().nulls_last())
    ).all()
    tallies = [Tally(topic, topic or _("Sin tema"), n) for topic, n in rows[:top]]
    rest = sum(n for _topic, n in rows[top:])
    if rest:
        tallies.append(Tally("*", _("Otros temas"), rest))
    return tallies


def handoffs_by_reason(session: Session, period: Period) -> list[Tally]:
    rows = session.execute(
        sa.select(Case.reason, sa.func.count().label("n"))
        .where(opened_in(period))
        .group_by(Case.reason)
        .order_by(sa.desc("n"), Case.reason)
    )
    return [Tally(reason, _(labels.REASONS.get(reason, reason)), n) for reason, n in rows]


@dataclass(frozen=True)
class Durations:
    count: int
    median: float | None  # seconds
    p90: float | None


def durations(session: Session, period: Period, until: Any) -> Durations:
    """From opening to ``until`` (a Case column), for the period's cases that reached it."""
    dialect = dialect_of(session)
    seconds = seconds_between(until, Case.opened_at, dialect)
    where = (opened_in(period), until.is_not(None))
    if dialect == "postgresql":
        count, median, p90 = session.execute(
            sa.select(
                sa.func.count(),
                sa.func.percentile_cont(0.5).within_group(seconds),
                sa.func.percentile_cont(0.9).within_group(seconds),
            ).where(*where)
        ).one()
        return Durations(count, _float(median), _float(p90))
    ordered = sorted(session.scalars(sa.select(seconds).where(*where)))
    return Durations(len(ordered), percentile(ordered, 0.5), percentile(ordered, 0.9))


def first_response_times(session: Session, period: Period) -> Durations:
    """Until a person's first answer (the assistant's messages never count)."""
    return durations(session, period, Case.first_response_at)


def resolution_times(session: Session, period: Period) -> Durations:
    return durations(session, period, Case.resolved_at)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class Breaches:
    with_first_response_target: int
    first_response: int
    with_resolution_target: int
    resolution: int


def sla_breaches(session: Session, period: Period, *, now: datetime) -> Breaches:
    row = session.execute(
        sa.select(
            sa.func.count(Case.first_response_due_at),
            _count_where(first_response_breached(now)),
            sa.func.count(Case.resolution_due_at),
            _count_where(resolution_breached(now)),
        ).where(opened_in(period))
    ).one()
    return Breaches(*(int(value) for value in row))


@dataclass(frozen=True)
class Csat:
    asked: int
    answered: int
    average: float | None
    distribution: dict[int, int] = field(default_factory=dict)  # score -> answers

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.asked if self.asked else None


def csat(session: Session, period: Period) -> Csat:
    """Satisfaction of the period's cases.

    desk.services.cases clears ``csat_asked_at`` once the citizen writes again (the
    question is asked once), so an answered case counts as asked by its answer.
    """
    answered = Case.csat_score.is_not(None)
    asked, count, average = session.execute(
        sa.select(
            _count_where(sa.or_(Case.csat_asked_at.is_not(None), answered)),
            sa.func.count(Case.csat_score),
            sa.func.avg(Case.csat_score),
        ).where(opened_in(period))
    ).one()
    distribution = dict.fromkeys(CSAT_SCORES, 0)
    for score, n in session.execute(
        sa.select(Case.csat_score, sa.func.count())
        .where(opened_in(period), answered)
        .group_by(Case.csat_score)
    ):
        if score in distribution:
            distribution[score] = n
    return Csat(int(asked), count, _float(average), distribution)


@dataclass(frozen=True)
class AgentLoad:
    agent_id: int
    name: str
    active: int  # active cases assigned now
    resolved: int  # cases resolved in the period


@dataclass(frozen=True)
class Load:
    agents: list[AgentLoad]
    unassigned: int  # active cases nobody holds


def agents_load(session: Session, period: Period) -> Load:
    """Who holds what now, and who resolved what in the period: every agent with
    cases, and every active account that works cases, even idle."""
    active: dict[int | None, int] = dict(
        session.execute(
            sa.select(Case.assignee_id, sa.func.count())
            .where(Case.status.in_(c.ACTIVE))
            .group_by(Case.assignee_id)
        ).all()
    )
    resolved: dict[int, int] = dict(
        session.execute(
            sa.select(Case.resolved_by_id, sa.func.count())
            .where(
                Case.resolved_by_id.is_not(None),
                Case.resolved_at >= period.start,
                Case.resolved_at < period.end,
            )
            .group_by(Case.resolved_by_id)
        ).all()
    )
    unassigned = active.pop(None, 0)
    ids = set(active) | set(resolved)
    agents = session.execute(
        sa.select(Agent.id, Agent.name, Agent.active, Agent.role).where(
            sa.or_(Agent.id.in_(ids), Agent.active.is_(True))
        )
    )
    loads = [
        AgentLoad(agent_id, name, active.get(agent_id, 0), resolved.get(agent_id, 0))
        for agent_id, name, is_active, role in agents
        if agent_id in ids or (is_active and allowed(role, WORK_CASES))
    ]
    loads.sort(key=lambda load: (-load.active, -load.resolved, load.name.lower()))
    return Load(loads, unassigned)


@dataclass(frozen=True)
class Dashboard:
    period: Period
    days: list[Day]
    containment: Containment
    topics: list[Tally]
    reasons: list[Tally]
    first_response: Durations
    resolution: Durations
    breaches: Breaches
    csat: Csat
    load: Load

    @property
    def inbound(self) -> int:
        return sum(day.inbound for day in self.days)

    @property
    def outbound(self) -> int:
        return sum(day.outbound for day in self.days)

    @property
    def cases_opened(self) -> int:
        return sum(day.cases_opened for day in self.days)


def dashboard(session: Session, period: Period, *, now: datetime) -> Dashboard:
    """Everything the page shows. Reads only."""
    return Dashboard(
        period=period,
        days=daily(session, period),
        containment=containment(session, period),
        topics=handoffs_by_topic(session, period),
        reasons=handoffs_by_reason(session, period),
        first_response=first_response_times(session, period),
        resolution=resolution_times(session, period),
        breaches=sla_breaches(session, period, now=now),
        csat=csat(session, period),
        load=agents_load(session, period),
    )


# --- CSV export -----------------------------------------------------------------------

EXPORT_COLUMNS = (
    "folio",
    "abierto",
    "estado",
    "prioridad",
    "motivo",
    "tema",
    "etiquetas",
    "canal",
    "agente",
    "telefono",
    "primera_respuesta",
    "resuelto",
    "cerrado",
    "csat",
    "sla_primera_respuesta_incumplido",
    "sla_resolucion_incumplido",
)


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula gets a '."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _local(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(LOCAL_TZ).isoformat(timespec="seconds")


def export_chunks(
    session: Session,
    period: Period,
    *,
    now: datetime,
    show_phones: bool,
    chunk_size: int = EXPORT_CHUNK,
) -> Iterator[str]:
    """The period's cases as CSV text, header first, ``chunk_size`` cases at a time.

    Keyset pagination on the case id, one short read per chunk, and the transaction is
    ended after each (commits; nothing is written): on SQLite every transaction holds
    the write lock (BEGIN IMMEDIATE), which must not stay held while a slow client
    downloads.
    """
    assignee = aliased(Agent)
    # Columns, not Case objects: a hundred thousand rows build no ORM instances.
    query = (
        sa.select(
            Case.id,
            Case.opened_at,
            Case.status,
            Case.priority,
            Case.reason,
            Case.topic,
            Case.tags,
            Conversation.channel,
            assignee.name.label("assignee"),
            Conversation.phone,
            Conversation.citizen_address,
            Case.first_response_at,
            Case.resolved_at,
            Case.closed_at,
            Case.csat_score,
            first_response_breached(now).label("late_first_response"),
            resolution_breached(now).label("late_resolution"),
        )
        .join(Conversation, Case.conversation_id == Conversation.id)
        .outerjoin(assignee, Case.assignee_id == assignee.id)
        .where(opened_in(period))
        .order_by(Case.id)
        .limit(chunk_size)
    )
    yield _csv_text([EXPORT_COLUMNS])
    last_id = 0
    while True:
        rows = session.execute(query.where(Case.id > last_id)).all()
        session.commit()
        if not rows:
            return
        last_id = rows[-1].id
        yield _csv_text(_export_row(row, show_phones) for row in rows)
        if len(rows) < chunk_size:
            return


def _export_row(row: Any, show_phones: bool) -> list[str]:
    number = row.phone or (row.citizen_address or "").removeprefix("whatsapp:")
    cells = [
        # The property reads only the id and opened_at, which the row has.
        Case.folio.fget(row),  # type: ignore[attr-defined]
        _local(row.opened_at),
        labels.STATUSES.get(row.status, row.status),
        labels.PRIORITIES.get(row.priority, row.priority),
        labels.REASONS.get(row.reason, row.reason),
        row.topic or "",
        ", ".join(row.tags or []),
        labels.CHANNELS.get(row.channel, row.channel),
        row.assignee or "",
        number if show_phones else mask_phone(number),
        _local(row.first_response_at),
        _local(row.resolved_at),
        _local(row.closed_at),
        "" if row.csat_score is None else str(row.csat_score),
        "1" if row.late_first_response else "0",
        "1" if row.late_resolution else "0",
    ]
    return [safe_cell(cell) for cell in cells]


def _csv_text(rows: Any) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()
