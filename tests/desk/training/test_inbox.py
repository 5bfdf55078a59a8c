"""The review inbox holds the citizen messages the assistant was unsure about, newest first."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from desk.bot_client import BotClient
from desk.db import utcnow
from desk.models import Review
from desk.models import case as c
from desk.models import message as m
from desk.models import review as r
from desk.services import queue, routing
from desk.training import inbox
from tests.desk.conftest import FakeBot
from tests.support.json_standin import JsonStandIn

BELOW = 0.6


def waiting_bodies(db, **filters):
    return [row.message.body for row in inbox.waiting(db, below=BELOW, **filters)]


@pytest.fixture
def trainer(make_agent):
    return make_agent(email="tere.entrenadora@cab.gob.mx", name="Teresa Ruiz", role="trainer")


def test_a_message_the_assistant_did_not_understand_waits(db, make_message):
    make_message(body="ke onda con lo del bienestar", intent="nlu_fallback", confidence=0.91)

    [row] = inbox.waiting(db, below=BELOW)

    assert row.message.body == "ke onda con lo del bienestar"
    assert row.reasons == (inbox.FALLBACK,)


def test_a_message_understood_with_low_confidence_waits_and_a_confident_one_does_not(
    db, make_message
):
    make_message(body="cuanto sale el tramite", intent="ask_cost", confidence=0.41)
    make_message(body="¿cuánto cuesta el pasaporte?", intent="ask_cost", confidence=0.97)

    [row] = inbox.waiting(db, below=BELOW)

    assert row.message.body == "cuanto sale el tramite"
    assert row.reasons == (inbox.LOW_CONFIDENCE,)


def test_the_citizens_last_words_before_a_handoff_wait(
    db, make_conversation, make_message, make_case
):
    conversation = make_conversation()
    make_message(conversation, body="hola", intent="greet", confidence=0.99)
    make_message(
        conversation, body="ya me cansé, nomás no me resuelves", intent="deny", confidence=0.88
    )
    make_message(conversation, direction=m.OUTBOUND, body="Te comunico con una persona.")
    make_case(conversation, reason=c.FRUSTRATION)

    [row] = inbox.waiting(db, below=BELOW)

    assert row.message.body == "ya me cansé, nomás no me resuelves"
    assert row.reasons == (inbox.BEFORE_HANDOFF,)
    assert row.before == "hola"


def test_a_case_the_assistant_did_not_open_sends_nothing_to_the_inbox(
    db, make_conversation, make_message, make_case
):
    conversation = make_conversation()
    make_message(
        conversation, body="¿dónde tramito la pensión?", intent="ask_where", confidence=0.95
    )
    make_case(conversation, reason=c.BOT_UNAVAILABLE)

    assert waiting_bodies(db) == []


def test_what_the_assistant_answered_in_a_conversation_rated_1_or_2_waits(
    db, make_conversation, make_message, make_case
):
    unhappy = make_conversation()
    make_message(
        unhappy, body="requisitos para la beca", intent="ask_requirements", confidence=0.93
    )
    case = make_case(unhappy, reason=c.SYSTEM_ERROR)
    make_message(unhappy, body="ya me atendió la persona, gracias")  # a person answered it
    case.csat_score = 2
    happy = make_conversation()
    make_message(happy, body="requisitos de la pensión", intent="ask_requirements", confidence=0.92)
    make_case(happy, reason=c.SYSTEM_ERROR).csat_score = 5
    db.commit()

    rows = inbox.waiting(db, below=BELOW)

    assert [(row.message.body, row.reasons) for row in rows] == [
        ("requisitos para la beca", (inbox.LOW_CSAT,))
    ]


def test_replies_and_notes_from_people_never_wait(db, make_conversation, make_message):
    conversation = make_conversation()
    make_message(conversation, direction=m.OUTBOUND, body="No entendí", intent="nlu_fallback")

    assert waiting_bodies(db) == []


def test_newest_first_and_the_count_says_how_many_wait(db, make_message):
    now = utcnow()
    make_message(body="curp", intent="nlu_fallback", created_at=now - timedelta(hours=2))
    make_message(body="acta", intent="nlu_fallback", created_at=now)
    make_message(body="ine", intent="nlu_fallback", created_at=now - timedelta(hours=1))

    assert waiting_bodies(db) == ["acta", "ine", "curp"]
    assert inbox.count_waiting(db, BELOW) == 3


@pytest.mark.parametrize("status", [r.CONFIRMED, r.DISMISSED])
def test_a_reviewed_message_leaves_the_inbox(db, make_message, trainer, status):
    reviewed = make_message(body="quiero lo de los viejitos", intent="nlu_fallback")
    make_message(body="cuanto tarda", intent="ask_duration", confidence=0.3)
    db.add(Review(message_id=reviewed.id, status=status, reviewer_id=trainer.id))
    db.commit()

    assert waiting_bodies(db) == ["cuanto tarda"]
    assert inbox.count_waiting(db, BELOW) == 1


def test_filters_by_intent_channel_model_and_date(db, make_conversation, make_message):
    now = utcnow()
    sms = make_conversation(channel="sms")
    make_message(body="pasaporte", intent="ask_cost", confidence=0.5, model_id="20261101-a")
    make_message(sms, body="sms", intent="ask_cost", confidence=0.5, model_id="20261101-a")
    make_message(body="modelo nuevo", intent="ask_cost", confidence=0.5, model_id="20261128-b")
    make_message(body="otro intent", intent="ask_where", confidence=0.5, model_id="20261101-a")
    make_message(
        body="de ayer", intent="ask_cost", confidence=0.5, created_at=now - timedelta(days=1)
    )

    assert set(waiting_bodies(db, intent="ask_where")) == {"otro intent"}
    assert waiting_bodies(db, channel="sms") == ["sms"]
    assert set(waiting_bodies(db, model="20261128-b")) == {"modelo nuevo"}
    assert waiting_bodies(db, until=now - timedelta(hours=1)) == ["de ayer"]
    assert "de ayer" not in waiting_bodies(db, since=now - timedelta(hours=1))
    assert inbox.count_waiting(db, BELOW, intent="ask_cost", model="20261101-a") == 2


def test_the_client_reads_which_model_understood_the_message():
    server = JsonStandIn(
        lambda *_: (
            200,
            {
                "messages": [{"recipient_id": "k", "text": "Pasaporte mexicano — costo"}],
                "intent": {"name": "ask_cost", "confidence": 0.72, "model": "20261128-173012"},
            },
        )
    )
    try:
        reply = BotClient(server.url, "rasa-token").send(
            "k", "cuanto cuesta el pasaporte", message_id="9", metadata={}
        )
    finally:
        server.stop()

    assert reply.model_id == "20261128-173012"


def test_routing_stores_the_model_that_answered_on_the_message(db, make_message):
    class ModelBot(FakeBot):
        def send(self, *args, **kwargs):
            return dataclasses.replace(super().send(*args, **kwargs), model_id="20261128-173012")

    message = make_message(body="cuanto cuesta el pasaporte")

    routing.route(
        db,
        queue.claim(db, m.INBOUND),
        ModelBot(intent="ask_cost", confidence=0.55),
        give_up_seconds=120,
        privacy_url="https://desk.example.test/privacidad",
    )

    assert message.model_id == "20261128-173012"
    assert [row.message.model_id for row in inbox.waiting(db, below=BELOW)] == ["20261128-173012"]
