"""Routing: the conversation's mode decides who answers, and nothing is ever dropped."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from desk.db import utcnow
from desk.models import AuditEvent, Case
from desk.models import case as c
from desk.models import conversation as conv
from desk.models import message as m
from desk.services import queue, routing
from tests.desk.conftest import outbound_of

PRIVACY_URL = "https://desk.example.test/privacidad"


def claim_inbound(db):
    message = queue.claim(db, m.INBOUND)
    assert message is not None
    return message


def route_next(db, bot, *, give_up_seconds=120):
    routing.route(
        db, claim_inbound(db), bot, give_up_seconds=give_up_seconds, privacy_url=PRIVACY_URL
    )


def answers(db, conversation):
    """What the citizen will read, apart from a privacy notice sent on its own."""
    return [r for r in outbound_of(db, conversation) if r.kind != m.PRIVACY_NOTICE]


def without_notice(body: str) -> str:
    """The answer without the privacy notice that closes the first one."""
    return body.split("\n\nAviso de privacidad")[0]


def test_in_bot_mode_the_message_goes_to_the_assistant_and_its_replies_are_queued(
    db, bot, make_message
):
    bot.texts = ["¡Hola!", "¿En qué trámite te ayudo?"]
    message = make_message(body="hola")

    route_next(db, bot)

    assert bot.sent == [
        {
            "sender": message.conversation.key,
            "text": "hola",
            "message_id": str(message.id),
            "metadata": {"channel": "whatsapp", "language": "es"},
            # Never sent before: Rasa need not look for an answer it gave to it.
            "asked_before": False,
        }
    ]
    assert message.status == m.DONE
    assert (message.intent, message.confidence) == ("greet", 0.97)
    # One turn, one message: separate messages may reach the phone in any order.
    [reply] = outbound_of(db, message.conversation)
    assert (reply.author, reply.status) == (m.BOT, m.PENDING)
    assert reply.body.startswith("¡Hola!\n\n¿En qué trámite te ayudo?\n\nAviso de privacidad")


def test_in_human_mode_the_message_joins_the_open_case_and_the_assistant_stays_silent(
    db, bot, make_case, make_message
):
    case = make_case()
    message = make_message(case.conversation, body="¿ya vieron mi caso?")

    route_next(db, bot)

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

    route_next(db, bot)

    assert message.status == m.PENDING
    assert message.attempts == 1
    assert message.error_message == "Rasa at http://127.0.0.1:5005 failed: ConnectionError"
    assert message.next_attempt_at >= before + timedelta(seconds=2)
    assert queue.claim(db, m.INBOUND) is None  # not due yet
    assert outbound_of(db, message.conversation) == []


def test_after_the_bounded_wait_the_citizen_gets_an_apology_and_a_case(db, bot, make_message):
    bot.down = True
    message = make_message(created_at=utcnow() - timedelta(seconds=121))

    route_next(db, bot)

    case = db.scalars(sa.select(Case)).one()
    assert (case.reason, case.status) == (c.BOT_UNAVAILABLE, c.NEW)
    # Failed, where agents see why; filed with the case the citizen is told about.
    assert message.case_id == case.id and message.status == m.FAILED
    assert message.conversation.mode == conv.HUMAN
    [apology] = answers(db, message.conversation)
    assert apology.author == m.SYSTEM
    assert case.folio in apology.body
    actions = db.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["case.opened", "message.escalated"]


def test_an_empty_answer_from_the_assistant_goes_to_a_person_at_once(db, bot, make_message):
    bot.texts = []
    message = make_message()

    route_next(db, bot)

    assert message.conversation.mode == conv.HUMAN
    [apology] = answers(db, message.conversation)
    assert "folio" in apology.body
    assert db.scalars(sa.select(Case)).one().reason == c.SYSTEM_ERROR


def test_the_empty_answer_of_a_conversation_handed_to_a_person_is_no_error(
    db, bot, make_case, make_message
):
    """The assistant handed off in this very turn (or before): it has nothing to say,
    and the message belongs to the case."""
    bot.texts, bot.paused = [], True
    message = make_message()

    route_next(db, bot)

    assert message.status == m.DONE
    case = db.scalars(sa.select(Case)).one()
    assert message.case_id == case.id
    assert answers(db, message.conversation) == []  # no apology: nothing went wrong


def test_a_resolved_case_resumes_the_assistant_before_the_next_message(
    db, bot, make_conversation, make_message
):
    conversation = make_conversation(needs_bot_resume=True)
    make_message(conversation)

    route_next(db, bot)

    assert bot.resumed == [conversation.key]
    assert len(bot.sent) == 1
    assert conversation.needs_bot_resume is False


def test_when_resume_fails_the_flag_stays_for_the_retry(db, bot, make_conversation, make_message):
    bot.down = True
    conversation = make_conversation(needs_bot_resume=True)
    message = make_message(conversation)

    route_next(db, bot)

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
    route_next(db, bot)

    db.refresh(message.conversation)
    assert message.conversation.mode == conv.HUMAN
    assert [without_notice(r.body) for r in answers(db, message.conversation)] == [
        "Listo, tu folio es …"
    ]


def test_the_privacy_notice_closes_the_first_answer_and_only_the_first(db, bot, make_message):
    first = make_message(body="hola")
    route_next(db, bot)
    make_message(first.conversation, body="gracias")
    route_next(db, bot)

    first_answer, second_answer = outbound_of(db, first.conversation)
    answer, notice = first_answer.body.split("\n\n")
    assert answer == bot.texts[0]  # the answer comes first, whole
    assert notice.startswith("Aviso de privacidad")
    assert PRIVACY_URL in notice and "BAJA" in notice
    assert "Aviso de privacidad" not in second_answer.body


def test_on_sms_the_privacy_notice_goes_alone(db, bot, make_conversation, make_message):
    """An SMS answer is kept within three segments; the notice would double it."""
    message = make_message(make_conversation(channel="sms"), body="hola")

    route_next(db, bot)

    answer, notice = outbound_of(db, message.conversation)
    assert answer.body == bot.texts[0]
    assert (notice.kind, notice.body[:19]) == (m.PRIVACY_NOTICE, "Aviso de privacidad")


def test_the_privacy_notice_goes_alone_when_the_answer_leaves_no_room(db, bot, make_message):
    bot.texts = ["a" * 1590]
    message = make_message(body="hola")

    route_next(db, bot)

    answer, notice = outbound_of(db, message.conversation)
    assert answer.body == "a" * 1590
    assert (notice.kind, notice.author) == (m.PRIVACY_NOTICE, m.SYSTEM)
    assert notice.body.startswith("Aviso de privacidad")


def test_the_assistants_language_becomes_the_conversations(db, bot, make_message):
    bot.language = "en"
    message = make_message(body="hello, english please")

    route_next(db, bot)

    assert message.conversation.language == "en"
    [answer] = outbound_of(db, message.conversation)
    assert answer.body.split("\n\n")[-1].startswith("Privacy notice")


def test_an_answer_longer_than_twilio_allows_is_split_between_paragraphs(db, bot, make_message):
    bot.texts = ["a" * 1000 + "\n\n" + "b" * 1000]
    message = make_message()

    route_next(db, bot)

    first, second = outbound_of(db, message.conversation)
    assert (first.body, second.body[:1000]) == ("a" * 1000, "b" * 1000)


@pytest.mark.parametrize("keyword", ["BAJA", "baja", " Stop. ", "alto"])
def test_an_opt_out_keyword_is_recorded_confirmed_and_never_sent_to_the_assistant(
    db, bot, make_conversation, make_message, keyword
):
    conversation = make_conversation(channel="whatsapp")
    make_message(conversation, body=keyword)

    route_next(db, bot)

    assert bot.sent == []
    assert conversation.opted_out is True
    [notice] = outbound_of(db, conversation)
    assert notice.kind == m.CONSENT_NOTICE and "ALTA" in notice.body
    assert db.scalars(sa.select(AuditEvent.action)).all() == ["conversation.opted_out"]


def test_twilio_answers_its_own_keywords_on_sms_so_the_desk_does_not(
    db, bot, make_conversation, make_message
):
    conversation = make_conversation(channel="sms")
    make_message(conversation, body="STOP")

    route_next(db, bot)

    assert conversation.opted_out is True
    assert outbound_of(db, conversation) == []


def test_an_opted_out_citizen_gets_no_answer_until_alta(db, bot, make_conversation, make_message):
    conversation = make_conversation(opted_out=True)
    question = make_message(conversation, body="cuanto cuesta el pasaporte")
    route_next(db, bot)
    assert bot.sent == [] and outbound_of(db, conversation) == []
    assert question.status == m.DONE

    make_message(conversation, body="ALTA")
    route_next(db, bot)

    assert conversation.opted_out is False
    [welcome] = outbound_of(db, conversation)
    assert welcome.kind == m.WELCOME_BACK_NOTICE and "BAJA" in welcome.body
    assert bot.sent == []


def test_yes_is_an_answer_not_a_keyword_for_a_subscribed_citizen(db, bot, make_message):
    message = make_message(body="yes")

    route_next(db, bot)

    assert bot.sent[0]["text"] == "yes"
    assert message.conversation.opted_out is False


def test_no_secret_reaches_the_database_when_rasa_fails(app, db, make_message):
    """What a failing Rasa call leaves in the message (the agents' view of the error)
    names the server and the error's type, never the token or a password."""
    from desk.bot_client import BotClient

    app.config["RASA_TOKEN"] = "rasa-secret-token"
    client = BotClient("http://user:db-password@127.0.0.1:9", "rasa-secret-token", timeout=1)
    message = make_message()

    route_next(db, client)

    stored = " ".join(
        str(value or "") for value in (message.error_message, message.error_code, message.body)
    )
    assert "rasa-secret-token" not in stored and "db-password" not in stored
    assert "127.0.0.1:9" in message.error_message


def test_a_turn_that_handed_off_while_the_desk_waited_still_gets_its_answer_to_the_citizen(
    db, bot, make_message
):
    """Rasa ran the handoff (the case is open, the mode human) but its answer never
    reached the desk: the retry asks Rasa again, which gives the same answer."""
    message = make_message(body="quiero un agente")
    message.sending_started_at = utcnow()  # the first call began and never came back
    message.conversation.mode = conv.HUMAN
    db.commit()
    bot.texts, bot.paused = ["Listo, tu folio es CAB-2026-000001."], True

    route_next(db, bot)

    assert [(call["message_id"], call["asked_before"]) for call in bot.sent] == [
        (str(message.id), True)
    ]
    [answer] = answers(db, message.conversation)
    assert "CAB-2026-000001" in answer.body
    assert message.status == m.DONE and message.sending_started_at is None


def test_what_the_assistant_understood_is_kept_with_the_message_for_the_trainers(
    db, bot, make_message, monkeypatch
):
    """The intent, its confidence, the model that answered and the procedure named."""
    import dataclasses

    plain_send = bot.send

    def understood(*args, **kwargs):
        reply = plain_send(*args, **kwargs)
        return dataclasses.replace(reply, model_id="20260312-101500", procedure="pasaporte")

    monkeypatch.setattr(bot, "send", understood)
    message = make_message(body="cuánto cuesta el pasaporte")

    route_next(db, bot)

    assert (message.intent, message.confidence) == ("greet", 0.97)
    assert (message.model_id, message.procedure) == ("20260312-101500", "pasaporte")


@pytest.mark.parametrize("texts", [["Cuesta lo que dice la SRE."], []], ids=["answer", "none"])
def test_a_worker_whose_lease_ran_out_while_rasa_worked_writes_nothing(
    app, db, bot, make_message, texts
):
    message = make_message(body="cuanto cuesta el pasaporte")
    mine = claim_inbound(db)
    other_worker = app.extensions["desk.db"]()
    past_the_lease = utcnow() + queue.LEASE + timedelta(seconds=1)
    bot.texts = texts
    bot.on_send = lambda _sender: queue.claim(other_worker, m.INBOUND, now=past_the_lease)

    with pytest.raises(queue.LeaseLost):
        routing.route(db, mine, bot, give_up_seconds=120, privacy_url=PRIVACY_URL)

    db.refresh(message)
    assert (message.status, message.intent) == (m.PROCESSING, None)  # the other worker's now
    assert outbound_of(db, message.conversation) == []
