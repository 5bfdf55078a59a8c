"""GET /live/events: the stream the queue and case pages listen to."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from flask import render_template_string

from desk.db import utcnow
from desk.live import feed, views
from desk.models.agent import ADMIN, SUPERVISOR, TRAINER
from tests.desk.live.conftest import chunks


def events_in(text: str) -> list[tuple[str, dict]]:
    found = []
    for block in text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            found.append((lines["event"], json.loads(lines["data"])))
    return found


def test_an_agent_gets_an_event_stream_that_proxies_neither_cache_nor_buffer(client, live, sign_in):
    sign_in()

    response = client.get("/live/events", buffered=False)

    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"
    first = next(chunks(response))
    assert first.startswith("retry: ")
    assert events_in(first) == [("hello", {"cursor": live.cursor.token})]
    response.close()


@pytest.mark.parametrize("role", ["agent", SUPERVISOR, ADMIN])
def test_everyone_who_works_cases_may_listen(client, live, sign_in, role):
    sign_in(role)

    response = client.get("/live/events", buffered=False)

    assert response.status_code == 200
    response.close()


def test_a_trainer_may_not_listen(client, live, sign_in):
    sign_in(TRAINER)

    assert client.get("/live/events").status_code == 403


def test_someone_not_signed_in_is_sent_to_the_login(client, live):
    response = client.get("/live/events")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_case_page_hears_when_its_citizen_writes(client, live, sign_in, make_case, make_message):
    sign_in()
    case = make_case()
    live.poll()
    response = client.get(f"/live/events?case={case.id}", buffered=False)
    stream = chunks(response)
    next(stream)  # hello

    message = make_message(case.conversation, body="¿sigue ahí?")
    live.poll()

    assert events_in(next(stream)) == [
        ("change", {"kind": "message", "id": message.id, "case": case.id})
    ]
    response.close()


def test_what_happened_between_the_page_and_its_stream_comes_first(
    client, live, sign_in, make_case, make_message
):
    sign_in()
    case = make_case()
    live.poll()
    page_cursor = live.cursor.token  # the page is rendered with it
    message = make_message(case.conversation)
    live.poll()  # the feed moved on before the stream opened

    response = client.get(f"/live/events?case={case.id}&since={page_cursor}", buffered=False)
    stream = chunks(response)
    next(stream)  # hello

    assert events_in(next(stream)) == [
        ("change", {"kind": "message", "id": message.id, "case": case.id})
    ]
    response.close()


def test_a_page_too_far_behind_is_told_to_reload(client, live, sign_in, make_case):
    sign_in()
    for _ in range(3):
        make_case()
    live.poll()
    behind = feed.Cursor(live.cursor.message, max(0, live.cursor.audit - feed.BATCH - 1))
    live._audit.last += feed.BATCH  # as if that many events had been stored

    response = client.get(f"/live/events?since={behind.token}", buffered=False)
    stream = chunks(response)
    next(stream)

    assert events_in(next(stream)) == [("stale", {})]
    response.close()


def test_the_stream_ends_with_a_reconnect_after_its_lifetime(app, client, live, sign_in):
    sign_in()
    app.config["LIVE_STREAM_SECONDS"] = 0.05

    text = "".join(chunks(client.get("/live/events", buffered=False)))

    assert [name for name, _ in events_in(text)] == ["hello", "reconnect"]
    assert live.streams == 0


def test_a_closed_stream_stops_listening(client, live, sign_in):
    sign_in()
    response = client.get("/live/events", buffered=False)
    next(chunks(response))
    assert live.streams == 1

    response.close()

    assert live.streams == 0


@pytest.mark.parametrize("case", ["abc", "0", "-1", "99999999999", "2147483648", "²", "1.5"])
def test_a_case_that_is_not_a_number_is_a_clear_error(client, live, sign_in, case):
    sign_in()

    response = client.get(f"/live/events?case={case}")

    assert response.status_code == 400
    assert "case must be a case number" in response.get_data(as_text=True)
    assert live.streams == 0


def test_an_unknown_case_is_not_found(client, live, sign_in):
    sign_in()

    assert client.get("/live/events?case=424242").status_code == 404


def test_a_cursor_that_is_not_one_is_ignored(client, live, sign_in):
    sign_in()

    response = client.get("/live/events?since=DROP%20TABLE", buffered=False)

    assert response.status_code == 200
    assert [name for name, _ in events_in(next(chunks(response)))] == ["hello"]
    response.close()


def test_listening_says_the_agent_is_there(client, db, live, sign_in):
    agent = sign_in()
    before = utcnow()

    client.get("/live/events", buffered=False).close()

    db.refresh(agent)
    assert agent.last_seen_at is not None and agent.last_seen_at >= before


def test_listening_again_within_the_minute_does_not_write_again(client, db, live, sign_in):
    agent = sign_in()
    recently = utcnow() - timedelta(seconds=20)
    agent.last_seen_at = recently
    db.commit()

    client.get("/live/events", buffered=False).close()

    db.refresh(agent)
    assert agent.last_seen_at == recently


def test_a_full_process_refuses_more_streams_and_says_when_to_retry(app, client, live, sign_in):
    sign_in()
    app.config["LIVE_MAX_STREAMS"] = 1
    open_page = client.get("/live/events", buffered=False)
    next(chunks(open_page))

    refused = client.get("/live/events")

    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "30"
    open_page.close()


def test_a_sync_gunicorn_worker_gets_no_streams(app, monkeypatch):
    # One stream would hold a sync worker's only connection for minutes.
    class SyncWorker:
        alive = True
        cfg = None

    monkeypatch.setattr(views, "gunicorn_worker", lambda: SyncWorker())

    assert views.max_streams(app) == 0


def test_a_threaded_gunicorn_worker_keeps_threads_for_everything_else(app, monkeypatch):
    class Config:
        threads = 64

    class ThreadWorker:
        alive = True
        cfg = Config()

    monkeypatch.setattr(views, "gunicorn_worker", lambda: ThreadWorker())

    assert views.max_streams(app) == 64 - views.RESERVED_THREADS


def test_a_stopping_server_ends_its_streams_with_a_reconnect(client, live, sign_in, monkeypatch):
    class Config:
        threads = 64

    class ThreadWorker:
        alive = True
        cfg = Config()

    worker = ThreadWorker()
    monkeypatch.setattr(views, "gunicorn_worker", lambda: worker)
    sign_in()
    response = client.get("/live/events", buffered=False)
    stream = chunks(response)
    next(stream)

    worker.alive = False  # gunicorn got SIGTERM or HUP

    rest = "".join(stream)  # the stream ends

    assert [name for name, _ in events_in(rest)] == ["reconnect"]
    assert live.streams == 0


def test_the_live_pages_read_their_cursor_before_their_data(client, live, sign_in, make_case):
    # A change committed while the view reads is then after the page's cursor: the
    # stream brings it, at worst once too often, never missed.
    sign_in()
    make_case()
    seen = []
    monkey_view = views.feed.current_cursor

    def spy(session):
        seen.append("cursor")
        return monkey_view(session)

    views.feed.current_cursor = spy
    try:
        client.get("/cases/")
        client.get("/health")  # not a live page
    finally:
        views.feed.current_cursor = monkey_view

    assert seen == ["cursor"]


def test_templates_get_the_cursor_of_their_page(app, live, make_case):
    make_case()

    with app.test_request_context("/"):
        rendered = render_template_string('<main data-live-cursor="{{ live_cursor() }}">')

    assert rendered == f'<main data-live-cursor="{feed.current_cursor(live._sessions()).token}">'


def test_a_browser_that_closed_its_page_is_noticed_without_writing_to_it():
    server_end, browser_end = socket.socketpair()
    gone = views.client_gone(server_end)
    assert gone() is False

    browser_end.close()

    assert gone() is True
    server_end.close()


def test_a_browser_that_sends_something_has_not_closed():
    server_end, browser_end = socket.socketpair()
    gone = views.client_gone(server_end)

    browser_end.sendall(b"x")

    assert gone() is False
    server_end.close()
    browser_end.close()


def test_without_a_socket_to_look_at_the_next_write_tells():
    assert views.client_gone(None)() is False
