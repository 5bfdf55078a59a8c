"""Routing: the conversation's mode decides who answers, and nothing is ever dropped."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from desk.db import utcnow
from desk.models import AuditEvent, Case
from desk.models import case as c
from desk.models import conversation as conv
from desk.models import message as m
from desk.services import queue, routing
from tests.desk.conftest import outbound_of


def claim_inbound(db):
    message = queue.claim(db, m.INBOUND)
    assert message is not None
    return message


def test_in_bot_mode_the_message_goes_to_the_assistant_and_its_replies_are_queued(
    db, bot, make_message
):
    bot.texts = ["¡Hola!", "¿En qué trámite te ayudo?"]
    message = make_message(body="hola")

    routing.route(db, claim_inbound(db), bot, give_up_seconds=120)

    assert bot.sent == [
        {
            "sender": message.conversation.key,
            "text": "hola",
            "message_id": str(message.id),
            "metadata": {"channel": "whatsapp", "language": "es"},
        }
    ]
    assert message.status == m.DONE
    assert (message.intent, message.confidence) == ("greet", 0.97)
    replies = outbound_of(db, message.conversation)
    assert [(r.author, r.body, r.status) for r in replies] == [
        (m.BOT, "¡Hola!", m.PENDING),
        (m.BOT, "¿En qué trámite te ayudo?", m.PENDING),
    ]


def test_in_human_mode_the_message_joins_the_open_case_and_the_assistant_stays_silent(
    db, bot, make_case, make_message
):
    case = make_case()
    message = make_message(case.conversation, body="¿ya vieron mi caso?")

    routing.route(db, claim_inbound(db), bot, give_up_seconds=120)

    assert bot.sent == []
    assert message.case_id == case.id
    assert message.status == m.DONE
    assert outbound_of(db, case.conversation) == []


def test_when_the_assistant_is_down_the_message_waits_and_is_retried_with_backoff(
    db, bot, make_message
):
    bot.down = True
    message = make_message()
    before = utcnow()

    routing.route(db, claim_inbound(db), bot, give_up_seconds=120)

    assert message.status == m.PENDING
    assert message.attempts == 1
    assert "unreachable" in message.error_message
    assert message.next_attempt_at >= before + timedelta(seconds=2)
    assert queue.claim(db, m.INBOUND) is None  # not due yet
    assert outbound_of(db, message.conversation) == []


def test_after_the_bounded_wait_the_citizen_gets_an_apology_and_a_case(db, bot, make_message):
    bot.down = True
    message = make_message(created_at=utcnow() - timedelta(seconds=121))

    routing.route(db, claim_inbound(db), bot, give_up_seconds=120)

    case = db.scalars(sa.select(Case)).one()
    assert (case.reason, case.status) == (c.BOT_UNAVAILABLE, c.OPEN)
    assert message.case_id == case.id and message.status == m.DONE
    assert message.conversation.mode == conv.HUMAN
    [apology] = outbound_of(db, message.conversation)
    assert apology.author == m.SYSTEM
    assert case.folio in apology.body
    actions = db.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["case.opened", "message.escalated"]


def test_an_empty_answer_from_the_assistant_goes_to_a_person_at_once(db, bot, make_message):
    bot.texts = []
    message = make_message()

    routing.route(db, claim_inbound(db), bot, give_up_seconds=120)

    assert message.conversation.mode == conv.HUMAN
    [apology] = outbound_of(db, message.conversation)
    assert "folio" in apology.body


def test_a_resolved_case_resumes_the_assistant_before_the_next_message(
    db, bot, make_conversation, make_message
):
    conversation = make_conversation(needs_bot_resume=True)
    make_message(conversation)

    routing.route(db, claim_inbound(db), bot, give_up_seconds=120)

    assert bot.resumed == [conversation.key]
    assert len(bot.sent) == 1
    assert conversation.needs_bot_resume is False


def test_when_resume_fails_the_flag_stays_for_the_retry(db, bot, make_conversation, make_message):
    bot.down = True
    conversation = make_conversation(needs_bot_resume=True)
    message = make_message(conversation)

    routing.route(db, claim_inbound(db), bot, give_up_seconds=120)

    assert conversation.needs_bot_resume is True
    assert message.status == m.PENDING


def test_a_handoff_during_the_turn_is_not_undone_by_the_worker(db, bot, make_message, app):
    """The assistant's handoff action opens the case through the API mid-turn."""
    message = make_message(body="quiero hablar con un agente")
    bot.texts = ["Listo, tu folio es …"]

    def handoff(_sender: str) -> None:
        from desk.services import cases

        cases.open_case(db, message.conversation, reason=c.CITIZEN_REQUEST)
        db.commit()

    bot.on_send = handoff
    routing.route(db, claim_inbound(db), bot, give_up_seconds=120)

    db.refresh(message.conversation)
    assert message.conversation.mode == conv.HUMAN
    assert [r.body for r in outbound_of(db, message.conversation)] == ["Listo, tu folio es …"]
