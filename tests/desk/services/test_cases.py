"""Cases: opened once, answered by agents, resolved back to the assistant — all audited."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from desk.models import AuditEvent
from desk.models import case as c
from desk.models import conversation as conv
from desk.models import message as m
from desk.services import cases
from tests.desk.conftest import outbound_of


def test_opening_a_case_hands_the_conversation_to_people_and_gives_a_folio(db, make_conversation):
    conversation = make_conversation()

    case, created = cases.open_case(db, conversation, reason=c.CITIZEN_REQUEST, topic="pasaporte")
    db.commit()

    assert created
    assert re.fullmatch(r"CAB-20\d\d-\d{6}", case.folio)
    assert case.folio.endswith(f"-{case.id:06d}")
    assert (case.status, case.topic) == (c.NEW, "pasaporte")
    assert conversation.mode == conv.HUMAN
    event = db.scalars(sa.select(AuditEvent)).one()
    assert (event.action, event.actor, event.case_id) == ("case.opened", "bot", case.id)


def test_opening_again_returns_the_open_case(db, make_conversation):
    conversation = make_conversation()
    first, _ = cases.open_case(db, conversation, reason=c.CITIZEN_REQUEST)
    again, created = cases.open_case(db, conversation, reason=c.BOT_FALLBACK)

    assert not created
    assert again.id == first.id


def test_an_unknown_reason_is_refused(db, make_conversation):
    with pytest.raises(ValueError, match="unknown handoff reason"):
        cases.open_case(db, make_conversation(), reason="bored")


def test_a_folio_finds_its_case_and_nothing_else(db, make_case):
    case = make_case()

    assert cases.find_by_folio(db, case.folio) == case
    assert cases.find_by_folio(db, case.folio.lower()) == case
    assert cases.find_by_folio(db, "CAB-1999-" + case.folio[-6:]) is None
    assert cases.find_by_folio(db, "hola") is None


def test_an_agent_reply_is_queued_for_the_citizen(db, make_case, agent):
    case = make_case()

    message = cases.reply(db, case, agent, "  Ya revisé tu trámite.  ")

    assert (message.author, message.agent_id, message.case_id) == (m.AGENT, agent.id, case.id)
    assert message.body == "Ya revisé tu trámite."
    assert message.status == m.PENDING
    assert "case.replied" in db.scalars(sa.select(AuditEvent.action)).all()


def test_resolving_tells_the_citizen_and_hands_back_to_the_assistant(db, make_case, agent):
    case = make_case()

    cases.resolve(db, case, agent)

    assert (case.status, case.resolved_by_id) == (c.RESOLVED, agent.id)
    assert case.resolved_at is not None
    conversation = case.conversation
    assert (conversation.mode, conversation.needs_bot_resume) == (conv.BOT, True)
    [notice] = outbound_of(db, conversation)
    assert case.folio in notice.body and "resuelto" in notice.body
    assert db.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all() == [
        "case.opened",
        "case.resolved",
    ]


def test_a_resolved_case_takes_no_reply_and_no_second_resolve(db, make_case, agent):
    case = make_case()
    cases.resolve(db, case, agent)

    with pytest.raises(cases.CaseClosed):
        cases.reply(db, case, agent, "hola")
    with pytest.raises(cases.CaseClosed):
        cases.resolve(db, case, agent)


def test_a_new_case_can_open_after_the_last_was_resolved(db, make_case, agent):
    first = make_case()
    cases.resolve(db, first, agent)

    second, created = cases.open_case(db, first.conversation, reason=c.CITIZEN_REQUEST)

    assert created and second.id != first.id
