"""The simulated day: a file of citizens' conversations, played through the real inbound
route so the review inbox fills with material the assistant has never trained on."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from desk import create_app
from desk.models import Case, Conversation, Message
from desk.models import message as m
from desk.ops import heartbeat
from desk.simulator import day
from desk.training import nlu_data, scrub
from desk.worker import Worker
from tests.desk.conftest import BASE_CONFIG
from tests.desk.services.test_outbound import RecordingTransport

ROOT = Path(__file__).resolve().parents[3]
DAY_FILE = ROOT / day.DEFAULT_FILE

TWO_CONVERSATIONS = """\
version: 1
conversations:
  - channel: whatsapp
    phone: "+5215500000001"
    name: "Lupita R"
    intent: ask_cost
    messages:
      - "cuanto sale el pasaporte"
      - "gracias"
  - channel: sms
    phone: "+525500000002"
    intent: report_problem
    messages:
      - "no me llega el codigo"
"""


@pytest.fixture(scope="module")
def the_day() -> list[day.CitizenConversation]:
    return day.load(DAY_FILE)


@pytest.fixture
def small_day(tmp_path) -> Path:
    path = tmp_path / "day.yml"
    path.write_text(TWO_CONVERSATIONS, encoding="utf-8")
    return path


# --- the file -------------------------------------------------------------------------


def test_the_day_is_about_a_hundred_and_twenty_conversations_on_both_channels(the_day):
    assert 100 <= len(the_day) <= 150
    assert {conversation.channel for conversation in the_day} == {"whatsapp", "sms"}
    assert all(1 <= len(conversation.messages) <= 3 for conversation in the_day)


def test_each_conversation_is_a_different_invented_number(the_day):
    phones = [conversation.phone for conversation in the_day]

    assert len(set(phones)) == len(phones)
    # Mexico's ten digits after +52 (and WhatsApp's 1): no subscriber number starts
    # with 0, so 55 0xxx xxxx reaches nobody.
    assert all(phone[-10:].startswith("550") for phone in phones), phones


def test_every_first_message_is_labelled_with_an_intent_of_the_domain(the_day):
    domain = nlu_data.load_domain(ROOT)

    unknown = {c.intent for c in the_day} - (domain.intents - nlu_data.NOT_TRAINABLE)

    assert not unknown
    assert len({c.intent for c in the_day}) >= 15


def test_no_message_is_an_example_of_the_training_or_held_out_data(the_day):
    known = nlu_data.known_examples(ROOT)

    seen = [
        (text, known[nlu_data.normalize(text)])
        for conversation in the_day
        for text in conversation.messages
        if nlu_data.normalize(text) in known
        and not _reviewed_from_the_day(text, known[nlu_data.normalize(text)])
    ]

    assert seen == []


def _reviewed_from_the_day(text: str, where: str) -> bool:
    """Whether the review inbox would have written this message there: once trainers
    confirm the day's messages they belong to the data, as every reviewed message does."""
    if nlu_data.held_out(nlu_data.Example(text, "any")):
        return where == nlu_data.TEST_SET.as_posix()
    return where.startswith(nlu_data.REVIEWED_DIR.as_posix() + "/")


def test_the_personal_data_it_carries_is_what_the_scrubber_replaces(the_day):
    carrying = [c for c in the_day if c.personal_data]

    assert len(carrying) >= 8
    for conversation in carrying:
        found = {f.kind for text in conversation.messages for f in scrub.scrub(text).findings}
        assert set(conversation.personal_data) <= found, conversation.messages


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ('channel: telegram\n    phone: "+5215500000001"', "channel must be one of"),
        ('channel: sms\n    phone: "5500000001"', "phone must be an E.164"),
        ('channel: sms\n    phone: "+525500000001"\n    oops: 1', "unknown keys"),
        ('channel: sms\n    phone: "+525500000001"\n    personal_data: [shoe]', "personal_data"),
    ],
)
def test_a_bad_conversation_is_named_with_what_is_wrong(tmp_path, entry, complaint):
    path = tmp_path / "day.yml"
    path.write_text(
        f"conversations:\n  - {entry}\n    intent: greet\n    messages: [hola]\n", encoding="utf-8"
    )

    with pytest.raises(day.DayFileError, match=f"conversation 1: {complaint}"):
        day.load(path)


def test_more_than_three_messages_is_not_a_conversation_of_the_day(tmp_path):
    path = tmp_path / "day.yml"
    path.write_text(
        'conversations:\n  - channel: sms\n    phone: "+525500000001"\n    intent: greet\n'
        "    messages: [uno, dos, tres, cuatro]\n",
        encoding="utf-8",
    )

    with pytest.raises(day.DayFileError, match="1 to 3 non-empty texts"):
        day.load(path)


# --- playing it -----------------------------------------------------------------------


def test_the_command_posts_signed_webhooks_that_the_desk_stores(app, db, small_day):
    result = app.test_cli_runner().invoke(
        args=["simulate-day", "--file", str(small_day), "--timeout", "0"]
    )

    assert result.exit_code == 0, result.output
    stored = db.scalars(sa.select(Message).order_by(Message.id)).all()
    assert [(msg.direction, msg.status, msg.body) for msg in stored] == [
        (m.INBOUND, m.PENDING, "cuanto sale el pasaporte"),
        (m.INBOUND, m.PENDING, "gracias"),
        (m.INBOUND, m.PENDING, "no me llega el codigo"),
    ]
    conversations = db.scalars(sa.select(Conversation).order_by(Conversation.id)).all()
    assert [(c.channel, c.citizen_address, c.profile_name) for c in conversations] == [
        ("whatsapp", "whatsapp:+5215500000001", "Lupita R"),
        ("sms", "+525500000002", None),
    ]
    assert "Conversations:       2" in result.output
    assert "Messages:            3" in result.output


def test_limit_plays_only_the_first_conversations(app, db, small_day):
    result = app.test_cli_runner().invoke(
        args=["simulate-day", "--file", str(small_day), "--timeout", "0", "--limit", "1"]
    )

    assert result.exit_code == 0, result.output
    assert db.scalar(sa.select(sa.func.count(Message.id))) == 2


def test_without_a_worker_the_command_says_nothing_would_answer(app, db, small_day):
    result = app.test_cli_runner().invoke(args=["simulate-day", "--file", str(small_day)])

    assert result.exit_code == 1
    assert "No worker is running" in result.output
    assert db.scalar(sa.select(sa.func.count(Message.id))) == 0


def test_a_message_nobody_handles_in_time_is_reported(app, db, small_day):
    heartbeat.beat(db, "a-worker-that-does-nothing")

    result = app.test_cli_runner().invoke(
        args=["simulate-day", "--file", str(small_day), "--limit", "1", "--timeout", "0.3"]
    )

    assert result.exit_code == 0, result.output
    assert "Not handled in time: 2" in result.output


def test_each_message_waits_for_the_answer_and_unsure_ones_reach_the_review_inbox(
    app, db, bot, small_day
):
    bot.intent, bot.confidence = "ask_cost", 0.31
    worker = Worker(app, transport=RecordingTransport(), bot=bot)
    posted_before_answering = []

    def wait(_seconds: float) -> None:
        inbound = sa.select(sa.func.count(Message.id)).filter_by(direction=m.INBOUND)
        posted_before_answering.append(db.scalar(inbound))
        worker.run_until_idle()

    summary = day.play(day.load(small_day), timeout=5, sleep=wait)

    # Each message was posted only after the one before it had its answer.
    assert [sent["text"] for sent in bot.sent] == [
        "cuanto sale el pasaporte",
        "gracias",
        "no me llega el codigo",
    ]
    assert posted_before_answering == [1, 2, 3]
    assert (summary.conversations, summary.messages, summary.answered) == (2, 3, 3)
    assert (summary.handed_over, summary.no_reply) == (0, 0)
    assert summary.waiting_review == summary.waiting_from_day == 3


def test_a_conversation_the_assistant_hands_over_is_counted(app, db, bot, small_day):
    bot.texts, bot.paused = [], True
    worker = Worker(app, transport=RecordingTransport(), bot=bot)
    conversations = day.load(small_day)[1:]

    summary = day.play(conversations, timeout=5, sleep=lambda _: worker.run_until_idle())

    assert (summary.answered, summary.to_person, summary.handed_over) == (0, 1, 1)
    assert db.scalar(sa.select(sa.func.count(Case.id))) == 1


def test_no_day_is_played_where_replies_would_go_to_twilio(
    tmp_path, monkeypatch, sqlite_url, small_day
):
    monkeypatch.setenv("DESK_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        BASE_CONFIG | {"DATABASE_URL": sqlite_url, "TWILIO_ACCOUNT_SID": "AC" + "1" * 32}
    )

    result = app.test_cli_runner().invoke(args=["simulate-day", "--file", str(small_day)])

    assert result.exit_code == 1
    assert "sent for real" in result.output
