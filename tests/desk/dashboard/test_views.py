"""The dashboard page and the CSV of cases: who may see them, the period they take,
the data block the charts draw from, and what the CSV may and may not contain."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime

import pytest

from desk import permissions
from desk.dashboard import services, views
from desk.models import message as m
from desk.models.agent import SUPERVISOR
from tests.desk.dashboard.conftest import AFTER, WEEK, local, minutes

WEEK_QUERY = "from=2026-03-01&to=2026-03-07"


def chart_data(html: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.DOTALL
    )
    assert match, "no JSON data block in the page"
    return json.loads(match.group(1))


def csv_rows(response) -> list[dict[str, str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # the BOM Excel needs for the accents
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


# --- who may see it -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/dashboard/", f"/dashboard/cases.csv?{WEEK_QUERY}"])
def test_an_agent_is_refused_the_dashboard_and_the_csv(client, sign_in, path):
    sign_in("agent")

    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/cases.csv"])
def test_someone_not_signed_in_is_sent_to_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_supervisor_sees_the_dashboard_and_its_link_in_the_top_bar(client, sign_in):
    sign_in("supervisor")

    response = client.get("/dashboard/")

    assert response.status_code == 200
    assert '<a href="/dashboard/">Tablero</a>' in response.get_data(as_text=True)


def test_an_agent_gets_no_dashboard_link(client, sign_in):
    sign_in("agent")

    assert "Tablero" not in client.get("/cases/").get_data(as_text=True)


# --- the period -----------------------------------------------------------------------


def test_by_default_the_period_is_the_last_30_local_days(client, sign_in, monkeypatch):
    sign_in("supervisor")
    # 02:00 UTC on April 2nd is still April 1st in Mexico City.
    monkeypatch.setattr(views, "utcnow", lambda: datetime(2026, 4, 2, 2, tzinfo=UTC))

    html = client.get("/dashboard/").get_data(as_text=True)

    days = chart_data(html)["daily"]["labels"]
    assert (len(days), days[0], days[-1]) == (30, "2026-03-03", "2026-04-01")
    assert 'value="2026-04-01"' in html  # the fields show the period in force


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-02-30", "La fecha inicial no es válida"),
        ("to=ayer", "La fecha final no es válida"),
        ("from=2026-03-07&to=2026-03-01", "es posterior a la final"),
        ("from=2020-01-01&to=2026-01-01", "no puede pasar de 366 días"),
        ("from=0001-01-01&to=0001-01-02", "fuera del rango"),
    ],
)
def test_a_bad_or_inverted_period_is_a_400_that_says_why(client, sign_in, query, message):
    sign_in("supervisor")

    page = client.get(f"/dashboard/?{query}")
    export = client.get(f"/dashboard/cases.csv?{query}")

    assert (page.status_code, export.status_code) == (400, 400)
    assert message in page.get_data(as_text=True)
    assert message in export.get_data(as_text=True)
    assert 'id="dashboard-data"' not in page.get_data(as_text=True)


def test_make_period_defaults_and_limits():
    today = date(2026, 3, 31)

    assert services.make_period(None, None, today=today) == services.Period(date(2026, 3, 2), today)
    assert services.make_period(None, date(2026, 3, 7), today=today) == services.Period(
        date(2026, 2, 6), date(2026, 3, 7)
    )
    assert services.make_period(date(2026, 3, 5), date(2026, 3, 5), today=today).days == [
        date(2026, 3, 5)
    ]
    with pytest.raises(services.InvalidPeriod):
        services.make_period(date(2025, 1, 1), date(2026, 1, 2), today=today)


def test_a_period_spans_local_midnight_to_local_midnight():
    assert WEEK.start.isoformat() == "2026-03-01T06:00:00+00:00"
    assert WEEK.end.isoformat() == "2026-03-08T06:00:00+00:00"


# --- the page -------------------------------------------------------------------------


def test_the_page_embeds_the_chart_data_as_a_json_block_and_loads_chart_js(
    client, sign_in, make_conversation, make_message, add_case
):
    person = sign_in("supervisor", name="Sofía Supervisora")
    conversation = make_conversation()
    make_message(conversation, created_at=local(2, 9))
    make_message(conversation, direction=m.OUTBOUND, created_at=local(2, 9, 1))
    add_case(
        conversation,
        opened_at=local(2, 9, 2),
        topic="becas </script><script>alert(1)</script>",
        assignee_id=person.id,
        status="open",
        csat_score=4,
    )

    html = client.get(f"/dashboard/?{WEEK_QUERY}").get_data(as_text=True)
    data = chart_data(html)

    assert data["daily"]["labels"][1] == "2026-03-02"
    assert [s["data"][1] for s in data["daily"]["series"]] == [1, 1, 1]
    assert data["topics"]["labels"] == ["becas </script><script>alert(1)</script>"]
    assert data["csat"] == {
        "labels": ["1", "2", "3", "4", "5"],
        "series": [{"label": "Respuestas", "data": [0, 0, 0, 1, 0]}],
    }
    assert data["agents"]["labels"] == ["Sofía Supervisora"]
    # The topic cannot close the block: |tojson escapes < and >.
    assert "<script>alert(1)" not in html
    assert '<script src="/static/vendor/chart.umd.min.js" defer></script>' in html
    assert '<script src="/static/dashboard.js" defer></script>' in html


def test_every_script_in_the_page_is_a_file_or_data(client, sign_in):
    sign_in("supervisor")

    html = client.get("/dashboard/").get_data(as_text=True)

    # The CSP runs scripts only from the desk's files; a JSON block is never run.
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_the_page_shows_the_numbers_in_tables_too(client, sign_in, add_case):
    sign_in("supervisor")
    add_case(opened_at=local(3), reason="complaint", topic="pensión")
    add_case(
        opened_at=local(3),
        first_response_at=local(3) + minutes(5),
        first_response_due_at=local(3) + minutes(1),
    )

    html = client.get(f"/dashboard/?{WEEK_QUERY}").get_data(as_text=True)

    assert '<th scope="row">pensión</th><td class="num">1</td>' in html
    assert '<th scope="row">Queja</th><td class="num">1</td>' in html
    assert "5 min" in html  # the median first response, written for people
    assert "Descargar los casos (CSV)" in html
    assert "/dashboard/cases.csv?from=2026-03-01&amp;to=2026-03-07" in html


def test_the_chart_library_and_its_license_are_served_from_the_desk(client):
    script = client.get("/static/vendor/chart.umd.min.js")
    notice = client.get("/static/vendor/chart.umd.min.js.LICENSE.md")

    assert script.status_code == 200 and b"Chart.js v4" in script.data[:200]
    assert notice.status_code == 200 and b"MIT License" in notice.data
    script.close()
    notice.close()


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "—"),
        (42.4, "42 s"),
        (7 * 60 + 10, "7 min"),
        (2 * 3600 + 5 * 60, "2 h 05 min"),
        (3 * 86400 + 4 * 3600 + 59, "3 d 4 h"),
    ],
)
def test_durations_are_written_for_people(seconds, shown):
    assert views.format_duration(seconds) == shown


# --- the CSV --------------------------------------------------------------------------


def test_the_csv_lists_the_periods_cases_with_their_times_and_breaches(
    client, sign_in, make_conversation, add_case
):
    person = sign_in("supervisor", name="Ana Agente")
    sms = make_conversation(channel="sms", citizen_address="+5215512345678")
    case = add_case(
        sms,
        opened_at=local(2, 9),
        status="resolved",
        priority="high",
        reason="complaint",
        topic="becas",
        tags=["urgente", "cdmx"],
        assignee_id=person.id,
        first_response_at=local(2, 9, 30),
        first_response_due_at=local(2, 9, 15),
        resolved_at=local(2, 10),
        resolution_due_at=local(2, 17),
        csat_score=5,
    )
    add_case(opened_at=local(28, month=2))  # before the week: not exported

    response = client.get(f"/dashboard/cases.csv?{WEEK_QUERY}", buffered=False)
    assert response.is_streamed  # a generator, not a string built in memory
    rows = csv_rows(response)

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="casos_2026-03-01_2026-03-07.csv"' in response.headers["Content-Disposition"]
    assert rows == [
        {
            "folio": case.folio,
            "abierto": "2026-03-02T09:00:00-06:00",
            "estado": "Resuelto",
            "prioridad": "Alta",
            "motivo": "Queja",
            "tema": "becas",
            "etiquetas": "urgente, cdmx",
            "canal": "SMS",
            "agente": "Ana Agente",
            # Supervisors see numbers; the formula guard still quotes the leading +.
            "telefono": "'+5215512345678",
            "primera_respuesta": "2026-03-02T09:30:00-06:00",
            "resuelto": "2026-03-02T10:00:00-06:00",
            "cerrado": "",
            "csat": "5",
            "sla_primera_respuesta_incumplido": "1",
            "sla_resolucion_incumplido": "0",
        }
    ]


def test_the_csv_masks_the_phone_for_someone_who_may_not_see_numbers(
    client, sign_in, monkeypatch, make_conversation, add_case
):
    # No role has the dashboard without full numbers today; the CSV must not depend on it.
    monkeypatch.setitem(permissions.MATRIX, SUPERVISOR, frozenset({permissions.VIEW_DASHBOARD}))
    sign_in("supervisor")
    add_case(make_conversation(citizen_address="whatsapp:+5215512345678"), opened_at=local(2))

    (row,) = csv_rows(client.get(f"/dashboard/cases.csv?{WEEK_QUERY}"))

    assert "12345678" not in row["telefono"]
    assert row["telefono"] == "'" + permissions.mask_phone("+5215512345678")
    assert row["telefono"].endswith("5678")


def test_the_csv_defuses_cells_a_spreadsheet_would_run_as_formulas(
    client, sign_in, make_agent, add_case
):
    sign_in("supervisor")
    evil = make_agent(name="@SUM(A1:A9)")
    add_case(
        opened_at=local(2),
        topic='=HYPERLINK("http://evil.example","clic")',
        tags=["-2+3"],
        assignee_id=evil.id,
    )
    add_case(opened_at=local(2, 13), topic="+52 trámite")
    add_case(opened_at=local(2, 14), topic="pensión = apoyo")  # an = inside is harmless

    rows = csv_rows(client.get(f"/dashboard/cases.csv?{WEEK_QUERY}"))

    assert rows[0]["tema"] == '\'=HYPERLINK("http://evil.example","clic")'
    assert rows[0]["etiquetas"] == "'-2+3"
    assert rows[0]["agente"] == "'@SUM(A1:A9)"
    assert rows[1]["tema"] == "'+52 trámite"
    assert rows[2]["tema"] == "pensión = apoyo"


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_safe_cell_quotes_every_formula_start(cell):
    assert services.safe_cell(cell) == "'" + cell
    assert services.safe_cell("a" + cell) == "a" + cell


def test_the_export_reads_in_chunks_and_misses_no_case(db, add_case):
    opened = [add_case(opened_at=local(2, hour)) for hour in range(8, 13)]

    chunks = list(services.export_chunks(db, WEEK, now=AFTER, show_phones=True, chunk_size=2))

    assert len(chunks) == 1 + 3  # the header, then 2 + 2 + 1 cases
    rows = list(csv.reader(io.StringIO("".join(chunks))))
    assert rows[0] == list(services.EXPORT_COLUMNS)
    assert [row[0] for row in rows[1:]] == [case.folio for case in opened]


def test_the_export_flags_a_first_response_still_missing_past_due(db, add_case):
    add_case(opened_at=local(2), first_response_due_at=local(2, 13), resolution_due_at=local(3))

    (header, row) = csv.reader(
        io.StringIO("".join(services.export_chunks(db, WEEK, now=AFTER, show_phones=False)))
    )

    flags = dict(zip(header, row, strict=True))
    assert (flags["sla_primera_respuesta_incumplido"], flags["sla_resolucion_incumplido"]) == (
        "1",
        "1",
    )
