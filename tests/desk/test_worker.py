"""The worker drains both queues: citizens' messages in, replies out."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session

from desk.db import create_engine
from desk.models import message as m
from desk.services import queue
from desk.worker import Waker, Worker
from tests.desk.conftest import outbound_of
from tests.desk.services.test_outbound import RecordingTransport


def test_a_citizen_message_is_answered_through_the_transport(app, db, bot, make_message):
    bot.texts = ["¡Hola!"]
    transport = RecordingTransport()
    inbound = make_message(body="hola")

    rounds = Worker(app, transport=transport, bot=bot).run_until_idle()

    assert rounds >= 2
    db.refresh(inbound)
    assert inbound.status == m.DONE
    reply, notice = outbound_of(db, inbound.conversation)
    assert (reply.status, reply.provider_sid) == (m.DONE, "SMsent1")
    assert notice.kind == m.PRIVACY_NOTICE and notice.status == m.DONE
    assert [call["body"] for call in transport.calls] == ["¡Hola!", notice.body]


def test_the_sandbox_has_no_status_callback_and_twilio_gets_the_public_url(app, bot):
    assert Worker(app, transport=RecordingTransport(), bot=bot).status_callback is None
    app.config["TWILIO_SANDBOX"] = False
    assert Worker(app, transport=RecordingTransport(), bot=bot).status_callback == (
        "https://desk.example.test/channels/twilio/status"
    )


def test_an_idle_worker_reports_no_work(app, bot):
    assert Worker(app, transport=RecordingTransport(), bot=bot).run_once() is False


@pytest.mark.postgres
def test_on_postgresql_a_committed_message_wakes_a_sleeping_worker(postgresql_url):
    """NOTIFY, sent in the webhook's own transaction, ends the worker's wait."""
    waker = Waker(postgresql_url, threading.Event())
    try:
        assert waker.wait(0.01) is False  # listening now; nothing happened yet

        def webhook_commits() -> None:
            engine = create_engine(postgresql_url)
            with Session(engine) as session:
                queue.notify_worker(session)
                session.commit()
            engine.dispose()

        threading.Thread(target=webhook_commits).start()
        assert waker.wait(60) is True
    finally:
        waker.close()


def test_on_sqlite_the_worker_polls(sqlite_url):
    assert Waker(sqlite_url, threading.Event()).wait(0.01) is False
