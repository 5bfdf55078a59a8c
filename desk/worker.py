"""The worker: routes inbound messages and sends outbound ones, from the message table.

Run with ``flask --app desk worker``. One process handles many messages at once with
threads: sends to Twilio and calls to Rasa spend their time waiting on the network,
which threads do well without a second event loop beside Flask and SQLAlchemy. Inbound
and outbound messages have their own threads, so a slow Rasa never holds back an
agent's reply or a BAJA confirmation. The assistant's answer is the exception: the
thread that routed the message sends it (it is claimed as it is queued), which spares
the reply a wake-up and two transactions; a slow Twilio then slows routing too, which
costs nothing, since no answer could go out sooner. Order within a conversation is
the queue's: a message is not claimed while an earlier one of its conversation is in
progress.

Several worker processes may run against PostgreSQL; the embedded default (SQLite)
runs one. Idle threads sleep until there is work: NOTIFY on PostgreSQL, a datagram to
the worker's socket on SQLite (sent by whoever commits new work), and a poll as the
fallback, which also finds retries whose time has come.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from desk import jobs
from desk.bot_client import BotClient
from desk.db import engine, get_session, worker_socket
from desk.models import message as m
from desk.ops import heartbeat, metrics, process
from desk.services import inbound, outbound, queue, routing
from desk.transports import Transport
from desk.transports import from_config as transport_from_config

log = logging.getLogger(__name__)
DIRECTIONS = (m.INBOUND, m.OUTBOUND)
# A thread without work sleeps until it is woken: by the listener for new work, by the
# poll for retries and expired leases. Looking by itself every WORKER_POLL_SECONDS, as
# it once did, made 32 idle threads run 32 claims a second (on SQLite each took the
# write lock that webhooks wait for). It still looks once a minute, should a wake-up
# ever be lost.
IDLE_LOOK_SECONDS = 60.0
IDLE, ONE, MORE = 0, 1, 2  # what one round found: nothing, a message, or more than one


class Signal:
    """Tells the threads of one direction that there is work, one thread per wake-up.

    Waking every idle thread for each new message made sixteen threads race for one
    row, each taking SQLite's write lock in turn while the webhook waited behind them.
    A thread whose claim saw more work due wakes one more (``_serve``), so a backlog
    still spreads over all threads.
    """

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.pending = 0
        self.closed = False

    def notify(self) -> None:
        with self.condition:
            # More pending wake-ups than threads would only mean empty looks.
            self.pending = min(self.pending + 1, 64)
            self.condition.notify()

    def close(self) -> None:
        with self.condition:
            self.closed = True
            self.condition.notify_all()

    def wait(self, seconds: float) -> None:
        with self.condition:
            if self.condition.wait_for(lambda: self.pending or self.closed, timeout=seconds):
                self.pending = max(self.pending - 1, 0)


class Worker:
    def __init__(
        self, app: Flask, *, transport: Transport | None = None, bot: BotClient | None = None
    ) -> None:
        self.app = app
        config = app.config
        self.transport = transport or transport_from_config(config)
        self.bot = bot or BotClient(
            config["RASA_URL"],
            config["RASA_TOKEN"],
            timeout=config["RASA_TIMEOUT_SECONDS"],
            observe=metrics.observe_rasa_latency,
            connections=config["WORKER_INBOUND_THREADS"],
        )
        self.status_callback = (
            None
            if config["TWILIO_SANDBOX"]
            else config["PUBLIC_BASE_URL"] + "/channels/twilio/status"
        )
        self.privacy_url = config["PUBLIC_BASE_URL"] + "/privacidad"
        self.max_attempts = config["MESSAGE_MAX_ATTEMPTS"]
        self.lease = timedelta(seconds=config["WORKER_LEASE_SECONDS"])
        self.stopping = threading.Event()
        self.signals = {direction: Signal() for direction in DIRECTIONS}
        self.worker_id = heartbeat.new_worker_id()

    # --- one message --------------------------------------------------------------------

    def handle_inbound(self) -> int:
        """Route at most one inbound message; returns IDLE, ONE or MORE (one handled
        and others were due)."""
        with self.app.app_context():
            session = get_session()
            # The claim's transaction goes on into routing's first writes (consent, the
            # case, the mark before Rasa): one transaction fewer per message.
            message = queue.claim(session, m.INBOUND, lease=self.lease, keep_open=True)
            if message is None:
                return IDLE
            answer = None
            with self._outcome(
                session, f"inbound {message.provider_sid}", message.id, routing.poison
            ):
                if message.abandoned and message.attempts > self.max_attempts:  # type: ignore[attr-defined]
                    session.commit()  # the claim stands: this attempt is counted
                    routing.poison(session, message.id, Abandoned(message.attempts))
                else:
                    answer = routing.route(
                        session,
                        message,
                        self.bot,
                        give_up_seconds=self.app.config["BOT_GIVE_UP_SECONDS"],
                        privacy_url=self.privacy_url,
                        hand_over=self.lease,
                        held=True,
                    )
            if answer is not None:
                # The assistant's answer, claimed as it was queued: sent from this thread
                # now, without a wake-up and a claim on an outbound thread.
                self._deliver(session, answer, marked=True)
            return MORE if message.more else ONE  # type: ignore[attr-defined]

    def handle_outbound(self) -> int:
        """Send at most one outbound message; returns IDLE, ONE or MORE."""
        with self.app.app_context():
            session = get_session()
            message = queue.claim(session, m.OUTBOUND, lease=self.lease)
            if message is None:
                return IDLE
            if message.abandoned and message.attempts > self.max_attempts:  # type: ignore[attr-defined]
                outbound.give_up(session, message.id, Abandoned(message.attempts))
            else:
                self._deliver(session, message)
            return MORE if message.more else ONE  # type: ignore[attr-defined]

    def _deliver(self, session: Session, message: m.Message, *, marked: bool = False) -> None:
        with self._outcome(session, f"outbound message {message.id}", message.id, outbound.give_up):
            outbound.deliver(
                session,
                message,
                self.transport,
                status_callback=self.status_callback,
                give_up_seconds=self.app.config["SEND_GIVE_UP_SECONDS"],
                marked=marked,
            )

    @contextlib.contextmanager
    def _outcome(
        self,
        session: Session,
        label: str,
        message_id: int,
        fail: Callable[[Session, int, BaseException], None],
    ) -> Iterator[None]:
        """How handling one message may end other than well, the same in both directions.

        - Another worker took it over (its lease ran out): this one writes nothing.
        - The database went away (a restart, a failover): nothing is wrong with the
          message, and a person need not take it. It keeps its claim until the lease
          ends and is taken again then; Rasa answers a repeated id without running the
          turn twice, and a reply with its mark is looked up in Twilio's list first.
        - Anything else is the message's own: ``fail`` (routing.poison hands it to a
          person with a folio, outbound.give_up fails it where agents see it).
        """
        try:
            yield
        except queue.LeaseLost:
            log.warning("%s was taken over by another worker", label)
        except OperationalError:
            session.rollback()
            log.warning(
                "%s: database unavailable; tried again after its lease", label, exc_info=True
            )
        except Exception as error:
            log.exception("%s failed", label)
            fail(session, message_id, error)

    def run_once(self) -> bool:
        """Handle at most one outbound and one inbound message; True if there was work."""
        sent = self.handle_outbound()
        routed = self.handle_inbound()
        return sent != IDLE or routed != IDLE

    def run_until_idle(self, limit: int = 1000) -> int:
        """Work until nothing is due (tests and one-off drains); returns the rounds that worked."""
        rounds = 0
        while rounds < limit and self.run_once():
            rounds += 1
        return rounds

    # --- the running process ------------------------------------------------------------

    def run_forever(self) -> None:
        config = self.app.config
        threads = [
            *(
                threading.Thread(target=self._serve, args=(m.INBOUND,), name=f"inbound-{i}")
                for i in range(config["WORKER_INBOUND_THREADS"])
            ),
            *(
                threading.Thread(target=self._serve, args=(m.OUTBOUND,), name=f"outbound-{i}")
                for i in range(config["WORKER_OUTBOUND_THREADS"])
            ),
            threading.Thread(target=self._listen, name="listen"),
            threading.Thread(target=self._poll, name="poll"),
            threading.Thread(target=self._beat, name="heartbeat"),
            threading.Thread(target=self._housekeep, args=(jobs.JOBS,), name="jobs"),
            threading.Thread(target=self._housekeep, args=(jobs.MEDIA_JOBS,), name="media"),
        ]
        for thread in threads:
            thread.daemon = True
            thread.start()
        log.info(
            "worker %s started (transport=%s, %s inbound and %s outbound threads)",
            self.worker_id,
            self.transport.name,
            config["WORKER_INBOUND_THREADS"],
            config["WORKER_OUTBOUND_THREADS"],
        )
        self.stopping.wait()
        for direction in DIRECTIONS:
            self.signals[direction].close()
        for thread in threads:
            thread.join(timeout=30)
        log.info("worker stopped")

    def stop(self, *_args: Any) -> None:
        self.stopping.set()

    def wake(self, direction: str | None = None) -> None:
        for name in [direction] if direction in DIRECTIONS else DIRECTIONS:
            self.signals[name].notify()

    def _serve(self, direction: str) -> None:
        handle = self.handle_inbound if direction == m.INBOUND else self.handle_outbound
        idle = max(IDLE_LOOK_SECONDS, self.app.config["WORKER_POLL_SECONDS"])
        while not self.stopping.is_set():
            try:
                handled = handle()
            except Exception:
                # The database went away mid-claim, say: wait, then try again.
                log.exception("%s round failed", direction)
                handled = IDLE
            if handled == MORE:
                self.signals[direction].notify()  # one more thread takes the next one
            elif handled == IDLE:
                self.signals[direction].wait(idle)
            # ONE: this thread looks once more itself, for work that came meanwhile.

    def _poll(self) -> None:
        """Retries whose time has come, leases that expired, any wake-up missed, and
        messages the webhook spooled while the database was down."""
        every = self.app.config["WORKER_POLL_SECONDS"]
        spool = Path(self.app.instance_path) / "spool"
        while not self.stopping.wait(every):
            try:
                with self.app.app_context():
                    session = get_session()
                    if spool.is_dir() and inbound.drain(session, spool):
                        self.wake(m.INBOUND)
                    for direction in queue.due_work(session):
                        self.wake(direction)
            except Exception:
                log.warning("polling for due work failed", exc_info=True)

    def _beat(self) -> None:
        every = self.app.config["WORKER_HEARTBEAT_SECONDS"]
        while True:
            try:
                with self.app.app_context():
                    heartbeat.beat(get_session(), self.worker_id)
            except Exception:
                log.warning("heartbeat failed", exc_info=True)
            if self.stopping.wait(every):
                return

    def _housekeep(self, due: tuple[jobs.Job, ...]) -> None:
        """Periodic jobs (desk.jobs), off the message threads."""
        schedule = jobs.Schedule(due)
        every = self.app.config["WORKER_JOBS_SECONDS"]
        while not self.stopping.wait(every):
            schedule.run_due(self.app)

    def _listen(self) -> None:
        with self.app.app_context():
            url = self.app.config["DATABASE_URL"]
            if url.startswith("postgresql"):
                self._listen_postgres(engine().url.render_as_string(hide_password=False))
            else:
                self._listen_socket(worker_socket(self.app))

    def _listen_postgres(self, url: str) -> None:
        conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        while not self.stopping.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {queue.CHANNEL}")
                    while not self.stopping.is_set():
                        for notice in connection.notifies(timeout=1.0):
                            self.wake(notice.payload or None)
            except psycopg.Error:
                # A lost listening connection only costs promptness: the poll goes on.
                log.warning("LISTEN connection lost; polling until it is back", exc_info=True)
                self.stopping.wait(5)

    def _listen_socket(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        try:
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            listener.bind(path)
        except OSError:
            log.warning("cannot listen on %s; polling only", path, exc_info=True)
            return
        listener.settimeout(1.0)
        try:
            while not self.stopping.is_set():
                try:
                    payload = listener.recv(64)
                except TimeoutError:
                    continue
                self.wake(payload.decode(errors="ignore") or None)
        finally:
            listener.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


class Abandoned(Exception):
    """A message whose workers kept stopping before finishing it."""

    def __init__(self, attempts: int) -> None:
        super().__init__(f"abandoned by its worker {attempts} times")


def run(app: Flask) -> None:
    if app.config["WORKER_NICE"] > 0:
        os.nice(app.config["WORKER_NICE"])
    worker = Worker(app)
    process.settle()
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run_forever()
