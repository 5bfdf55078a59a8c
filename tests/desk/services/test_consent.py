"""Consent belongs to the person: a BAJA on one channel holds on the other, and what
was queued before the citizen changed their mind follows the latest word."""

from __future__ import annotations

import sqlalchemy as sa

from desk.models import Conversation
from desk.models import message as m
from desk.services import consent, inbound, outbound
from tests.desk.services.test_outbound import RecordingTransport, deliver


def test_baja_on_whatsapp_also_silences_sms_to_the_same_number(db, make_conversation):
    whatsapp = make_conversation("whatsapp", citizen_address="whatsapp:+5215511112222")
    sms = make_conversation("sms", citizen_address="+5215511112222")
    other = make_conversation("sms", citizen_address="+5215599998888")

    consent.apply(db, whatsapp, "baja")
    db.commit()

    db.refresh(sms)
    db.refresh(other)
    assert (whatsapp.opted_out, sms.opted_out, other.opted_out) == (True, True, False)


def test_a_conversation_that_starts_after_a_baja_starts_silenced(db, make_conversation):
    sms = make_conversation("sms", citizen_address="+5215533334444")
    consent.apply(db, sms, "baja")
    db.commit()

    inbound.receive(
        db,
        inbound.Inbound(
            sid="SM" + "5" * 32,
            citizen_address="whatsapp:+5215533334444",
            desk_address="whatsapp:+525500000000",
            body="hola",
            media=[],
            profile_name=None,
        ),
    )

    whatsapp = db.scalars(
        sa.select(Conversation).filter_by(citizen_address="whatsapp:+5215533334444")
    ).one()
    assert whatsapp.opted_out is True


def test_a_welcome_back_queued_before_a_later_baja_is_dropped(db, make_conversation):
    conversation = make_conversation(opted_out=True)
    consent.apply(db, conversation, "alta")  # queues "¡Bienvenido de vuelta!"
    db.commit()
    consent.apply(db, conversation, "baja")  # queues the BAJA confirmation
    db.commit()
    transport = RecordingTransport()

    welcome = deliver(db, transport)
    confirmation = deliver(db, transport)

    assert (welcome.kind, welcome.status, welcome.error_code) == (
        m.WELCOME_BACK_NOTICE,
        m.FAILED,
        "opted_out",
    )
    assert confirmation.kind == m.CONSENT_NOTICE and confirmation.status == m.DONE
    assert [call["body"] for call in transport.calls] == [confirmation.body]


def test_a_baja_confirmation_made_stale_by_alta_is_not_sent(db, make_conversation):
    conversation = make_conversation()
    consent.apply(db, conversation, "baja")
    db.commit()
    consent.apply(db, conversation, "alta")
    db.commit()
    transport = RecordingTransport()

    stale = deliver(db, transport)
    welcome = deliver(db, transport)

    assert stale.kind == m.CONSENT_NOTICE and stale.status == m.FAILED
    assert welcome.kind == m.WELCOME_BACK_NOTICE and welcome.status == m.DONE


def test_an_answer_queued_before_the_baja_is_not_sent_after_it(db, make_conversation):
    conversation = make_conversation()
    outbound.enqueue(db, conversation, "Pasaporte mexicano — costo…", author=m.BOT)
    consent.apply(db, conversation, "baja")
    db.commit()

    answer = deliver(db, RecordingTransport())

    assert answer.author == m.BOT and answer.status == m.FAILED
