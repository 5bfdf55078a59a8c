"""The agents' queue as queries: views, filters, search, order and pages, all in SQL.

Shaped for the indexes of migration 0005 (PostgreSQL): the active-case condition and
the due-time expression are written exactly as the partial expression index
``ix_cases_active_due`` is, and message text is matched with the very expression of
the GIN index ``ix_messages_body_fts``, or the planner would not use them. A page is
found as ids first (an index-only walk of cases), then loaded with its conversations
and assignees in one query, so a page costs the same few queries whatever its size.

SQLite (the embedded default) runs the same queries without those indexes, and
searches message text with LIKE instead of full-text search.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.sql.elements import ColumnElement

from desk.models import Case, Conversation, Message
from desk.models import case as c
from desk.models.case import LOCAL_TZ, MAX_CASE_ID

MINE = "mine"
UNASSIGNED = "unassigned"
TEAM = "team"
ALL = "all"
DONE = "done"  # resolved and closed: the cases people no longer answer
VIEWS = (MINE, UNASSIGNED, TEAM, ALL, DONE)
DONE_STATUSES = (c.RESOLVED, c.CLOSED)

DUE = "due"  # soonest due first: overdue cases on top, those without a due time last
NEWEST = "newest"
OLDEST = "oldest"
SORTS = (DUE, NEWEST, OLDEST)
CHANNELS = ("whatsapp", "sms")

SEARCH_MAX = 100
TOPIC_MAX = 120
PHONE_MIN_DIGITS = 4
# What is read as a phone number rather than words: digits, spaces and the usual signs.
PHONE_RE = re.compile(r"\+?[\d\s().-]+")
SPANISH = "'spanish'"
SIMPLE = "'simple'"

# Indexes that migration 0005 creates on PostgreSQL only, as SQL the models cannot
# declare (expressions, partial indexes, operator classes, GIN). Schema comparisons
# (tests/desk/test_migrations.py, autogenerate) skip these names.
POSTGRESQL_INDEXES = frozenset(
    {
        "ix_cases_active_due",
        "ix_cases_active_opened",
        "ix_cases_done_opened",
        "ix_cases_conversation_id",
        "ix_conversations_phone_reversed",
        "ix_conversations_name_fts",
        "ix_messages_body_fts",
    }
)


def _statuses(statuses: Sequence[str]) -> ColumnElement[bool]:
    # Literal values, as in the partial indexes' WHERE: with bound parameters PostgreSQL
    # could not prove, in a generic plan, that the index covers the rows asked for.
    return Case.status.in_([sa.literal_column(f"'{status}'") for status in statuses])


def active_condition() -> ColumnElement[bool]:
    """status IN ('new', 'open', 'pending'): the predicate of the partial indexes."""
    return _statuses(c.ACTIVE)


def done_condition() -> ColumnElement[bool]:
    return _statuses(DONE_STATUSES)


def due_expression() -> ColumnElement[datetime]:
    """The case's next due time: its first answer while it has none (unless the
    resolution is due sooner), else its resolution. A case is overdue exactly when
    this has passed, which is desk.assignment.sla.is_overdue said in SQL."""
    return sa.case(
        (
            sa.and_(
                Case.first_response_at.is_(None),
                Case.first_response_due_at.is_not(None),
                sa.or_(
                    Case.resolution_due_at.is_(None),
                    Case.first_response_due_at < Case.resolution_due_at,
                ),
            ),
            Case.first_response_due_at,
        ),
        else_=Case.resolution_due_at,
    )


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """Active and past a due time it has not met (sla.is_overdue), as a range of the index."""
    return sa.and_(active_condition(), due_expression() < now)


class InvalidQuery(ValueError):
    """A query parameter the queue does not accept; the message says which and why."""


@dataclass(frozen=True)
class Viewer:
    """Who is looking: "mine" and "my team" are theirs."""

    agent_id: int
    team_id: int | None


@dataclass(frozen=True)
class Filters:
    view: str = ALL
    status: str | None = None
    priority: str | None = None
    topic: str | None = None
    channel: str | None = None
    overdue: bool = False
    sort: str | None = None
    q: str = ""
    page: int = 1

    @property
    def order(self) -> str:
        """The sort asked for; due times mean nothing once cases are done, so those
        show the newest first unless told otherwise."""
        return self.sort or (NEWEST if self.view == DONE else DUE)

    @property
    def narrowed(self) -> bool:
        """Whether anything beyond the view itself narrows the list."""
        return bool(
            self.status or self.priority or self.topic or self.channel or self.overdue or self.q
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query parameters for a link to this list with ``changes`` (defaults left out)."""
        changed = replace(self, **changes)
        args: dict[str, Any] = {
            "view": changed.view,
            "status": changed.status,
            "priority": changed.priority,
            "topic": changed.topic,
            "channel": changed.channel,
            "overdue": "1" if changed.overdue else None,
            "sort": changed.sort,
            "q": changed.q,
            "page": changed.page if changed.page != 1 else None,
        }
        return {key: value for key, value in args.items() if value}


def parse_filters(args: Mapping[str, str]) -> Filters:
    """The queue's query parameters, checked; InvalidQuery says what is wrong."""

    def choice(name: str, allowed: Sequence[str]) -> str | None:
        value = (args.get(name) or "").strip()
        if value and value not in allowed:
            raise InvalidQuery(
                _("%(name)s no acepta «%(value)s»; usa uno de: %(allowed)s.")
                % {"name": name, "value": value[:40], "allowed": ", ".join(allowed)}
            )
        return value or None

    view = choice("view", VIEWS) or ALL
    status = choice("status", c.STATUSES)
    if view == DONE and status in c.ACTIVE:
        raise InvalidQuery(
            _("La vista de resueltos y cerrados no tiene casos en estado «%(status)s».")
            % {"status": status}
        )
    raw_page = (args.get("page") or "1").strip()
    if not raw_page.isdigit() or int(raw_page) < 1 or len(raw_page) > 9:
        raise InvalidQuery(_("page debe ser un número entero de 1 en adelante."))
    overdue = (args.get("overdue") or "").strip().lower()
    if overdue not in ("", "0", "1", "on", "true", "false"):
        raise InvalidQuery(_("overdue acepta 1 (solo vencidos) o 0."))
    topic = (args.get("topic") or "").strip()
    if len(topic) > TOPIC_MAX:
        raise InvalidQuery(_("El tema pasa de %(max)d caracteres.") % {"max": TOPIC_MAX})
    q = " ".join((args.get("q") or "").split())
    if len(q) > SEARCH_MAX:
        raise InvalidQuery(_("La búsqueda pasa de %(max)d caracteres.") % {"max": SEARCH_MAX})
    filters = Filters(
        view=view,
        status=status,
        priority=choice("priority", c.PRIORITIES),
        topic=topic or None,
        channel=choice("channel", CHANNELS),
        overdue=overdue in ("1", "on", "true"),
        sort=choice("sort", SORTS),
        q=q,
        page=int(raw_page),
    )
    if q:
        search_kind(q)  # refuses what cannot be searched, before any query runs
    return filters


# --- search ------------------------------------------------------------------------------

FOLIO = "folio"
PHONE = "phone"
WORDS = "words"


def search_kind(q: str) -> str:
    """How ``q`` is looked for: an exact folio, the end of a phone number, or words
    (the citizen's profile name and the messages' text)."""
    if c.FOLIO_RE.fullmatch(q):
        return FOLIO
    if PHONE_RE.fullmatch(q):
        if sum(ch.isdigit() for ch in q) < PHONE_MIN_DIGITS:
            raise InvalidQuery(
                _("Para buscar por teléfono escribe al menos %(min)d dígitos.")
                % {"min": PHONE_MIN_DIGITS}
            )
        return PHONE
    if len(q) < 2:
        raise InvalidQuery(_("Escribe al menos 2 letras para buscar."))
    return WORDS


def search_condition(q: str, dialect: str) -> tuple[ColumnElement[bool], bool]:
    """The cases ``q`` finds, and whether the condition needs the conversations joined."""
    kind = search_kind(q)
    if kind == FOLIO:
        match = c.FOLIO_RE.fullmatch(q)
        assert match is not None
        year, case_id = int(match.group(1)), int(match.group(2))
        if case_id > MAX_CASE_ID or not 1 <= year <= 9998:
            return sa.false(), False
        # The folio's year is the Mexico City year the case was opened in.
        start = datetime(year, 1, 1, tzinfo=LOCAL_TZ)
        end = datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ)
        return sa.and_(Case.id == case_id, Case.opened_at >= start, Case.opened_at < end), False
    if kind == PHONE:
        digits = re.sub(r"\D", "", q)
        if dialect == "postgresql":
            # ix_conversations_phone_reversed: a suffix of the number is a prefix of
            # its reverse, which a btree (text_pattern_ops) finds.
            return sa.func.reverse(Conversation.phone).like(digits[::-1] + "%"), True
        return Conversation.phone.like("%" + digits), True
    if dialect == "postgresql":
        # Exactly the expressions of ix_messages_body_fts and ix_conversations_name_fts.
        # Messages with Spanish stemming: "pasaportes" finds "pasaporte", "renovación"
        # "renovar", "tramites" "trámite". Names word by word, as typed: "guada hern"
        # finds "María Guadalupe Hernández".
        in_messages = sa.func.to_tsvector(sa.literal_column(SPANISH), Message.body).op("@@")(
            sa.func.plainto_tsquery(sa.literal_column(SPANISH), q)
        )
        words = re.findall(r"[^\W_]+", q.lower())
        name_words = sa.func.to_tsquery(
            sa.literal_column(SIMPLE), " & ".join(f"{word}:*" for word in words)
        )
        name_vector = sa.func.to_tsvector(
            sa.literal_column(SIMPLE),
            sa.func.coalesce(Conversation.profile_name, sa.literal_column("''")),
        )
        in_name = name_vector.op("@@")(name_words) if words else sa.false()
    else:
        # Every word somewhere in one message, as plainto_tsquery asks (without stems);
        # the name as typed, anywhere in it.
        in_messages = sa.and_(
            *(Message.body.icontains(word, autoescape=True) for word in q.split())
        )
        in_name = Conversation.profile_name.icontains(q, autoescape=True)
    # A case's transcript is its conversation: a match anywhere in it finds the case.
    conversations = sa.union(
        sa.select(Message.conversation_id).where(in_messages),
        sa.select(Conversation.id).where(in_name),
    )
    return Case.conversation_id.in_(conversations), False


# --- the queue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    case: Case
    due_at: datetime | None


@dataclass(frozen=True)
class QueuePage:
    rows: list[Row]
    total: int
    page: int
    pages: int


def conditions(
    filters: Filters, viewer: Viewer, now: datetime, dialect: str
) -> tuple[list[ColumnElement[bool]], bool]:
    """The WHERE of a view with its filters, and whether it needs the conversations."""
    where: list[ColumnElement[bool]] = []
    needs_conversation = False
    if filters.view == DONE:
        where.append(done_condition() if filters.status is None else Case.status == filters.status)
    elif filters.status is None:
        where.append(active_condition())
    else:
        # One status, whatever it is: "mine" with "resolved" is what I have resolved.
        where.append(Case.status == filters.status)
    if filters.view == MINE:
        where.append(Case.assignee_id == viewer.agent_id)
    elif filters.view == UNASSIGNED:
        where.append(Case.assignee_id.is_(None))
    elif filters.view == TEAM:
        # Without a team, "my team" holds no cases (not everyone's unteamed ones).
        where.append(Case.team_id == viewer.team_id if viewer.team_id else sa.false())
    if filters.priority:
        where.append(Case.priority == filters.priority)
    if filters.topic:
        where.append(sa.func.lower(Case.topic) == filters.topic.lower())
    if filters.channel:
        where.append(Conversation.channel == filters.channel)
        needs_conversation = True
    if filters.overdue:
        where.append(overdue_condition(now))
    if filters.q:
        condition, joins = search_condition(filters.q, dialect)
        where.append(condition)
        needs_conversation = needs_conversation or joins
    return where, needs_conversation


def order_by(sort: str) -> list[ColumnElement[Any]]:
    if sort == NEWEST:
        return [Case.opened_at.desc(), Case.id.desc()]
    if sort == OLDEST:
        return [Case.opened_at.asc(), Case.id.asc()]
    # NULLS LAST is PostgreSQL's own order for ASC (so the index serves it); SQLite
    # would put the cases without a due time first.
    return [due_expression().asc().nulls_last(), Case.id.asc()]


def page_statements(
    filters: Filters, viewer: Viewer, *, now: datetime, per_page: int, dialect: str
) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """(how many cases match, the ids of the page's cases in order): the queue's two
    searching queries, also EXPLAINed by tests/bench/queue_pages.py."""
    where, needs_conversation = conditions(filters, viewer, now, dialect)

    def from_cases(statement: sa.Select[Any]) -> sa.Select[Any]:
        if needs_conversation:
            statement = statement.join(Conversation, Conversation.id == Case.conversation_id)
        return statement.where(*where)

    count = from_cases(sa.select(sa.func.count()).select_from(Case))
    ids = (
        from_cases(sa.select(Case.id))
        .order_by(*order_by(filters.order))
        .offset((filters.page - 1) * per_page)
        .limit(per_page)
    )
    return count, ids


def queue_page(
    session: Session, viewer: Viewer, filters: Filters, *, now: datetime, per_page: int
) -> QueuePage:
    """One page of a view: its rows in order, how many cases match, how many pages. Reads."""
    count, page_ids = page_statements(
        filters, viewer, now=now, per_page=per_page, dialect=session.get_bind().dialect.name
    )
    if filters.q:
        # A search computes every match to sort them anyway: the total comes along,
        # instead of searching twice (a common word is in thousands of messages).
        found = session.execute(page_ids.add_columns(sa.func.count().over())).all()
        ids = [case_id for case_id, _total in found]
        total = found[0][1] if found else session.scalar(count) or 0
    else:
        total = session.scalar(count) or 0
        ids = list(session.scalars(page_ids))
    rows: list[Row] = []
    if ids:
        loaded = {
            case.id: Row(case, due_at)
            for case, due_at in session.execute(
                sa.select(Case, due_expression())
                .where(Case.id.in_(ids))
                .options(
                    joinedload(Case.conversation),
                    joinedload(Case.assignee),
                    joinedload(Case.team),
                )
            )
        }
        rows = [loaded[case_id] for case_id in ids if case_id in loaded]
    return QueuePage(rows=rows, total=total, page=filters.page, pages=max(1, -(-total // per_page)))


def view_counts_statement(viewer: Viewer, now: datetime) -> sa.Select[Any]:
    """One pass over the active cases' index: mine, unassigned, my team's, all, overdue."""
    team = (
        sa.func.count().filter(Case.team_id == viewer.team_id) if viewer.team_id else sa.literal(0)
    )
    return (
        sa.select(
            sa.func.count().filter(Case.assignee_id == viewer.agent_id),
            sa.func.count().filter(Case.assignee_id.is_(None)),
            team,
            sa.func.count(),
            sa.func.count().filter(due_expression() < now),
        )
        .select_from(Case)
        .where(active_condition())
    )


def view_counts(session: Session, viewer: Viewer, now: datetime) -> dict[str, int]:
    """How many active cases each working view holds (no filters), and how many are
    overdue. The done view has no count here: it only grows, and counting it on every
    page would cost more than all the rest."""
    mine, unassigned, ours, everyone, overdue = session.execute(
        view_counts_statement(viewer, now)
    ).one()
    return {MINE: mine, UNASSIGNED: unassigned, TEAM: ours, ALL: everyone, "overdue": overdue}
