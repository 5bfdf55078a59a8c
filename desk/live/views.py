"""The live stream of the queue and case pages (server-sent events).

``GET /live/events`` (the queue) or ``/live/events?case=<id>`` (a case page) answers
``text/event-stream``: a ``change`` event, with only a kind and ids, each time something
the page shows changes; desk/static/live.js then fetches the page again. See
docs/live-updates.md for why server-sent events on gunicorn's threaded workers.

``since=<cursor>`` asks for what happened after the page's own cursor as well: the one
its HTML carries (``data-live-cursor="{{ live_cursor() }}"``, read before the page's
data) or the one its previous stream ended with. Nothing falls between a page and its
stream, or between two streams.
"""

from __future__ import annotations

import re
import select
import signal
import socket
import ssl
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, abort, current_app, g, request
from flask_login import current_user
from werkzeug.wrappers import Response

from desk.db import get_session
from desk.live import bp, feed
from desk.models import Case
from desk.models.case import MAX_CASE_ID
from desk.permissions import WORK_CASES, requires

FEED = "desk.live.feed"
# Threads of a gunicorn gthread worker kept for everything but streams: Twilio's
# webhooks, page views, the API. A process refuses streams past threads − this.
RESERVED_THREADS = 16
# Without gunicorn (flask run, tests) nothing is known about threads.
UNKNOWN_SERVER_MAX_STREAMS = 100
# The pages that listen: their cursor is read before their data (``live_cursor``).
LIVE_PAGES = frozenset({"cases.queue", "cases.detail"})
_creating = threading.Lock()


@bp.get("/events")
@requires(WORK_CASES)
def events() -> Response:
    """The stream of changes the queue (no ``case``) or one case page shows."""
    interest = _interest(request.args.get("case"))
    live = feed_of(current_app)
    if live.streams >= max_streams(current_app):
        # The threads left serve Twilio and page views; the page retries later.
        return Response(
            "Demasiadas páginas en vivo en este servidor; reintentando.\n",
            status=503,
            mimetype="text/plain",
            headers={"Retry-After": "30"},
        )
    since = feed.Cursor.parse(request.args.get("since"))
    agent = current_user._get_current_object()
    session = get_session()
    feed.touch_presence(session, agent, every=live.presence_seconds)
    # The feed reads on connections of its own. On SQLite this request's transaction
    # (BEGIN IMMEDIATE, since loading the agent) would hold the write lock they wait for.
    session.commit()
    subscription = live.subscribe(interest, agent.id)
    try:
        missed = [] if since is None else live.catch_up(subscription, since)
    except BaseException:
        live.unsubscribe(subscription)
        raise
    config = current_app.config
    worker = gunicorn_worker()
    environ = request.environ
    gone = client_gone(environ.get("gunicorn.socket") or environ.get("werkzeug.socket"))
    body = feed.stream(
        live,
        subscription,
        missed=missed,
        heartbeat_seconds=config.get("LIVE_HEARTBEAT_SECONDS", feed.HEARTBEAT_SECONDS),
        lifetime_seconds=config.get("LIVE_STREAM_SECONDS", feed.LIFETIME_SECONDS),
        tick_seconds=config.get("LIVE_TICK_SECONDS", feed.TICK_SECONDS),
        # A stopping or reloading gunicorn waits for open requests, and a page that
        # closed would hold its thread until the next write: let go within a tick.
        stopping=lambda: (worker is not None and not worker.alive) or gone(),
    )
    return Response(
        body,
        mimetype="text/event-stream",
        headers={
            "Cache-Control": "no-cache",
            # nginx would otherwise hold the events back in its buffer.
            "X-Accel-Buffering": "no",
        },
    )


def _interest(raw: str | None) -> feed.Interest:
    if raw is None:
        return feed.Interest()
    if not re.fullmatch(r"[0-9]{1,10}", raw) or not 0 < int(raw) <= MAX_CASE_ID:
        abort(400, "case must be a case number")
    case = get_session().get(Case, int(raw))
    if case is None:
        abort(404, f"no case {raw}")
    return feed.Interest(case_id=case.id, conversation_id=case.conversation_id)


@bp.before_app_request
def _page_cursor() -> None:
    # Before the view reads its data: a change committed in between is then both on
    # the page and after its cursor (one refresh too many, never one too few).
    if request.method == "GET" and request.endpoint in LIVE_PAGES:
        g.live_cursor = feed.current_cursor(get_session())


@bp.app_context_processor
def _template_globals() -> dict[str, Any]:
    return {"live_cursor": live_cursor}


def live_cursor() -> str:
    """The cursor of the page being rendered, for its ``data-live-cursor``."""
    cursor = g.get("live_cursor")
    return (cursor or feed.current_cursor(get_session())).token


def feed_of(app: Flask) -> feed.Feed:
    """This process's broadcaster (made on first use: after gunicorn forks its workers)."""
    with _creating:
        if FEED not in app.extensions:
            app.extensions[FEED] = feed.Feed(
                app.extensions["desk.db"],
                poll_seconds=app.config.get("LIVE_POLL_SECONDS", feed.POLL_SECONDS),
            )
        return app.extensions[FEED]


def max_streams(app: Flask) -> int:
    """Streams this process may hold: ``LIVE_MAX_STREAMS``, else what its gunicorn
    worker can spare (none on a sync worker: one stream would be the whole worker)."""
    if app.config.get("LIVE_MAX_STREAMS") is not None:
        return int(app.config["LIVE_MAX_STREAMS"])
    worker = gunicorn_worker()
    if worker is None:
        return UNKNOWN_SERVER_MAX_STREAMS
    kind = type(worker).__name__
    if kind == "ThreadWorker":
        return max(0, worker.cfg.threads - RESERVED_THREADS)
    if kind == "SyncWorker":
        return 0
    return UNKNOWN_SERVER_MAX_STREAMS  # gevent and the like: a stream is no thread


def client_gone(connection: socket.socket | None) -> Callable[[], bool]:
    """Whether the browser closed ``connection``, asked without reading or waiting
    (an EventSource sends nothing after its request, so readable means closed)."""
    poll = getattr(select, "poll", None)
    if connection is None or poll is None or isinstance(connection, ssl.SSLSocket):
        return lambda: False  # then the next heartbeat's write finds out
    watch = poll()
    hangup = select.POLLHUP | select.POLLERR | getattr(select, "POLLRDHUP", 0)
    watch.register(connection, select.POLLIN | hangup)

    def gone() -> bool:
        try:
            ready = watch.poll(0)
            if not ready:
                return False
            if ready[0][1] & hangup:
                return True
            return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except (OSError, ValueError):
            return True

    return gone


def gunicorn_worker() -> Any | None:
    """The gunicorn worker running this process, or None: a worker's SIGTERM handler is
    its own bound method (gunicorn.workers.base.Worker.init_signals)."""
    worker = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    return worker if hasattr(worker, "alive") and hasattr(worker, "cfg") else None
