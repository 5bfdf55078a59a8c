"""The checks behind /readyz: the database, every Rasa server, a fresh worker heartbeat.

Each check answers a state word, never an exception text: those can name hosts,
users and URLs, and the answer goes to anyone who asks. The log says which
check failed and the exception's class; nothing from a message or a person.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session

from desk.bot_client import rasa_urls
from desk.db import utcnow
from desk.ops import heartbeat

log = logging.getLogger(__name__)

OK = "ok"
# The Rasa desk channel's unauthenticated health route (bot/channels/desk.py).
RASA_HEALTH_PATH = "/webhooks/desk/"


@dataclass
class Check:
    ok: bool
    state: str
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "state": self.state, **self.extra}


def database(session: Session) -> Check:
    try:
        session.execute(sa.text("SELECT 1"))
        check = Check(True, OK)
    except Exception as error:
        log.warning("readyz: database unavailable (%s)", type(error).__name__)
        check = Check(False, "unavailable")
    # Nothing to keep, and no transaction left open on a pooled connection.
    _rollback(session)
    return check


def rasa(urls: Sequence[str], timeout: float) -> Check:
    """Every server must answer 200; they are asked at once, so the wait is one timeout."""
    if not urls:
        return Check(False, "not configured")
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        states = list(pool.map(lambda item: _rasa_one(*item, timeout), enumerate(urls, 1)))
    down = sum(state != OK for state in states)
    # Servers are named by position in RASA_URL: a URL may carry credentials.
    servers = [{"server": number, "state": state} for number, state in enumerate(states, 1)]
    if down:
        return Check(False, f"{down} of {len(urls)} unreachable", {"servers": servers})
    return Check(True, OK, {"servers": servers})


def _rasa_one(number: int, url: str, timeout: float) -> str:
    try:
        response = requests.get(url + RASA_HEALTH_PATH, timeout=timeout, allow_redirects=False)
    except requests.Timeout:
        state = "timeout"
    except requests.RequestException as error:
        state = "unreachable"
        log.warning("readyz: Rasa server %d unreachable (%s)", number, type(error).__name__)
    else:
        state = OK if response.status_code == 200 else f"http {response.status_code}"
    if state not in (OK, "unreachable"):
        log.warning("readyz: Rasa server %d: %s", number, state)
    return state


def worker(session: Session, max_age: timedelta, now: datetime | None = None) -> Check:
    try:
        age = heartbeat.age(session, now or utcnow())
    except Exception as error:
        log.warning("readyz: worker heartbeats unreadable (%s)", type(error).__name__)
        _rollback(session)
        return Check(False, "unknown")
    _rollback(session)
    if age is None:
        return Check(False, "no worker")
    seconds = {"age_seconds": max(0, round(age.total_seconds()))}
    if age > max_age:
        return Check(False, "stale", seconds)
    return Check(True, OK, seconds)


def run(config: Mapping[str, Any], session: Session) -> tuple[bool, dict[str, Any]]:
    """All checks, each named with its state; ready only when every one is ok."""
    db = database(session)
    max_age = timedelta(seconds=config["WORKER_HEARTBEAT_MAX_AGE_SECONDS"])
    checks = {
        "database": db,
        "rasa": rasa(_urls(config["RASA_URL"]), config["READY_RASA_TIMEOUT_SECONDS"]),
        # Heartbeats live in the database: without it their state is unknown.
        "worker": worker(session, max_age) if db.ok else Check(False, "unknown"),
    }
    ready = all(check.ok for check in checks.values())
    return ready, {
        "status": "ready" if ready else "not ready",
        "checks": {name: check.as_json() for name, check in checks.items()},
    }


def _urls(setting: str | Sequence[str]) -> list[str]:
    if isinstance(setting, str):
        try:
            return rasa_urls(setting)
        except ValueError:
            return []
    return [url.rstrip("/") for url in setting]


def _rollback(session: Session) -> None:
    try:
        session.rollback()
    except Exception as error:
        log.warning("readyz: rollback failed (%s)", type(error).__name__)
