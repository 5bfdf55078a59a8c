"""composer.js in a real browser (Debian's Chromium, driven by Playwright): canned
replies from the keyboard, the SMS counter, the window closing, template fields.

The page's requests go to the Flask test client in the test's own thread (a Playwright
route), so the browser sees the app with its real headers (CSP included) inside the
test's rolled-back transaction."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from desk.models import Message
from desk.models import message as m
from desk.replies.window import sms_segments

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BASE = "http://desk.test"
WAIT_MS = 10_000


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url  # the browser is what is under test here; one database will do


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser, client):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )

    def answer(route) -> None:
        request = route.request
        url = urlsplit(request.url)
        if url.path == "/static/live.js":
            # Live updates are tests/desk/live's subject: here a refresh swapping the
            # composer mid-test would only make these tests about timing.
            route.fulfill(status=200, content_type="text/javascript", body=b"")
            return
        if url.path.startswith("/live/"):
            # The live stream never ends by itself (tests/desk/live drives it): here it
            # ends at once and asks the page to come back in an hour.
            route.fulfill(status=200, content_type="text/event-stream", body=b"retry: 3600000\n\n")
            return
        response = client.open(
            url.path + (f"?{url.query}" if url.query else ""),
            method=request.method,
            data=request.post_data_buffer,
            headers={
                "Content-Type": request.headers.get("content-type", ""),
                "Accept": request.headers.get("accept", "*/*"),
            },
        )
        body = response.get_data()
        response.close()  # static files are streamed from an open file
        route.fulfill(
            status=response.status_code,
            headers={k: v for k, v in response.headers.items() if k.lower() != "content-length"},
            body=body,
        )

    page.route(f"{BASE}/**", answer)
    yield page
    context.close()
    assert errors == []  # no script error, no CSP violation


def test_slash_and_a_shortcut_list_canned_replies_to_pick_from_the_keyboard(
    page, logged_in, make_case_on, make_canned
):
    case = make_case_on(profile_name="María")
    make_canned("horario", "Atendemos de 9 a 18 h, {nombre}.", title="Horario")
    make_canned("horas-extra", "Sábados de 9 a 13 h.", title="Horas extra")
    page.goto(f"{BASE}/cases/{case.id}")

    page.click("#body")
    page.keyboard.type("Hola. /hor")
    page.wait_for_selector("#canned-list li >> nth=1", timeout=WAIT_MS)
    page.keyboard.press("ArrowDown")

    assert page.get_attribute("#body", "aria-activedescendant") == "canned-opt-1"
    assert page.get_attribute("#canned-opt-1", "aria-selected") == "true"
    page.keyboard.press("Enter")
    assert page.input_value("#body") == "Hola. Sábados de 9 a 13 h."
    assert page.is_hidden("#canned-list")

    page.keyboard.type(" /hor")
    page.wait_for_selector("#canned-list li", timeout=WAIT_MS)
    page.keyboard.press("Escape")
    assert page.is_hidden("#canned-list")
    assert page.input_value("#body") == "Hola. Sábados de 9 a 13 h. /hor"


def test_the_search_field_inserts_at_the_replys_cursor(page, logged_in, make_case_on, make_canned):
    case = make_case_on(profile_name="María")
    make_canned("horario", "de 9 a 18 h", title="Horario")
    page.goto(f"{BASE}/cases/{case.id}")
    page.fill("#body", "Atendemos . Gracias.")
    page.evaluate("() => document.getElementById('body').setSelectionRange(10, 10)")

    page.click("#canned-search")
    page.keyboard.type("horario")
    page.wait_for_selector("#canned-list li", timeout=WAIT_MS)
    assert page.get_attribute("#canned-search", "aria-expanded") == "true"
    page.keyboard.press("Enter")

    assert page.input_value("#body") == "Atendemos de 9 a 18 h. Gracias."
    assert page.evaluate("() => document.activeElement.id") == "body"


def test_the_sms_counter_says_what_the_server_says(page, logged_in, make_case_on):
    case = make_case_on("sms", hours_ago=None)
    page.goto(f"{BASE}/cases/{case.id}")

    for text in ["hola", "a" * 161, "á" * 71, "€" * 81, "a" * 152 + "€" + "a" * 10, "😀" * 36]:
        page.fill("#body", text)
        expected = sms_segments(text)
        want = [str(expected.units), str(expected.count), expected.encoding]
        shown = page.evaluate("() => ({...document.getElementById('body-counter').dataset})")
        assert [shown["units"], shown["segments"], shown["encoding"]] == want, text
        assert page.is_visible("#ucs2-hint") == (expected.encoding == "UCS-2")
    assert page.text_content("#body-counter") == (
        f"{expected.units} caracteres · {expected.count} SMS (UCS-2) · quedan {expected.remaining}"
    )


def test_when_the_window_closes_under_the_agent_the_composer_turns_to_templates(
    page, logged_in, make_case_on
):
    case = make_case_on(hours_ago=24 - 2 / 3600)  # closes two seconds from now
    page.goto(f"{BASE}/cases/{case.id}")

    page.wait_for_selector("#window-state.window-closed", timeout=WAIT_MS)

    assert page.evaluate("() => document.getElementById('body').readOnly")
    assert page.is_disabled("#reply-text button[type=submit]")
    assert page.evaluate("() => document.getElementById('templates-optional').open")


def test_only_the_chosen_templates_fields_show_and_the_preview_follows_them(
    page, db, logged_in, make_case_on, make_template
):
    case = make_case_on(hours_ago=30, profile_name="María")
    first = make_template("Tu folio es {{1}}.", ["folio"], name="a_folio")
    second = make_template("Hola {{1}}, tu cita es el {{2}}.", ["nombre", "fecha"], name="b_cita")
    page.goto(f"{BASE}/cases/{case.id}")

    assert page.is_visible(f"#template-fields-{first.id}")
    assert page.is_hidden(f"#template-fields-{second.id}")
    page.check(f"#template-{second.id}")
    page.fill(f"#var-{second.id}-2", "lunes")

    assert page.text_content(f"#preview-{second.id}") == "Hola María, tu cita es el lunes."
    page.click("#reply-template button[type=submit]")
    page.wait_for_url(f"{BASE}/cases/{case.id}", timeout=WAIT_MS)
    [sent] = db.scalars(sa.select(Message).filter_by(direction=m.OUTBOUND)).all()
    assert (sent.body, sent.content_variables) == (
        "Hola María, tu cita es el lunes.",
        {"1": "María", "2": "lunes"},
    )
