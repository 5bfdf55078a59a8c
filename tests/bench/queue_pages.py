"""Benchmark: the agents' queue at 100,000 cases and 1,000,000 messages, on PostgreSQL.

In a fresh schema of the given server: migrations, then ``flask --app desk cases
seed-perf`` (timed), then ~50 requests each through the Flask test client, signed in
as one of the seeded agents: every view, every filter, a page deep in the list, and
searches by folio, phone, name and message text. Prints p50 / p95 per request and the
EXPLAIN (ANALYZE, BUFFERS) plans of the queue's main queries, to show their indexes.

    .venv-desk/bin/python tests/bench/queue_pages.py [postgresql+psycopg://user@host:port/db]
        [--cases 100000] [--messages 1000000] [--requests 50]

The server URL may also come from TEST_POSTGRES_URL. Not part of `make test`.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and its name would hide
# the standard library's queue module (psycopg needs it): the project root instead.
ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "tests" / "bench"
sys.path[:] = [str(ROOT)] + [path for path in sys.path if Path(path or ".").resolve() != HERE]

import argparse  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("TEST_POSTGRES_URL"))
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument(
        "--seeded",
        metavar="DATABASE_URL",
        help="measure this database, already filled by seed-perf, instead of a fresh schema",
    )
    options = parser.parse_args()
    if options.url:
        # tests.support.postgres reads the server from here, at import.
        os.environ["TEST_POSTGRES_URL"] = options.url
    os.environ["DESK_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="queue-bench-")

    from tests.support.postgres import temporary_schema, unreachable_reason

    reason = unreachable_reason()
    if reason:
        sys.exit(reason)
    if options.seeded:
        app = desk_app(options.seeded)
        measure(app, options)
        return
    with temporary_schema("queue_bench") as url:
        app = desk_app(url)
        seed(app, options)
        measure(app, options)


def desk_app(url: str):  # type: ignore[no-untyped-def]
    from desk import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "queue-bench",
            "PUBLIC_BASE_URL": "https://desk.example.test",
            "TWILIO_AUTH_TOKEN": "queue-bench",
            "DESK_API_TOKEN": "queue-bench",
            "RASA_TOKEN": "queue-bench",
            "WTF_CSRF_ENABLED": False,
        }
    )


def seed(app, options: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    """The schema by the migrations, then the rows by the real command, timed."""
    from desk.cli import upgrade_database

    with app.app_context():
        upgrade_database()
    started = time.monotonic()
    result = app.test_cli_runner().invoke(
        args=[
            "cases",
            "seed-perf",
            "--cases",
            str(options.cases),
            "--messages",
            str(options.messages),
        ]
    )
    print(result.output, end="")
    if result.exit_code != 0:
        raise SystemExit(f"seed-perf failed: {result.exception!r}")
    print(f"seed-perf took {time.monotonic() - started:.1f} s (wall clock)\n")


def measure(app, options: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    from desk.db import get_session

    with app.app_context():
        session = get_session()
        targets = pick_targets(session)
        session.commit()
    vacuum(app)

    client = app.test_client()
    response = client.post("/login", data={"email": targets["email"], "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    deep_page = max(1, targets["active"] // app.config["CASES_PER_PAGE"] // 2)
    last_page = max(1, -(-targets["active"] // app.config["CASES_PER_PAGE"]))
    requests = [
        ("baseline: /health (no database)", "/health"),
        ("queue, default view (all active)", "/cases/"),
        ("view: mine", "/cases/?view=mine"),
        ("view: unassigned", "/cases/?view=unassigned"),
        ("view: my team", "/cases/?view=team"),
        ("view: resolved and closed", "/cases/?view=done"),
        ("filter: status pending", "/cases/?status=pending"),
        ("filter: priority urgent", "/cases/?priority=urgent"),
        ("filter: topic pasaporte", "/cases/?topic=pasaporte"),
        ("filter: channel sms", "/cases/?channel=sms"),
        ("filter: overdue", "/cases/?overdue=1"),
        ("sort: newest", "/cases/?sort=newest"),
        ("sort: oldest", "/cases/?sort=oldest"),
        (f"page {deep_page} of {last_page} (middle)", f"/cases/?page={deep_page}"),
        (f"page {last_page} of {last_page} (last)", f"/cases/?page={last_page}"),
        ("done, page 1000 newest", "/cases/?view=done&page=1000"),
        ("search: folio", f"/cases/?q={targets['folio']}"),
        ("search: folio, resolved case", f"/cases/?view=done&q={targets['done_folio']}"),
        ("search: phone (last 8 digits)", f"/cases/?q={targets['phone']}"),
        ("search: profile name", f"/cases/?q={targets['name']}"),
        ("search: rare word (a town)", "/cases/?q=Chetumal"),
        ("search: common word (pasaportes)", "/cases/?q=pasaportes"),
        ("search: common word, resolved", "/cases/?view=done&q=pasaportes"),
        ("search: word + overdue + whatsapp", "/cases/?q=beca&overdue=1&channel=whatsapp"),
    ]
    from tests.bench.stats import percentile

    print(
        f"{options.requests} requests each, Flask test client, signed in as "
        f"{targets['email']} ({targets['active']:,} active cases)"
    )
    print(f"{'request':<40} {'p50':>9} {'p95':>9} {'max':>9}  rows")
    for label, path in requests:
        for _ in range(2):  # warm: the first request pays for the templates and the pool
            client.get(path)
        samples = []
        for _ in range(options.requests):
            begin = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        page = response.get_data(as_text=True)
        total = re.search(r'<span class="count">(\d+)</span>', page)
        print(
            f"{label:<40} {statistics.median(samples):7.1f}ms {percentile(samples, 95):7.1f}ms"
            f" {max(samples):7.1f}ms  {total.group(1) if total else '?'}"
        )
    print()
    explain(app, targets, deep_page)
    app.extensions["desk.db"].kw["bind"].dispose()


PASSWORD = "queue-bench-password"


def pick_targets(session) -> dict:  # type: ignore[no-untyped-def]
    """A seeded agent to sign in as (in a team, with active cases), and things to find."""
    import sqlalchemy as sa

    from desk.cases import search
    from desk.models import Agent, Case, Conversation

    agent_id = session.scalar(
        sa.select(Case.assignee_id)
        .where(search.active_condition(), Case.assignee_id.is_not(None))
        .group_by(Case.assignee_id)
        .order_by(sa.func.count().desc())
        .limit(1)
    )
    agent = session.get(Agent, agent_id)
    agent.set_password(PASSWORD)
    active_case = session.scalars(
        sa.select(Case).where(search.active_condition()).order_by(Case.id.desc()).limit(1)
    ).one()
    done_case = session.scalars(
        sa.select(Case).where(search.done_condition()).order_by(Case.id).limit(1)
    ).one()
    conversation = session.get(Conversation, active_case.conversation_id)
    named = session.scalar(
        sa.select(Conversation.profile_name)
        .where(Conversation.profile_name.is_not(None))
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    return {
        "email": agent.email,
        "active": session.scalar(
            sa.select(sa.func.count()).select_from(Case).where(search.active_condition())
        ),
        "folio": active_case.folio,
        "done_folio": done_case.folio,
        "phone": (conversation.phone or "")[-8:],
        "name": named,
    }


def vacuum(app) -> None:  # type: ignore[no-untyped-def]
    """As autovacuum would soon: statistics and the visibility map (index-only scans)."""
    engine = app.extensions["desk.db"].kw["bind"]
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("conversations", "cases", "messages", "agents"):
            connection.exec_driver_sql(f"VACUUM ANALYZE {table}")


def explain(app, targets: dict, deep_page: int) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql

    from desk.cases import search
    from desk.db import get_session, utcnow
    from desk.models import Agent

    with app.app_context():
        session = get_session()
        agent = session.scalars(sa.select(Agent).filter_by(email=targets["email"])).one()
        viewer = search.Viewer(agent.id, agent.team_id)
        now = utcnow()
        per_page = app.config["CASES_PER_PAGE"]
        cases = [
            ("default view (all active, due soonest)", search.Filters()),
            ("mine", search.Filters(view=search.MINE)),
            ("overdue", search.Filters(overdue=True)),
            (f"page {deep_page}", search.Filters(page=deep_page)),
            ("resolved and closed, newest, page 1000", search.Filters(view=search.DONE, page=1000)),
            ("search folio", search.Filters(q=targets["folio"])),
            ("search phone", search.Filters(q=targets["phone"])),
            ("search profile name", search.Filters(q=targets["name"])),
            ("search common word", search.Filters(q="pasaportes")),
            ("search rare word", search.Filters(q="Chetumal")),
        ]
        for label, filters in cases:
            count, ids = search.page_statements(
                filters, viewer, now=now, per_page=per_page, dialect="postgresql"
            )
            statements = [("page ids", ids), ("count", count)]
            if filters.q:
                statements = [("page ids with the total", ids.add_columns(sa.func.count().over()))]
            if not filters.narrowed and filters.view == search.ALL and filters.page == 1:
                statements.append(("tab counts", search.view_counts_statement(viewer, now)))
            for kind, statement in statements:
                sql = str(
                    statement.compile(
                        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
                    )
                ).replace("%%", "%")
                # Colons escaped: text() would read ":01" in a timestamp as a parameter.
                explained = "EXPLAIN (ANALYZE, BUFFERS) " + sql.replace(":", r"\:")
                plan = session.execute(sa.text(explained))
                print(f"--- {label}: {kind}")
                for (line,) in plan:
                    print("   ", line)
        session.rollback()


if __name__ == "__main__":
    main()
