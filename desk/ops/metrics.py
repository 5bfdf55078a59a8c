"""Prometheus metrics: the queue read from the database at scrape time, and what the
worker counts as it works, across processes.

**What is measured.** The queue gauges (``ventanilla_queue_*``) are computed from
the ``messages`` table by a collector built for each scrape, so every process
answers the same numbers: in PromQL take ``max`` over instances, not ``sum``. The
counters and histograms below are fed by the worker (and any web process) through
the plain functions at the end of this module. Labels take only fixed words and
Twilio's numeric codes: a label can never carry a message body or a phone number.

**Several processes: PROMETHEUS_MULTIPROC_DIR.** gunicorn runs several web
processes and the worker is another one; each keeps its own counters. With
``PROMETHEUS_MULTIPROC_DIR`` set, prometheus-client writes every process's values
into files in that directory, and /metrics on any web process adds up all the
files, so the worker's numbers show up there too. Unset, each process uses the
single-process default registry (fine for ``flask run`` and tests): /metrics then
shows only the process that answers it, plus the queue gauges.

- *Set it* in the environment of every desk process on a host, web and worker alike,
  to the same directory, writable by the service user and ideally on a tmpfs (e.g.
  ``/run/ventanilla/metrics``). prometheus-client decides when it is first
  imported, so it must be in the real environment (or ``.env``, which
  ``desk.wsgi`` and the flask CLI load before this module is imported); a value
  given only in Flask's config (the ``PROMETHEUS_MULTIPROC_DIR`` setting) is read
  by /metrics but does not make this process write there (a warning says so).
- *Clean it at start*, once, before any desk process of the host starts: stale
  files of an earlier run would otherwise be added to the new one. Empty it in the
  launcher, e.g. systemd ``ExecStartPre=/bin/sh -c 'rm -rf /run/ventanilla/metrics
  && mkdir -p /run/ventanilla/metrics'``, or ``prepare_multiprocess_dir(path)``
  from Python (``desk/launch.py`` before it starts honcho). Not in gunicorn's
  ``on_starting`` hook if the worker may already be running: its open files would
  be deleted under it and its numbers lost until it restarts. Never while the
  processes run: counters would go back to zero.
- *gunicorn* needs nothing more: the variable in its environment is inherited by
  its workers, and forks (``--preload`` included) are detected by prometheus-client.
  Every metric here is a counter or a histogram, summed over all files, dead
  processes included, which is what counters need. Should a ``Gauge`` ever be
  added, give it a ``multiprocess_mode`` and add to ``gunicorn.conf.py``
  ``def child_exit(server, worker): prometheus_client.multiprocess.mark_process_dead(worker.pid)``.
- *Hosts*: the directory is per host. A worker on a host with no web process is
  not seen by any /metrics; run it beside one, or give that host a scrape target.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.models import case as c
from desk.models import message as m
from desk.models.message import Message

log = logging.getLogger(__name__)

ENVIRONMENT = "PROMETHEUS_MULTIPROC_DIR"
DIRECTIONS = (m.INBOUND, m.OUTBOUND)
QUEUED = (m.PENDING, m.PROCESSING)
REPLY_AUTHORS = (m.BOT, m.AGENT, m.SYSTEM)
OTHER = "other"

if os.environ.get(ENVIRONMENT):
    # The files are created as the metrics below are; a missing directory would
    # stop the import. Emptying it stays the launcher's job (see above).
    Path(os.environ[ENVIRONMENT]).mkdir(parents=True, exist_ok=True)

REPLY_LATENCY = Histogram(
    "ventanilla_reply_latency_seconds",
    "Seconds from a citizen's message stored to its first reply handed to Twilio.",
    ["author"],
    buckets=(0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600),
)
RASA_LATENCY = Histogram(
    "ventanilla_rasa_request_duration_seconds",
    "Seconds per call to a Rasa server, by outcome (ok, error).",
    ["outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 13, 20, 30),
)
TWILIO_ERRORS = Counter(
    "ventanilla_twilio_errors",
    "Sends Twilio refused or failed, by Twilio error code ('none': no code, no answer).",
    ["code"],
)
HANDOFFS = Counter(
    "ventanilla_handoffs",
    "Conversations handed to a person, by reason.",
    ["reason"],
)
FALLBACKS = Counter(
    "ventanilla_assistant_fallbacks",
    "Messages the assistant did not understand or could not help with.",
)

TWILIO_CODE = re.compile(r"\d{1,6}")


# --- what the worker calls ------------------------------------------------------------


def observe_reply_latency(seconds: float, *, author: str = m.BOT) -> None:
    """A reply was handed to Twilio ``seconds`` after the citizen's message was stored.

    Call once per citizen message, for its first reply only. ``author``: bot, agent
    or system (anything else counts as "other").
    """
    REPLY_LATENCY.labels(author=author if author in REPLY_AUTHORS else OTHER).observe(
        max(0.0, seconds)
    )


def observe_rasa_latency(seconds: float, *, ok: bool = True) -> None:
    """One call to Rasa took ``seconds``; fits ``BotClient(observe=...)`` as it is."""
    RASA_LATENCY.labels(outcome="ok" if ok else "error").observe(max(0.0, seconds))


@contextmanager
def timed_rasa_call() -> Iterator[None]:
    """``with timed_rasa_call(): bot.send(...)``: an exception counts as an error."""
    started = time.perf_counter()
    ok = False
    try:
        yield
        ok = True
    finally:
        observe_rasa_latency(time.perf_counter() - started, ok=ok)


def count_twilio_error(code: int | str | None) -> None:
    """Twilio refused a send (its error code, e.g. 21610), or did not answer (None)."""
    TWILIO_ERRORS.labels(code=_twilio_code(code)).inc()


def count_handoff(reason: str) -> None:
    """A conversation went to a person; ``reason`` is one of desk.models.case.REASONS."""
    HANDOFFS.labels(reason=reason if reason in c.REASONS else OTHER).inc()


def count_assistant_fallback() -> None:
    """The assistant did not understand a message (nlu_fallback) or could not help."""
    FALLBACKS.inc()


def _twilio_code(code: int | str | None) -> str:
    if code is None or code == "":
        return "none"
    text = str(code).strip()
    # Only digits: an error text passed by mistake may hold a phone number.
    return text if TWILIO_CODE.fullmatch(text) else OTHER


# --- the queue, read at scrape time ----------------------------------------------------


class QueueCollector:
    """Queue depth and the age of the oldest due message, per direction, from the table."""

    def __init__(self, session: Session, now: datetime | None = None) -> None:
        self.session = session
        self.now = now

    def collect(self) -> Iterator[Metric]:
        now = self.now or utcnow()
        try:
            depth = self.session.execute(
                sa.select(Message.direction, Message.status, sa.func.count())
                .where(Message.status.in_(QUEUED))
                .group_by(Message.direction, Message.status)
            ).all()
            oldest = self.session.execute(
                sa.select(Message.direction, sa.func.min(Message.created_at))
                .where(Message.status == m.PENDING, Message.next_attempt_at <= now)
                .group_by(Message.direction)
            ).all()
        except sa.exc.SQLAlchemyError as error:
            # The scrape still answers the process metrics; /readyz says why.
            log.warning("queue metrics unavailable (%s)", type(error).__name__)
            return
        finally:
            self.session.rollback()

        counts = {(direction, status): n for direction, status, n in depth}
        gauge = GaugeMetricFamily(
            "ventanilla_queue_depth_messages",
            "Messages waiting (pending, due or not) or in progress (processing), per direction.",
            labels=["direction", "status"],
        )
        for direction in DIRECTIONS:
            for status in QUEUED:
                gauge.add_metric([direction, status], counts.get((direction, status), 0))
        yield gauge

        created = dict(oldest)
        age = GaugeMetricFamily(
            "ventanilla_queue_oldest_due_age_seconds",
            "Seconds since the oldest pending message that is due was stored; 0 when none is due.",
            labels=["direction"],
        )
        for direction in DIRECTIONS:
            since = created.get(direction)
            age.add_metric([direction], max(0.0, (now - since).total_seconds()) if since else 0.0)
        yield age


class _Forward:
    """Another registry's metrics, inside the registry of one scrape."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()


# --- the endpoint -------------------------------------------------------------------


def render(session: Session, directory: str | None, accept: str | None = None) -> tuple[bytes, str]:
    """The exposition for one scrape, and its content type.

    ``directory``: the multiprocess directory (the setting), or None for this
    process's default registry.
    """
    registry = CollectorRegistry()
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_Forward(REGISTRY))
    registry.register(QueueCollector(session))
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type


def writes_to(directory: str | None) -> bool:
    """Whether this process's own metrics go to ``directory`` (see the module docstring)."""
    current = os.environ.get(ENVIRONMENT)
    return bool(directory and current and Path(current).resolve() == Path(directory).resolve())


def prepare_multiprocess_dir(directory: str | os.PathLike[str]) -> Path:
    """Empty (or create) the directory; call once before any desk process starts."""
    path = Path(directory)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path
