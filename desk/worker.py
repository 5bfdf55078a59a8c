"""The worker: routes inbound messages and sends outbound ones, from the message table.

Run with ``flask --app desk worker``. Several can run against PostgreSQL.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
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
        wait = self._waiter()
        log.info("worker started (transport=%s)", self.transport.name)
        while not self.stopping.is_set():
            try:
                worked = self.run_once()
            except Exception:
                # A bug or a database hiccup on one message must not stop the others;
                # the message's lease expires and it is tried again.
                log.exception("worker round failed")
                worked = False
            if not worked:
                wait(self.app.config["WORKER_POLL_SECONDS"])
        log.info("worker stopped")

    def stop(self, *_args: Any) -> None:
        self.stopping.set()

    def _waiter(self) -> Callable[[float], None]:
        """Sleep until more work may be due: LISTEN/NOTIFY on PostgreSQL, polling elsewhere."""
        url = self.app.config["DATABASE_URL"]
        if not url.startswith("postgresql"):
            return lambda seconds: self.stopping.wait(seconds)
        conn = psycopg.connect(
            url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
        )
        conn.execute(f"LISTEN {queue.CHANNEL}")

        def wait(seconds: float) -> None:
            for _ in conn.notifies(timeout=seconds, stop_after=1):
                pass

        return wait


def run(app: Flask) -> None:
    worker = Worker(app)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run_forever()
