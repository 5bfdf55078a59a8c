"""live.js in a real browser (Debian's Chromium, driven by Playwright), against the desk
served by a threaded server: the case page takes in a new message without losing what
the agent is typing, says when the live channel is lost, and catches up once it is back.

The queue and case templates load live.js on their own once their owners add it; here
a test route serves the real case page (and queue) with the script tag added.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from desk import create_app
from desk.cli import upgrade_database
from desk.db import get_session, utcnow
from desk.live import feed, views
from desk.models import Agent, Case, Conversation, Message
from desk.models import message as m
from desk.services import cases
from tests.desk.conftest import BASE_CONFIG
from tests.e2e.stack import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "contraseña-segura"
WAIT_MS = 15_000
SCRIPT = '<script src="/static/live.js" data-events="/live/events" defer></script>'


class Server:
    """The desk on a threaded server that can go away and come back on its port."""

    def __init__(self, app: Any, port: int) -> None:
        self.app, self.port = app, port
        self.url = f"http://127.0.0.1:{self.port}"
        self.http: BaseWSGIServer | None = None

    def start(self) -> None:
        self.http = make_server("127.0.0.1", self.port, self.app, threaded=True)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.http is not None:
            self.http.shutdown()
            self.http.server_close()
            self.http = None


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Server]]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("DESK_INSTANCE_PATH", str(tmp_path))
    port = free_port()
    app = create_app(
        BASE_CONFIG
        | {
            "TESTING": False,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "LIVE_POLL_SECONDS": 0.2,
            "LIVE_TICK_SECONDS": 0.1,
            "LIVE_HEARTBEAT_SECONDS": 0.2,
        }
    )
    with app.app_context():
        upgrade_database()

    @app.get("/test-live/case/<int:case_id>")
    def case_page(case_id: int) -> str:
        cursor = feed.current_cursor(get_session()).token  # before the page's data
        html = app.view_functions["cases.detail"](case_id=case_id)
        marker = f'data-live-case="{case_id}"'
        html = html.replace(marker, f'{marker} data-live-cursor="{cursor}"')
        return html.replace("</body>", SCRIPT + "</body>")

    @app.get("/test-live/queue")
    def queue_page() -> str:
        html = app.view_functions["cases.queue"]()
        return html.replace('<main id="content"', '<main id="content" data-live-queue').replace(
            "</body>", SCRIPT + "</body>"
        )

    server = Server(app, port)
    server.start()
    yield app, server
    server.stop()
    app.extensions["desk.db"].kw["bind"].dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


def in_desk(app: Any, change: Callable[[Any], Any]) -> Any:
    with app.app_context():
        session = get_session()
        result = change(session)
        session.commit()
        return result


def citizen_writes(app: Any, conversation_id: int, body: str) -> None:
    def write(session: Any) -> None:
        session.get(Conversation, conversation_id).last_inbound_at = utcnow()
        session.add(
            Message(
                conversation_id=conversation_id,
                direction=m.INBOUND,
                author=m.CITIZEN,
                body=body,
                provider_sid="SM" + uuid.uuid4().hex,
            )
        )

    in_desk(app, write)


def open_case(session: Any, *, window_open: bool = True) -> tuple[int, int]:
    conversation = Conversation(
        channel="whatsapp",
        citizen_address=f"whatsapp:+52155{uuid.uuid4().int % 10**8:08d}",
        desk_address="whatsapp:+525500000000",
        # WhatsApp's 24-hour window: open, the composer takes text; closed, templates.
        last_inbound_at=utcnow() if window_open else utcnow() - timedelta(days=2),
    )
    session.add(conversation)
    session.flush()
    session.add(
        Message(
            conversation=conversation,
            direction=m.INBOUND,
            author=m.CITIZEN,
            body="quiero hablar con alguien",
            provider_sid="SM" + uuid.uuid4().hex,
        )
    )
    case, _ = cases.open_case(session, conversation, reason="citizen_request")
    session.flush()
    return case.id, conversation.id


def signed_in_page(app: Any, server: Server, browser: Any) -> Any:
    def add(session: Any) -> None:
        agent = Agent(email="ana@cab.gob.mx", name="Ana")
        agent.set_password(PASSWORD)
        session.add(agent)

    in_desk(app, add)
    page = browser.new_page()
    page.goto(f"{server.url}/login")
    page.fill("#email", "ana@cab.gob.mx")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    return page


def transcript_has(page: Any, text: str) -> None:
    page.wait_for_function(
        "text => document.getElementById('transcript').innerText.includes(text)",
        arg=text,
        timeout=WAIT_MS,
    )


def test_a_new_message_appears_while_the_agent_keeps_typing(desk, browser):
    app, server = desk
    case_id, conversation_id = in_desk(app, open_case)
    page = signed_in_page(app, server, browser)
    page.goto(f"{server.url}/test-live/case/{case_id}")
    page.wait_for_function("() => !!document.querySelector('link[data-live-css]')")
    page.click("#body")
    page.keyboard.type("Hola, estoy revisando tu trámite")

    citizen_writes(app, conversation_id, "¿sigue ahí? le mando mi CURP")

    transcript_has(page, "le mando mi CURP")
    assert page.input_value("#body") == "Hola, estoy revisando tu trámite"
    assert page.evaluate("document.activeElement.id") == "body"
    assert page.is_hidden("#live-status")


def test_a_lost_live_channel_is_announced_and_caught_up_when_back(desk, browser, monkeypatch):
    app, server = desk
    case_id, conversation_id = in_desk(app, open_case)
    page = signed_in_page(app, server, browser)
    cut = threading.Event()
    original = views.feed.stream

    def cuttable(*args: Any, **kwargs: Any) -> Iterator[str]:
        # The network drops: the stream ends without its goodbye.
        for chunk in original(*args, **kwargs):
            if cut.is_set():
                return
            yield chunk

    monkeypatch.setattr(views.feed, "stream", cuttable)
    page.goto(f"{server.url}/test-live/case/{case_id}")
    page.wait_for_function("() => !!document.querySelector('link[data-live-css]')")
    page.wait_for_timeout(500)  # the stream is open

    server.stop()
    cut.set()
    page.wait_for_selector("#live-status:not([hidden])", timeout=WAIT_MS)
    assert page.inner_text("#live-status") == "Sin conexión en vivo: reintentando…"
    citizen_writes(app, conversation_id, "escribí mientras no había conexión")

    cut.clear()
    server.start()

    page.wait_for_selector("#live-status", state="hidden", timeout=WAIT_MS + 30_000)
    transcript_has(page, "escribí mientras no había conexión")


def test_the_queue_shows_a_case_opened_after_it_was_loaded(desk, browser):
    app, server = desk
    page = signed_in_page(app, server, browser)
    page.goto(f"{server.url}/test-live/queue")
    page.wait_for_function("() => !!document.querySelector('link[data-live-css]')")
    page.wait_for_timeout(500)

    case_id = in_desk(app, open_case)[0]

    folio = in_desk(app, lambda session: session.get(Case, case_id).folio)
    page.wait_for_function(
        "folio => document.querySelector('main').innerText.includes(folio)",
        arg=folio,
        timeout=WAIT_MS,
    )


def test_streams_recycled_by_the_server_neither_alarm_nor_miss_anything(desk, browser):
    app, server = desk
    app.config["LIVE_STREAM_SECONDS"] = 0.5  # a new stream every half second
    case_id, conversation_id = in_desk(app, open_case)
    page = signed_in_page(app, server, browser)
    page.goto(f"{server.url}/test-live/case/{case_id}")
    page.evaluate(
        """() => new MutationObserver(() => {
             if (!document.getElementById('live-status').hidden) window.alarmed = true;
           }).observe(document.getElementById('live-status'), {attributes: true})"""
    )
    page.wait_for_timeout(2000)

    citizen_writes(app, conversation_id, "sigo esperando")

    transcript_has(page, "sigo esperando")
    assert page.evaluate("window.alarmed === undefined")


def test_an_untouched_composer_follows_the_window_and_is_otherwise_left_as_it_is(desk, browser):
    app, server = desk
    case_id, conversation_id = in_desk(app, lambda session: open_case(session, window_open=False))
    page = signed_in_page(app, server, browser)
    page.goto(f"{server.url}/test-live/case/{case_id}")
    page.wait_for_function("() => !!document.querySelector('link[data-live-css]')")
    assert page.locator("#body").count() == 0  # closed: only templates

    citizen_writes(app, conversation_id, "hola otra vez")  # the window opens

    page.wait_for_selector("#reply-text #body", timeout=WAIT_MS)
    page.evaluate("document.getElementById('composer').marked = true")
    closes_at = page.get_attribute("#composer", "data-closes-at")
    page.wait_for_timeout(1100)  # a new citizen message moves the window's end
    citizen_writes(app, conversation_id, "¿me oye?")
    transcript_has(page, "¿me oye?")

    # The same composer (the one composer.js set up), told when the window now closes.
    page.wait_for_function(
        "old => document.getElementById('composer').dataset.closesAt !== old",
        arg=closes_at,
        timeout=WAIT_MS,
    )
    assert page.evaluate("document.getElementById('composer').marked === true")
