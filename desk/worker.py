"""The worker: routes inbound messages and sends outbound ones, from the message table.

Run with ``flask --app desk worker``. Several can run against PostgreSQL.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import psycopg
from flask import Flask

from desk.bot_client import BotClient
from desk.db import get_session
from desk.models import message as m
from desk.services import outbound, queue, routing
from desk.transports import Transport
from desk.transports import from_config as transport_from_config

log = logging.getLogger(__name__)


class Worker:
    def __init__(
        self, app: Flask, *, transport: Transport | None = None, bot: BotClient | None = None
    ) -> None:
        self.app = app
        config = app.config
        self.transport = transport or transport_from_config(config)
        self.bot = bot or BotClient(
            config["RASA_URL"], config["RASA_TOKEN"], timeout=config["RASA_TIMEOUT_SECONDS"]
        )
        self.status_callback = (
            None
            if config["TWILIO_SANDBOX"]
            else config["PUBLIC_BASE_URL"] + "/channels/twilio/status"
        )
        self.privacy_url = config["PUBLIC_BASE_URL"] + "/privacidad"
        self.stopping = threading.Event()

    def run_once(self) -> bool:
        """Handle at most one outbound and one inbound message; True if there was work."""
        with self.app.app_context():
            session = get_session()
            worked = False
            message = queue.claim(session, m.OUTBOUND)
            if message is not None:
                worked = True
                outbound.deliver(
                    session,
                    message,
                    self.transport,
                    status_callback=self.status_callback,
                    give_up_seconds=self.app.config["SEND_GIVE_UP_SECONDS"],
                )
            message = queue.claim(session, m.INBOUND)
            if message is not None:
                worked = True
                routing.route(
                    session,
                    message,
                    self.bot,
                    give_up_seconds=self.app.config["BOT_GIVE_UP_SECONDS"],
                    privacy_url=self.privacy_url,
                )
            return worked

    def run_until_idle(self, limit: int = 1000) -> int:
        """Work until nothing is due (tests and one-off drains); returns the rounds that worked."""
        rounds = 0
        while rounds < limit and self.run_once():
            rounds += 1
        return rounds

    def run_forever(self) -> None:
        waker = Waker(self.app.config["DATABASE_URL"], self.stopping)
        log.info("worker started (transport=%s)", self.transport.name)
        try:
            self._loop(waker)
        finally:
            waker.close()
        log.info("worker stopped")

    def _loop(self, waker: Waker) -> None:
        while not self.stopping.is_set():
            try:
                worked = self.run_once()
            except Exception:
                # A bug or a database hiccup on one message must not stop the others;
                # the message's lease expires and it is tried again.
                log.exception("worker round failed")
                worked = False
            if not worked:
                waker.wait(self.app.config["WORKER_POLL_SECONDS"])

    def stop(self, *_args: Any) -> None:
        self.stopping.set()


class Waker:
    """Sleeps until more work may be due: LISTEN/NOTIFY on PostgreSQL, polling elsewhere."""

    def __init__(self, database_url: str, stopping: threading.Event) -> None:
        self.stopping = stopping
        self.conninfo = (
            database_url.replace("postgresql+psycopg://", "postgresql://")
            if database_url.startswith("postgresql")
            else None
        )
        self.connection: psycopg.Connection[Any] | None = None

    def wait(self, seconds: float) -> bool:
        """True when a notification ended the wait, False when the time ran out."""
        if self.conninfo is None:
            self.stopping.wait(seconds)
            return False
        try:
            if self.connection is None:
                self.connection = psycopg.connect(self.conninfo, autocommit=True)
                self.connection.execute(f"LISTEN {queue.CHANNEL}")
            return any(True for _ in self.connection.notifies(timeout=seconds, stop_after=1))
        except psycopg.Error:
            # A lost listening connection only costs promptness: poll, reconnect later.
            log.warning("LISTEN connection lost; polling until it is back", exc_info=True)
            self.close()
            self.stopping.wait(seconds)
            return False

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def run(app: Flask) -> None:
    worker = Worker(app)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run_forever()
