"""The case lifecycle: new → open → pending → resolved → closed, reopening within the
window, satisfaction asked once, and a timeline event for every move."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from desk.db import utcnow
from desk.models import AuditEvent, Message, WhatsAppTemplate
from desk.models import case as c
from desk.models import conversation as conv
from desk.models import message as m
from desk.services import cases, queue, routing, settings
from tests.desk.conftest import outbound_of

PRIVACY_URL = "https://desk.example.test/privacidad"


def actions(db, case) -> list[str]:
    return list(
        db.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.case_id == case.id)
            .order_by(AuditEvent.id)
        )
    )


def citizen_writes(db, bot, make_message, conversation, body: str) -> Message:
    """The citizen's message, routed by the worker as it would be."""
    message = make_message(conversation, body=body)
    claimed = queue.claim(db, m.INBOUND)
    routing.route(db, claimed, bot, give_up_seconds=120, privacy_url=PRIVACY_URL)
    db.refresh(message)
    return message


@pytest.fixture
def available(make_agent):
    return make_agent(name="Berta Disponible", available=True, available_changed_at=utcnow())


def test_a_handed_off_case_is_new_with_its_due_times(db, make_case):
    case = make_case()

    assert case.status == c.NEW and case.assignee is None
    first_minutes, resolution_minutes = settings.SLA_DEFAULTS[c.NORMAL]
    assert case.first_response_due_at == case.opened_at + timedelta(minutes=first_minutes)
    assert case.resolution_due_at == case.opened_at + timedelta(minutes=resolution_minutes)
    assert actions(db, case) == ["case.opened"]


def test_the_first_answer_claims_the_case_and_stops_the_first_response_clock(db, make_case, agent):
    case = make_case()

    cases.reply(db, case, agent, "Hola, lo reviso.")

    assert (case.status, case.assignee_id) == (c.OPEN, agent.id)
    assert case.first_response_at is not None
    # Claiming is what opens it: one event, not two.
    assert actions(db, case) == ["case.opened", "case.claimed", "case.replied"]


def test_the_assistants_messages_never_count_as_a_first_response(db, bot, make_case, make_message):
    case = make_case()
    make_message(case.conversation, direction=m.OUTBOUND, author=m.BOT, body="Te comunico")

    assert case.first_response_at is None


def test_waiting_for_the_citizen_then_their_answer_reopens_the_work(
    db, bot, make_case, make_message, agent
):
    case = make_case()
    cases.reply(db, case, agent, "¿Me mandas tu CURP?", wait_for_citizen=True)
    assert case.status == c.PENDING

    message = citizen_writes(db, bot, make_message, case.conversation, "PEGJ800101HDFRRN09")

    assert case.status == c.OPEN
    assert message.case_id == case.id and bot.sent == []  # the assistant stays silent
    assert actions(db, case)[-2:] == ["case.pending", "case.open"]


def test_resolving_tells_the_citizen_asks_for_a_rating_and_hands_back(db, make_case, agent):
    case = make_case()

    cases.resolve(db, case, agent)

    notice = outbound_of(db, case.conversation)[-1]
    assert case.folio in notice.body and "del 1 (mal) al 5" in notice.body
    assert case.csat_asked_at is not None
    assert case.conversation.mode == conv.BOT and case.conversation.needs_bot_resume
    assert actions(db, case)[-1] == "case.resolved"


@pytest.mark.parametrize(
    ("answer", "score"),
    [("5", 5), ("un 4", 4), ("cinco!", 5), ("Three", 3), ("4/5", 4), ("1", 1)],
)
def test_a_rating_after_resolution_is_stored_and_thanked(
    db, bot, make_case, make_message, agent, answer, score
):
    case = make_case()
    cases.resolve(db, case, agent)

    citizen_writes(db, bot, make_message, case.conversation, answer)

    assert case.csat_score == score
    assert outbound_of(db, case.conversation)[-1].body.startswith("¡Gracias")
    assert bot.sent == []
    assert case.status == c.RESOLVED  # a rating does not reopen the case


@pytest.mark.parametrize("text", ["gracias", "7", "3 y 4", "cuanto cuesta el pasaporte 2025"])
def test_anything_else_is_not_a_rating(text):
    assert cases.parse_rating(text) is None


def test_a_citizen_who_does_not_rate_is_asked_nothing_more(db, bot, make_case, make_message, agent):
    case = make_case()
    cases.resolve(db, case, agent)
    settings.put(db, "reopen_window_hours", 0)  # no reopening: the assistant answers
    db.commit()

    citizen_writes(db, bot, make_message, case.conversation, "cuanto cuesta el pasaporte")
    citizen_writes(db, bot, make_message, case.conversation, "5")

    assert case.csat_score is None and case.csat_answered_at is not None  # let go
    assert [sent["text"] for sent in bot.sent] == ["cuanto cuesta el pasaporte", "5"]


def test_a_message_within_the_reopen_window_reopens_the_case_to_its_available_agent(
    db, bot, make_case, make_message, available
):
    case = make_case()
    cases.reply(db, case, available, "Listo")
    cases.resolve(db, case, available)
    citizen_writes(db, bot, make_message, case.conversation, "5")  # the rating

    message = citizen_writes(db, bot, make_message, case.conversation, "una duda más")

    assert (case.status, case.assignee_id, case.reopened_count) == (c.OPEN, available.id, 1)
    assert message.case_id == case.id and bot.sent == []
    assert case.conversation.mode == conv.HUMAN
    assert case.conversation.needs_bot_resume is False  # the tracker is still paused


def test_a_reopened_case_of_an_agent_who_is_away_goes_back_to_the_queue(
    db, bot, make_case, make_message, agent
):
    case = make_case()
    cases.reply(db, case, agent, "Listo")  # agent is not available
    cases.resolve(db, case, agent)
    citizen_writes(db, bot, make_message, case.conversation, "ya no me dejó calificar")

    assert (case.status, case.assignee_id) == (c.NEW, None)
    assert "case.new" in actions(db, case)


def test_after_the_reopen_window_the_citizen_starts_again_with_the_assistant(
    db, bot, make_case, make_message, agent
):
    case = make_case()
    cases.resolve(db, case, agent)
    case.resolved_at = utcnow() - timedelta(hours=73)
    case.csat_asked_at = None
    db.commit()

    citizen_writes(db, bot, make_message, case.conversation, "hola otra vez")

    assert case.status == c.RESOLVED
    assert [sent["text"] for sent in bot.sent] == ["hola otra vez"]
    assert bot.resumed == [case.conversation.key]


def test_resolved_cases_close_after_the_configured_days(db, make_case, agent):
    old, recent = make_case(), make_case()
    cases.resolve(db, old, agent)
    cases.resolve(db, recent, agent)
    old.resolved_at = utcnow() - timedelta(days=8)
    db.commit()

    closed = cases.close_resolved(db)

    assert closed == 1
    assert (old.status, recent.status) == (c.CLOSED, c.RESOLVED)
    assert old.closed_at is not None and actions(db, old)[-1] == "case.closed"


def test_a_closed_case_cannot_be_answered_or_resolved_again(db, make_case, agent):
    case = make_case()
    cases.resolve(db, case, agent)

    with pytest.raises(cases.CaseClosed):
        cases.reply(db, case, agent, "hola")
    with pytest.raises(cases.CaseClosed):
        cases.resolve(db, case, agent)


def test_a_new_priority_moves_the_due_times_and_is_on_the_timeline(db, make_case, agent):
    case = make_case()

    cases.update_details(db, case, agent, priority=c.URGENT, tags=["Pensión", " urgente "])

    first_minutes, _ = settings.SLA_DEFAULTS[c.URGENT]
    assert case.first_response_due_at == case.opened_at + timedelta(minutes=first_minutes)
    assert case.tags == ["pensión", "urgente"]
    assert actions(db, case)[-2:] == ["case.priority_changed", "case.tags_changed"]


@pytest.mark.parametrize("bad", [{"priority": "muy alta"}, {"tags": ["no, así"]}])
def test_unknown_priorities_and_malformed_tags_are_refused(db, make_case, agent, bad):
    case = make_case()

    with pytest.raises(cases.InvalidChange):
        cases.update_details(db, case, agent, **bad)


def test_a_note_is_kept_on_the_case_and_never_sent(db, make_case, agent):
    case = make_case()

    cases.add_note(db, case, agent, "Ya llamé a la oficina de Conagua.")

    assert [n.body for n in cases.notes(db, case)] == ["Ya llamé a la oficina de Conagua."]
    assert outbound_of(db, case.conversation) == []
    with pytest.raises(cases.InvalidChange):
        cases.add_note(db, case, agent, "   ")


def test_outside_the_whatsapp_window_the_resolution_goes_as_the_approved_template(
    db, make_conversation, make_case, agent
):
    conversation = make_conversation(last_inbound_at=utcnow() - timedelta(hours=25))
    db.add(
        WhatsAppTemplate(
            name="caso_resuelto",
            content_sid="HX" + "a" * 32,
            body="Tu caso {{1}} quedó resuelto.",
            variables=["folio"],
            purpose="case_resolved",
        )
    )
    case = make_case(conversation)

    cases.resolve(db, case, agent)

    [notice] = outbound_of(db, conversation)
    assert notice.content_sid == "HX" + "a" * 32
    assert notice.content_variables == {"1": case.folio}
    assert notice.body == f"Tu caso {case.folio} quedó resuelto."


def test_outside_the_window_without_a_template_the_notice_is_not_sent_and_says_so(
    db, make_conversation, make_case, agent
):
    conversation = make_conversation(last_inbound_at=utcnow() - timedelta(hours=25))
    case = make_case(conversation)

    cases.resolve(db, case, agent)

    assert outbound_of(db, conversation) == []
    assert "notice.not_sent" in actions(db, case)
