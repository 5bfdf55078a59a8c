"""The agents' queue: views, filters, order, pages, search, masking, and its cost.

Every test runs on SQLite and on PostgreSQL (tests/desk/conftest.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from desk import create_app
from desk.assignment import sla
from desk.cases import search
from desk.cli import upgrade_database
from desk.db import get_session, utcnow
from desk.models import Agent, Case, Conversation, Message, Team
from desk.models import case as c
from desk.permissions import mask_phone
from tests.desk.conftest import BASE_CONFIG
from tests.support.postgres import temporary_schema, unreachable_reason

PASSWORD = "contraseña-segura"
FOLIO_CELL = re.compile(r'class="folio"[^>]*>(CAB-\d{4}-\d+)</a>')


def folios(client, url: str) -> list[str]:
    """The folios a page lists, in order."""
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return FOLIO_CELL.findall(response.get_data(as_text=True))


def sign_in(client, agent: Agent) -> None:
    response = client.post("/login", data={"email": agent.email, "password": PASSWORD})
    assert response.status_code == 302


@pytest.fixture
def make_queue_case(db, make_conversation, make_case) -> Callable[..., Case]:
    """A case as the queue meets it: any status, agent, team, priority, due times."""

    def make(
        *,
        channel: str = "whatsapp",
        profile_name: str | None = None,
        citizen_address: str | None = None,
        topic: str | None = None,
        **fields: Any,
    ) -> Case:
        extra = {"citizen_address": citizen_address} if citizen_address else {}
        conversation = make_conversation(channel=channel, profile_name=profile_name, **extra)
        case = make_case(conversation, topic=topic)
        for name, value in fields.items():
            setattr(case, name, value)
        db.commit()
        return case

    return make


@pytest.fixture
def team(db) -> Team:
    team = Team(name="Pensiones")
    db.add(team)
    db.commit()
    return team


# --- views ------------------------------------------------------------------------------


def test_mine_holds_my_active_cases_only(client, logged_in, make_agent, make_queue_case):
    other = make_agent(name="Otra Agente")
    mine = make_queue_case(status=c.OPEN, assignee=logged_in)
    mine_pending = make_queue_case(status=c.PENDING, assignee=logged_in)
    mine_resolved = make_queue_case(status=c.RESOLVED, assignee=logged_in)
    theirs = make_queue_case(status=c.OPEN, assignee=other)
    nobodys = make_queue_case()

    listed = folios(client, "/cases/?view=mine")

    assert sorted(listed) == sorted([mine.folio, mine_pending.folio])
    assert not {mine_resolved.folio, theirs.folio, nobodys.folio} & set(listed)


def test_unassigned_holds_active_cases_without_an_agent(client, logged_in, make_queue_case):
    waiting = make_queue_case()
    make_queue_case(status=c.OPEN, assignee=logged_in)
    make_queue_case(status=c.RESOLVED)

    assert folios(client, "/cases/?view=unassigned") == [waiting.folio]


def test_my_team_holds_my_teams_active_cases(db, client, logged_in, team, make_queue_case):
    logged_in.team = team
    db.commit()
    ours = make_queue_case(team=team)
    ours_claimed = make_queue_case(team=team, status=c.OPEN, assignee=logged_in)
    make_queue_case(team=team, status=c.CLOSED)
    make_queue_case()  # no team

    assert sorted(folios(client, "/cases/?view=team")) == sorted([ours.folio, ours_claimed.folio])


def test_my_team_is_empty_for_an_agent_without_a_team(client, logged_in, team, make_queue_case):
    make_queue_case(team=team)
    make_queue_case()

    page = client.get("/cases/?view=team").get_data(as_text=True)

    assert FOLIO_CELL.findall(page) == []
    assert "No perteneces a ningún equipo." in page


def test_all_is_the_default_and_holds_every_active_case(client, logged_in, make_queue_case):
    active = [
        make_queue_case(),
        make_queue_case(status=c.OPEN, assignee=logged_in),
        make_queue_case(status=c.PENDING),
    ]
    make_queue_case(status=c.RESOLVED)
    make_queue_case(status=c.CLOSED)

    assert sorted(folios(client, "/cases/")) == sorted(case.folio for case in active)
    assert sorted(folios(client, "/cases/?view=all")) == sorted(case.folio for case in active)


def test_the_done_view_holds_resolved_and_closed_cases_newest_first(
    client, logged_in, make_queue_case
):
    now = utcnow()
    resolved = make_queue_case(status=c.RESOLVED, opened_at=now - timedelta(days=2))
    closed = make_queue_case(status=c.CLOSED, opened_at=now - timedelta(days=9))
    make_queue_case()

    assert folios(client, "/cases/?view=done") == [resolved.folio, closed.folio]
    assert folios(client, "/cases/?view=done&status=closed") == [closed.folio]


def test_a_status_filter_narrows_a_view_to_that_status(client, logged_in, make_queue_case):
    pending = make_queue_case(status=c.PENDING)
    make_queue_case(status=c.NEW)
    resolved_by_me = make_queue_case(status=c.RESOLVED, assignee=logged_in)
    make_queue_case(status=c.RESOLVED)

    assert folios(client, "/cases/?status=pending") == [pending.folio]
    # One status, whatever it is: "mine" with "resolved" is what I resolved.
    assert folios(client, "/cases/?view=mine&status=resolved") == [resolved_by_me.folio]


def test_priority_topic_and_channel_filters(client, logged_in, make_queue_case):
    urgent = make_queue_case(priority=c.URGENT, topic="Pasaporte")
    by_sms = make_queue_case(channel="sms", topic="curp")
    plain = make_queue_case(topic="pasaporte")

    assert folios(client, "/cases/?priority=urgent") == [urgent.folio]
    assert folios(client, "/cases/?channel=sms") == [by_sms.folio]
    # Topics are typed by people and the assistant: any capitalization.
    assert sorted(folios(client, "/cases/?topic=PASAPORTE")) == sorted([urgent.folio, plain.folio])
    assert folios(client, "/cases/?topic=pasaporte&channel=sms") == []


def test_the_overdue_filter_is_sla_is_overdue_said_in_sql(db, agent, make_queue_case):
    now = utcnow()
    earlier, later = now - timedelta(hours=1), now + timedelta(hours=1)
    made = [
        make_queue_case(
            status=status,
            first_response_at=answered,
            first_response_due_at=first_due,
            resolution_due_at=resolution_due,
        )
        for status in (c.NEW, c.PENDING, c.RESOLVED)
        for answered in (None, now - timedelta(hours=3))
        for first_due in (None, earlier, later)
        for resolution_due in (None, earlier - timedelta(minutes=5), later)
    ]
    viewer = search.Viewer(agent.id, None)

    def listed(**filters: Any) -> set[int]:
        page = search.queue_page(db, viewer, search.Filters(**filters), now=now, per_page=len(made))
        return {row.case.id for row in page.rows}

    overdue = {case.id for case in made if sla.is_overdue(case, now)}
    assert overdue and overdue != {case.id for case in made}  # both kinds are there
    assert listed(overdue=True) == overdue
    assert listed(overdue=False) - overdue == {case.id for case in made if case.is_active} - overdue
    assert listed(view=search.DONE, overdue=True) == set()
    counts = search.view_counts(db, viewer, now)
    assert counts["overdue"] == len(overdue)


def test_overdue_cases_are_highlighted(client, logged_in, make_queue_case):
    now = utcnow()
    late = make_queue_case(first_response_due_at=now - timedelta(minutes=5))
    on_time = make_queue_case(first_response_due_at=now + timedelta(hours=1))

    page = client.get("/cases/").get_data(as_text=True)
    rows = {
        folio: row
        for row in re.findall(r"<tr[^>]*>.*?</tr>", page, re.S)
        for folio in FOLIO_CELL.findall(row)
    }

    assert 'class="overdue"' in rows[late.folio] and "Vencido" in rows[late.folio]
    assert 'class="overdue"' not in rows[on_time.folio]
    assert "Vencido" not in rows[on_time.folio]
    assert folios(client, "/cases/?overdue=1") == [late.folio]


# --- order and pages ----------------------------------------------------------------------


def test_the_default_order_is_soonest_due_first_overdue_on_top_no_due_time_last(
    client, logged_in, make_queue_case
):
    now = utcnow()
    no_due = make_queue_case(first_response_due_at=None, resolution_due_at=None)
    later = make_queue_case(
        status=c.OPEN,
        first_response_at=now - timedelta(hours=1),
        first_response_due_at=now - timedelta(hours=2),  # met: only the resolution counts
        resolution_due_at=now + timedelta(hours=2),
    )
    soon = make_queue_case(first_response_due_at=now + timedelta(minutes=30))
    late = make_queue_case(first_response_due_at=now - timedelta(minutes=10))
    latest = make_queue_case(first_response_due_at=now - timedelta(hours=3))

    expected = [latest.folio, late.folio, soon.folio, later.folio, no_due.folio]
    assert folios(client, "/cases/") == expected
    assert folios(client, "/cases/?sort=due") == expected


def test_newest_and_oldest_order_by_when_cases_were_opened(client, logged_in, make_queue_case):
    now = utcnow()
    middle = make_queue_case(opened_at=now - timedelta(hours=2))
    old = make_queue_case(opened_at=now - timedelta(days=1))
    new = make_queue_case(opened_at=now - timedelta(minutes=1))

    assert folios(client, "/cases/?sort=newest") == [new.folio, middle.folio, old.folio]
    assert folios(client, "/cases/?sort=oldest") == [old.folio, middle.folio, new.folio]


def test_pages_hold_cases_per_page_and_keep_the_filters(app, client, logged_in, make_queue_case):
    app.config["CASES_PER_PAGE"] = 2
    now = utcnow()
    made = [make_queue_case(priority=c.HIGH, opened_at=now - timedelta(hours=n)) for n in range(5)]
    make_queue_case(priority=c.LOW)

    first = client.get("/cases/?priority=high&sort=oldest").get_data(as_text=True)
    third = folios(client, "/cases/?priority=high&sort=oldest&page=3")

    assert FOLIO_CELL.findall(first) == [made[4].folio, made[3].folio]
    assert "Página 1 de 3" in first
    next_link = re.search(r'href="([^"]+)" rel="next"', first)
    assert next_link is not None
    assert sorted(next_link.group(1).replace("&amp;", "&").split("?")[1].split("&")) == [
        "page=2",
        "priority=high",
        "sort=oldest",
        "view=all",
    ]
    assert third == [made[0].folio]
    assert folios(client, "/cases/?priority=high&sort=oldest&page=9") == []


def test_tabs_count_the_cases_of_each_working_view(db, client, logged_in, team, make_queue_case):
    logged_in.team = team
    db.commit()
    make_queue_case(status=c.OPEN, assignee=logged_in, team=team)
    make_queue_case(team=team)
    make_queue_case()
    make_queue_case(status=c.RESOLVED)
    make_queue_case(status=c.CLOSED)
    make_queue_case(status=c.CLOSED)

    def tabs(url: str) -> dict[str, str]:
        page = client.get(url).get_data(as_text=True)
        pattern = r'\?view=(\w+)[^"]*"[^>]*>\s*[^<]+<span class="tab-count">(\d+)</span>'
        return dict(re.findall(pattern, page))

    # The views' own sizes: a filter narrows the list, not the tabs. The done view,
    # which only grows, is counted when it is the one shown.
    assert tabs("/cases/?priority=urgent") == {
        "mine": "1",
        "unassigned": "2",
        "team": "2",
        "all": "3",
    }
    assert tabs("/cases/?view=done")["done"] == "3"


# --- search -------------------------------------------------------------------------------


def test_search_by_folio_is_exact(client, logged_in, make_queue_case):
    wanted = make_queue_case()
    make_queue_case()
    year = wanted.folio.split("-")[1]

    assert folios(client, f"/cases/?q={wanted.folio}") == [wanted.folio]
    assert folios(client, f"/cases/?q=%20{wanted.folio.lower()}%20") == [wanted.folio]
    # The same number in another year is another folio.
    other_year = wanted.folio.replace(f"-{year}-", f"-{int(year) - 1}-")
    assert folios(client, f"/cases/?q={other_year}") == []
    assert folios(client, "/cases/?q=CAB-2026-99999999999") == []


def test_search_by_phone_matches_the_end_of_the_number(client, logged_in, make_queue_case):
    wanted = make_queue_case(citizen_address="whatsapp:+5215512345678")
    by_sms = make_queue_case(channel="sms", citizen_address="+5213398765432")
    make_queue_case(citizen_address="whatsapp:+5218112340000")

    assert folios(client, "/cases/?q=12345678") == [wanted.folio]
    assert folios(client, "/cases/?q=55 1234 5678") == [wanted.folio]
    assert folios(client, "/cases/?q=%2B52 1 33 9876 5432") == [by_sms.folio]
    assert folios(client, "/cases/?q=5678") == [wanted.folio]
    assert folios(client, "/cases/?q=1234") == []  # the middle of a number is not its end


def test_search_by_profile_name(client, logged_in, make_queue_case):
    wanted = make_queue_case(profile_name="María Guadalupe Hernández")
    make_queue_case(profile_name="José Pérez")

    assert folios(client, "/cases/?q=Guadalupe") == [wanted.folio]
    assert folios(client, "/cases/?q=guadalupe hern") == [wanted.folio]


def test_search_by_message_text(client, logged_in, make_queue_case, make_message):
    wanted = make_queue_case()
    make_message(wanted.conversation, body="Necesito renovar mi pasaporte, vivo en Chetumal")
    other = make_queue_case()
    make_message(other.conversation, body="¿Cuándo pagan la beca?")

    assert folios(client, "/cases/?q=Chetumal") == [wanted.folio]
    assert folios(client, "/cases/?q=renovar pasaporte") == [wanted.folio]
    assert folios(client, "/cases/?q=licencia") == []


def test_message_search_stems_spanish_on_postgresql_and_matches_text_on_sqlite(
    db, client, logged_in, make_queue_case, make_message
):
    wanted = make_queue_case()
    make_message(wanted.conversation, body="Quiero tramitar el pasaporte de mi hija")

    found = folios(client, "/cases/?q=pasaportes")

    if db.get_bind().dialect.name == "postgresql":
        assert found == [wanted.folio]  # "pasaportes" and "pasaporte" share a stem
    else:
        assert found == []  # SQLite's fallback is LIKE: the text as typed
    assert folios(client, "/cases/?q=pasaporte") == [wanted.folio]


def test_like_wildcards_in_a_search_are_plain_characters(
    client, logged_in, make_queue_case, make_message
):
    make_message(make_queue_case(profile_name="Ana").conversation, body="hola")
    percent = make_queue_case(profile_name="Ana 100% Ruiz")

    assert folios(client, "/cases/?q=%25%25") == []
    assert folios(client, "/cases/?q=100%25 Ruiz") == [percent.folio]
    assert folios(client, "/cases/?q=__") == []


def test_a_search_looks_within_the_view(client, logged_in, make_queue_case):
    resolved = make_queue_case(status=c.RESOLVED)

    assert folios(client, f"/cases/?q={resolved.folio}") == []
    assert folios(client, f"/cases/?view=done&q={resolved.folio}") == [resolved.folio]


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("view=everyone", "view no acepta «everyone»"),
        ("status=archived", "status no acepta «archived»"),
        ("priority=critical", "priority no acepta «critical»"),
        ("channel=fax", "channel no acepta «fax»"),
        ("sort=random", "sort no acepta «random»"),
        ("page=0", "page debe ser un número entero de 1 en adelante."),
        ("page=-2", "page debe ser un número entero de 1 en adelante."),
        ("page=dos", "page debe ser un número entero de 1 en adelante."),
        ("page=99999999999999999999", "page debe ser un número entero de 1 en adelante."),
        ("overdue=maybe", "overdue acepta 1 (solo vencidos) o 0."),
        ("topic=" + "t" * 121, "El tema pasa de 120 caracteres."),
        ("q=" + "x" * 101, "La búsqueda pasa de 100 caracteres."),
        ("q=12", "escribe al menos 4 dígitos"),
        ("q=a", "Escribe al menos 2 letras para buscar."),
        (
            "view=done&status=new",
            "La vista de resueltos y cerrados no tiene casos en estado «new».",
        ),
    ],
)
def test_bad_parameters_are_a_400_that_says_what_is_wrong(client, logged_in, query, message):
    response = client.get(f"/cases/?{query}")

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_bad_parameters_are_json_for_clients_that_ask_for_it(client, logged_in):
    response = client.get("/cases/?sort=random", headers={"Accept": "application/json"})

    assert response.status_code == 400
    assert "sort no acepta" in response.get_json()["message"]


# --- who sees what --------------------------------------------------------------------------


def test_an_agent_sees_masked_phones_and_a_supervisor_the_full_number(
    client, make_agent, make_queue_case
):
    make_queue_case(citizen_address="whatsapp:+5218187654321")
    agent = make_agent(role="agent")
    supervisor = make_agent(role="supervisor")

    sign_in(client, agent)
    as_agent = client.get("/cases/").get_data(as_text=True)
    client.post("/logout")
    sign_in(client, supervisor)
    as_supervisor = client.get("/cases/").get_data(as_text=True)

    assert mask_phone("+5218187654321") in as_agent
    assert "87654321" not in as_agent
    assert "+5218187654321" in as_supervisor


def test_a_trainer_may_not_work_the_queue(client, make_agent):
    sign_in(client, make_agent(role="trainer"))

    assert client.get("/cases/").status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/cases/")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- cost ---------------------------------------------------------------------------------


def test_the_queries_of_a_page_do_not_grow_with_its_rows(
    db, client, logged_in, team, make_agent, make_queue_case
):
    statements: list[str] = []

    def record(_conn, _cursor, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):  # not the tests' SAVEPOINTs
            statements.append(statement)

    def queries_for(url: str) -> int:
        statements.clear()
        sa.event.listen(db.get_bind(), "before_cursor_execute", record)
        try:
            assert client.get(url).status_code == 200
        finally:
            sa.event.remove(db.get_bind(), "before_cursor_execute", record)
        return len(statements)

    make_queue_case(status=c.OPEN, assignee=make_agent(team=team), team=team)
    client.get("/cases/")  # the first request of a session may set things up
    with_one = queries_for("/cases/")
    for number in range(12):
        make_queue_case(
            status=c.OPEN,
            assignee=make_agent(name=f"Agente {number}", team=team),
            team=team,
            profile_name=f"Ciudadano {number}",
        )

    assert queries_for("/cases/") == with_one
    assert queries_for("/cases/?q=Ciudadano") == queries_for("/cases/?q=Ciudadano 7")


def test_postgresql_plans_use_the_indexes_of_migration_0005(db, agent, make_queue_case):
    """The queries' expressions must be the indexes' own, or the planner ignores them."""
    bind = db.get_bind()
    indexes = {
        name
        for (name,) in db.execute(
            sa.text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
            if bind.dialect.name == "postgresql"
            else sa.text("SELECT name FROM sqlite_master WHERE type = 'index'")
        )
    }
    if bind.dialect.name != "postgresql":
        # SQLite cannot reflect expression indexes; its queue runs without them.
        assert not indexes & search.POSTGRESQL_INDEXES
        return
    assert indexes >= search.POSTGRESQL_INDEXES
    make_queue_case()
    # On a handful of rows a sequential scan is cheapest; forbid it (and sorting) so
    # that the plan shows whether an index *can* serve the query.
    db.execute(sa.text("SET LOCAL enable_seqscan = off"))
    db.execute(sa.text("SET LOCAL enable_sort = off"))
    viewer = search.Viewer(agent.id, None)

    def plan(**filters: Any) -> str:
        _count, ids = search.page_statements(
            search.Filters(**filters), viewer, now=utcnow(), per_page=25, dialect="postgresql"
        )
        sql = str(
            ids.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
        ).replace("%%", "%")
        explained = db.execute(sa.text("EXPLAIN " + sql.replace(":", r"\:")))
        return "\n".join(line for (line,) in explained)

    assert "ix_cases_active_due" in plan()
    assert "ix_cases_active_due" in plan(overdue=True)
    assert "ix_cases_done_opened" in plan(view=search.DONE)
    assert "ix_conversations_phone_reversed" in plan(q="12345678")
    assert "ix_messages_body_fts" in plan(q="pasaporte")


# --- seed-perf ------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_app(request: pytest.FixtureRequest, tmp_path, monkeypatch: pytest.MonkeyPatch):
    """An app on a database of its own: seed-perf commits, which the shared one must not see."""
    monkeypatch.setenv("DESK_INSTANCE_PATH", str(tmp_path))

    def app_on(url: str):  # type: ignore[no-untyped-def]
        app = create_app(BASE_CONFIG | {"DATABASE_URL": url})
        with app.app_context():
            upgrade_database()
        return app

    if request.param == "sqlite":
        app = app_on(f"sqlite:///{tmp_path / 'seed.db'}")
        yield app
        app.extensions["desk.db"].kw["bind"].dispose()
        return
    reason = unreachable_reason()
    if reason:
        pytest.skip(reason)
    with temporary_schema("desk_seed") as url:
        app = app_on(url)
        yield app
        app.extensions["desk.db"].kw["bind"].dispose()


def test_seed_perf_fills_an_empty_database_and_says_how_much(empty_app):
    result = empty_app.test_cli_runner().invoke(
        args=["cases", "seed-perf", "--cases", "60", "--messages", "600"]
    )

    assert result.exit_code == 0, result.output
    assert "60 conversations, 60 cases and 600 messages in" in result.output
    with empty_app.app_context():
        session = get_session()
        count = lambda model: session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
        assert (count(Conversation), count(Case), count(Message)) == (60, 60, 600)
        statuses = set(session.scalars(sa.select(Case.status).distinct()))
        assert set(c.ACTIVE) & statuses and {c.RESOLVED, c.CLOSED} & statuses
        # What was seeded is what the queue finds.
        case = session.scalars(sa.select(Case).where(search.active_condition()).limit(1)).one()
        agent = session.get(Agent, case.assignee_id) if case.assignee_id else None
        viewer = search.Viewer(agent.id if agent else 0, agent.team_id if agent else None)
        found = search.queue_page(
            session, viewer, search.Filters(q=case.folio), now=utcnow(), per_page=25
        )
        assert [row.case.id for row in found.rows] == [case.id]
        # Every message belongs to its case's conversation, and the indexes are back.
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(Message)
                .join(Case, Case.id == Message.case_id)
                .where(Case.conversation_id != Message.conversation_id)
            )
            == 0
        )
        if session.get_bind().dialect.name == "postgresql":
            names = set(
                session.scalars(
                    sa.text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
                )
            )
            assert names >= search.POSTGRESQL_INDEXES
            assert {"ix_messages_queue", "ix_messages_conversation"} <= names


def test_seed_perf_refuses_a_database_with_conversations_unless_forced(empty_app):
    runner = empty_app.test_cli_runner()
    runner.invoke(args=["cases", "seed-perf", "--cases", "5", "--messages", "10"])

    refused = runner.invoke(args=["cases", "seed-perf", "--cases", "5", "--messages", "10"])
    forced = runner.invoke(
        args=["cases", "seed-perf", "--cases", "5", "--messages", "10", "--force"]
    )

    assert refused.exit_code != 0 and "--force" in refused.output
    assert forced.exit_code == 0, forced.output
    with empty_app.app_context():
        assert get_session().scalar(sa.select(sa.func.count()).select_from(Case)) == 10
