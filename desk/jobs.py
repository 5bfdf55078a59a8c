"""The worker's periodic jobs: assignment, closing resolved cases, the daily retention
purge and, in a thread of their own, fetching citizens' media.

Each job is idempotent, so when several workers run them (PostgreSQL) nothing is done
twice in a way that matters: assignment locks the cases it gives (SKIP LOCKED), closing
and purging find nothing left the second time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from desk.db import get_session

log = logging.getLogger(__name__)


def _assign(app: Flask) -> None:
    from desk.assignment import services as assignment

    session = get_session()
    assignment.hand_back_from_away(session)
    assignment.auto_assign(session)
    session.commit()


def _close_resolved(app: Flask) -> None:
    from desk.services import cases

    cases.close_resolved(get_session())


def _fetch_media(app: Flask) -> None:
    from desk.media import fetch

    fetch.fetch_pending(get_session(), app.config)


def _purge(app: Flask) -> None:
    from desk.privacy import retention, services

    session = get_session()
    report = retention.purge(session)
    log.info("retention purge: %s", report)
    # Erasures whose Rasa tracker could not be forgotten then (Rasa was down).
    services.forget_pending(session, services.bot_for(app.config))


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[Flask], None]


JOBS = (
    Job("assignment", 30, _assign),
    Job("close_resolved", 600, _close_resolved),
    Job("purge", 24 * 3600, _purge),
)
# Downloads can take a minute each: they have a thread of their own, so assignment
# never waits behind a slow file.
MEDIA_JOBS = (Job("media", 5, _fetch_media),)


class Schedule:
    """When each job last ran in this process; a failed job runs again next time."""

    def __init__(self, jobs: tuple[Job, ...] = JOBS, clock: Callable[[], float] = time.monotonic):
        self.jobs = jobs
        self.clock = clock
        self.last_run: dict[str, float] = {}

    def run_due(self, app: Flask) -> list[str]:
        """Run every job whose time has come; the names of those that ran."""
        ran = []
        for job in self.jobs:
            now = self.clock()
            last = self.last_run.get(job.name)
            if last is not None and now - last < job.every_seconds:
                continue
            try:
                with app.app_context():
                    job.run(app)
            except Exception:
                log.exception("job %s failed", job.name)
                continue
            self.last_run[job.name] = now
            ran.append(job.name)
        return ran
