"""The worker drains both queues: citizens' messages in, replies out."""

from __future__ import annotations

from desk.models import message as m
from desk.worker import Worker
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
