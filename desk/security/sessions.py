"""Agents' sessions: ended server-side, and after an idle time.

Flask keeps the session in a signed cookie, so logging out in one browser would not
stop a copy of that cookie. Each login therefore draws a random token, stored on the
agent (``agents.session_token``) and in the session; every request checks that the
two still match. Logout, a new login and deactivation rotate the agent's token, and
every older cookie stops working.

A session also ends after ``SESSION_IDLE_MINUTES`` without a request (30 by
default): each page refreshes it; the machine routes (the simulator's polling, the
JSON API, Twilio's webhooks) and static files do not count as activity.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from desk.models import Agent
from desk.security import demo_agent

TOKEN = "_agent_token"
LAST_SEEN = "_last_seen"
# A live stream and the refreshes it triggers are the page talking, not the agent:
# an open tab must not keep a session alive forever.
NOT_ACTIVITY = ("/api/", "/channels/", "/simulator/api/", "/health", "/live/")
IDLE_MESSAGE = "Tu sesión se cerró por inactividad. Vuelve a iniciar sesión."


def start(agent: Agent) -> None:
    """Sign ``agent`` in with a fresh token (the caller commits the agent)."""
    session.clear()  # nothing from before the login survives it
    login_user(agent)
    session[TOKEN] = agent.start_session()
    session[LAST_SEEN] = int(time.time())
    session.permanent = True  # the cookie itself expires after the idle time, too


def end(agent: Agent | None = None) -> None:
    """End this session; with ``agent``, every session of theirs (the caller commits)."""
    if agent is not None:
        agent.end_sessions()
    logout_user()
    session.pop(TOKEN, None)
    session.pop(LAST_SEEN, None)


def init_app(app: Flask) -> None:
    app.before_request(_check_session)


def _check_session() -> Any:
    if request.endpoint == "static" or "_user_id" not in session:
        return None
    problem = _problem(current_user._get_current_object(), time.time())
    activity = not request.path.startswith(NOT_ACTIVITY) and "X-Live-Refresh" not in request.headers
    if problem is None:
        if activity:
            session[LAST_SEEN] = int(time.time())
        return None
    end()
    if problem != "idle" or not activity:
        return None  # @login_required sends them to the login when the page needs it
    if request.endpoint == "auth.login":
        if request.method == "GET":
            flash(IDLE_MESSAGE, "error")
        return None
    flash(IDLE_MESSAGE, "error")
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))


def _problem(agent: Any, now: float) -> str | None:
    """Why this session may not go on, or None."""
    if not getattr(agent, "is_authenticated", False):
        return "unknown_agent"
    if not agent.active:
        return "inactive"
    if demo_agent.refused(current_app.config, agent.email):
        return "demo_agent"
    if not agent.holds_session(session.get(TOKEN)):
        return "ended"
    last_seen = session.get(LAST_SEEN)
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    if not isinstance(last_seen, int) or now - last_seen > idle:
        return "idle"
    return None
