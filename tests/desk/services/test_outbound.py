"""Sending replies: what the transport says decides retry, failure or opt-out."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from desk.db import utcnow
from desk.models import AuditEvent, PendingStatus
from desk.models import message as m
from desk.services import outbound, queue
from desk.transports import SendResult, TransportError
from desk.transports.base import SentMessage


class RecordingTransport:
    """Twilio as the desk meets it: ``error`` is raised on send; ``accepts`` says
    whether a send that raised was accepted anyway (then the list shows it)."""

    name = "recording"

    def __init__(self, error: TransportError | None = None, *, accepts: bool = False) -> None:
        self.error = error
        self.accepts = accepts
        self.calls: list[dict[str, str | None]] = []
        self.accepted: list[SentMessage] = []
        self.lookups = 0

    def send(self, *, to, from_, body, status_callback):
        self.calls.append(
            {"to": to, "from_": from_, "body": body, "status_callback": status_callback}
        )
        sid = f"SMsent{len(self.calls)}"
        if self.error is None or self.accepts:
            self.accepted.append(SentMessage(sid, body, "queued", utcnow()))
        if self.error:
            raise self.error
        return SendResult(sid=sid, status="queued")

    def sent_since(self, *, to, from_, since):
        self.lookups += 1
        return [sent for sent in self.accepted if sent.created_at >= since - timedelta(minutes=1)]


def deliver(db, transport, *, give_up_seconds=3600):
    message = queue.claim(db, m.OUTBOUND)
    assert message is not None
    outbound.deliver(
        db,
        message,
        transport,
        status_callback="https://desk.example.test/cb",
        give_up_seconds=give_up_seconds,
    )
    return message


def test_a_reply_goes_out_from_the_number_the_citizen_wrote_to(db, make_conversation):
    conversation = make_conversation(
        citizen_address="whatsapp:+5215512345678", desk_address="whatsapp:+525500000001"
    )
    outbound.enqueue(db, conversation, "Hola", author=m.BOT)
    db.commit()
    transport = RecordingTransport()

    message = deliver(db, transport)

    assert transport.calls == [
        {
            "to": "whatsapp:+5215512345678",
            "from_": "whatsapp:+525500000001",
            "body": "Hola",
            "status_callback": "https://desk.example.test/cb",
        }
    ]
    assert (message.status, message.provider_sid, message.delivery_status) == (
        m.DONE,
        "SMsent1",
        "queued",
    )


@pytest.mark.parametrize(
    "error",
    [
        TransportError("Twilio 429 error 20429", code=20429, http_status=429, retryable=True),
        TransportError("Twilio 503", http_status=503, unclear=True),
    ],
)
def test_throttling_and_server_errors_are_retried_later(db, make_message, error):
    message = make_message(direction=m.OUTBOUND, body="Hola")

    deliver(db, RecordingTransport(error))

    assert message.status == m.PENDING
    assert message.next_attempt_at > utcnow()
    assert message.error_message == str(error)


def test_a_retryable_error_past_the_give_up_time_fails_visibly(db, make_message):
    message = make_message(direction=m.OUTBOUND, created_at=utcnow() - timedelta(hours=2))

    deliver(
        db,
        RecordingTransport(TransportError("Twilio 503", http_status=503, retryable=True)),
        give_up_seconds=3600,
    )

    assert message.status == m.FAILED
    assert db.scalars(sa.select(AuditEvent.action)).all() == ["message.failed"]


def test_an_opted_out_recipient_is_marked_and_not_retried(db, make_message):
    message = make_message(direction=m.OUTBOUND)

    deliver(
        db,
        RecordingTransport(
            TransportError("Twilio 400 error 21610", code=21610, http_status=400, opted_out=True)
        ),
    )

    assert (message.status, message.error_code) == (m.FAILED, "21610")
    assert message.conversation.opted_out is True
    assert db.scalars(sa.select(AuditEvent.action)).all() == ["conversation.opted_out"]


def test_nothing_is_sent_to_a_citizen_who_opted_out(db, make_conversation):
    conversation = make_conversation(opted_out=True)
    outbound.enqueue(db, conversation, "Hola", author=m.AGENT)
    db.commit()
    transport = RecordingTransport()

    message = deliver(db, transport)

    assert transport.calls == []
    assert (message.status, message.error_code) == (m.FAILED, "opted_out")


def test_other_client_errors_fail_the_message_with_the_twilio_code(db, make_message):
    message = make_message(direction=m.OUTBOUND)

    deliver(
        db,
        RecordingTransport(
            TransportError("Twilio 400 error 21211: invalid To", code=21211, http_status=400)
        ),
    )

    assert (message.status, message.error_code) == (m.FAILED, "21211")
    assert message.shown_status == m.FAILED


@pytest.mark.parametrize(
    "body, problem",
    [
        ("   ", "a reply needs text"),
        ("x" * 1601, "at most 1600 characters"),
    ],
)
def test_empty_or_oversized_replies_are_refused_before_queueing(
    db, make_conversation, body, problem
):
    with pytest.raises(ValueError, match=problem):
        outbound.enqueue(db, make_conversation(), body, author=m.AGENT)


def test_the_opt_out_confirmation_is_the_one_message_an_opted_out_citizen_gets(
    db, make_conversation
):
    conversation = make_conversation(opted_out=True)
    outbound.enqueue(
        db, conversation, "Listo, ya no recibirás mensajes.", author=m.SYSTEM, kind=m.CONSENT_NOTICE
    )
    db.commit()
    transport = RecordingTransport()

    message = deliver(db, transport)

    assert message.status == m.DONE
    assert [call["body"] for call in transport.calls] == ["Listo, ya no recibirás mensajes."]


@pytest.mark.parametrize(
    "text, limit, expected",
    [
        ("corto", 10, ["corto"]),
        ("uno\n\ndos\n\ntres", 9, ["uno\n\ndos", "tres"]),
        ("uno dos tres cuatro", 9, ["uno dos", "tres", "cuatro"]),
        ("x" * 12, 5, ["xxxxx", "xxxxx", "xx"]),
        ("", 5, []),
    ],
)
def test_long_bodies_split_at_the_gentlest_boundary(text, limit, expected):
    parts = outbound.split_body(text, limit)

    assert parts == expected
    assert all(len(part) <= limit for part in parts)


# --- at most once, as the citizen sees it ------------------------------------------------


UNCLEAR = TransportError("Twilio unreachable (ReadTimeout)", unclear=True)


def retry_due(db, message) -> None:
    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.commit()


def test_a_send_that_timed_out_after_twilio_accepted_it_is_found_and_not_sent_again(
    db, make_message
):
    message = make_message(direction=m.OUTBOUND, body="Tu folio es CAB-2026-000001")
    transport = RecordingTransport(UNCLEAR, accepts=True)

    deliver(db, transport)
    assert message.status == m.PENDING and message.sending_started_at is not None
    retry_due(db, message)
    transport.error = None
    deliver(db, transport)

    assert len(transport.calls) == 1  # never a second copy
    assert transport.lookups == 1
    assert (message.status, message.provider_sid) == (m.DONE, "SMsent1")
    assert message.sending_started_at is None


def test_a_send_that_timed_out_before_twilio_took_it_is_sent_again_after_looking(db, make_message):
    message = make_message(direction=m.OUTBOUND, body="Hola")
    transport = RecordingTransport(UNCLEAR, accepts=False)

    deliver(db, transport)
    retry_due(db, message)
    transport.error = None
    deliver(db, transport)

    assert transport.lookups == 1 and len(transport.calls) == 2
    assert (message.status, message.provider_sid) == (m.DONE, "SMsent2")


def test_a_refusal_twilio_never_processed_is_retried_without_looking(db, make_message):
    message = make_message(direction=m.OUTBOUND, body="Hola")
    throttled = TransportError("Twilio 429", code=20429, http_status=429, retryable=True)
    transport = RecordingTransport(throttled)

    deliver(db, transport)
    assert message.sending_started_at is None  # certainly not accepted
    retry_due(db, message)
    transport.error = None
    deliver(db, transport)

    assert transport.lookups == 0 and len(transport.calls) == 2
    assert message.status == m.DONE


def test_a_worker_that_died_mid_send_leaves_a_mark_the_next_one_looks_up(db, make_message):
    message = make_message(direction=m.OUTBOUND, body="Hola")
    transport = RecordingTransport()
    transport.accepted.append(SentMessage("SMearlier", "Hola", "queued", utcnow()))
    # What a crash leaves: marked as being sent, still in progress, lease expired.
    message.status, message.sending_started_at = m.PROCESSING, utcnow()
    message.lease_expires_at = utcnow() - timedelta(seconds=1)
    db.commit()

    deliver(db, transport)

    assert transport.calls == []
    assert (message.status, message.provider_sid) == (m.DONE, "SMearlier")


def test_an_identical_reply_already_recorded_is_not_taken_for_this_one(
    db, make_conversation, make_message
):
    conversation = make_conversation()
    make_message(
        conversation,
        direction=m.OUTBOUND,
        body="Elige un número",
        status=m.DONE,
        provider_sid="SMfirst",
    )
    message = make_message(
        conversation, direction=m.OUTBOUND, body="Elige un número", sending_started_at=utcnow()
    )
    transport = RecordingTransport()
    transport.accepted.append(SentMessage("SMfirst", "Elige un número", "delivered", utcnow()))

    deliver(db, transport)

    assert len(transport.calls) == 1  # the listed copy was the earlier reply's
    assert message.provider_sid == "SMsent1"


def test_when_twilio_cannot_be_asked_nothing_is_sent_blind(db, make_message):
    message = make_message(direction=m.OUTBOUND, body="Hola", sending_started_at=utcnow())

    class Unlistable(RecordingTransport):
        def sent_since(self, **kwargs):
            raise TransportError("Twilio unreachable (ConnectionError)", retryable=True)

    transport = Unlistable()
    deliver(db, transport)

    assert transport.calls == []
    assert message.status == m.PENDING and message.sending_started_at is not None


# --- status callbacks --------------------------------------------------------------------


def test_a_status_that_arrives_before_the_sid_is_stored_is_applied_when_it_is(db, make_message):
    message = make_message(direction=m.OUTBOUND, body="Hola")
    outbound.apply_status(
        db, {"MessageSid": "SMsent1", "MessageStatus": "failed", "ErrorCode": "30003"}
    )

    deliver(db, RecordingTransport())

    assert (message.delivery_status, message.error_code) == ("failed", "30003")
    assert db.scalars(sa.select(PendingStatus)).all() == []


@pytest.mark.parametrize(
    "status, shown", [("canceled", "canceled"), ("partially_delivered", "partially_delivered")]
)
def test_every_twilio_status_is_understood(db, make_message, status, shown):
    message = make_message(
        direction=m.OUTBOUND, body="Hola", provider_sid="SMx", delivery_status="sent", status=m.DONE
    )

    outbound.apply_status(db, {"MessageSid": "SMx", "MessageStatus": status})

    db.refresh(message)
    assert message.delivery_status == shown


@pytest.mark.parametrize(
    "before, callback, after",
    [
        (None, "sent", "sent"),
        ("queued", "delivered", "delivered"),
        ("delivered", "sent", "delivered"),  # late: never back
        ("read", "delivered", "read"),
        ("sent", "undelivered", "undelivered"),
        ("delivered", "failed", "delivered"),  # a failure does not undo a delivery
        ("failed", "delivered", "failed"),  # a failure is final
        ("canceled", "failed", "canceled"),
    ],
)
def test_a_status_moves_a_message_only_forward(db, make_message, before, callback, after):
    message = make_message(
        direction=m.OUTBOUND, provider_sid="SMz", delivery_status=before, status=m.DONE
    )

    moved = outbound.apply_status(db, {"MessageSid": "SMz", "MessageStatus": callback})

    db.refresh(message)
    assert message.delivery_status == after
    assert (moved == message.id) is (after != before)
    assert db.scalars(sa.select(PendingStatus)).all() == []  # the SID was known


def test_a_failure_without_twilios_words_keeps_what_the_desk_knew(db, make_message):
    message = make_message(
        direction=m.OUTBOUND,
        provider_sid="SMw",
        delivery_status="sent",
        status=m.DONE,
        error_message="earlier note",
    )

    outbound.apply_status(db, {"MessageSid": "SMw", "MessageStatus": "failed"})

    db.refresh(message)
    assert (message.delivery_status, message.error_message) == ("failed", "earlier note")


def test_a_carrier_opt_out_reported_by_callback_stops_the_person_on_every_channel(
    db, make_conversation, make_message
):
    whatsapp = make_conversation(citizen_address="whatsapp:+5215550001111")
    sms = make_conversation(channel="sms", citizen_address="+5215550001111")
    make_message(
        whatsapp, direction=m.OUTBOUND, provider_sid="SMstop", delivery_status="sent", status=m.DONE
    )

    outbound.apply_status(
        db, {"MessageSid": "SMstop", "MessageStatus": "undelivered", "ErrorCode": "21610"}
    )

    db.refresh(whatsapp)
    db.refresh(sms)
    assert whatsapp.opted_out and sms.opted_out
    assert db.scalars(sa.select(AuditEvent.action)).all() == ["conversation.opted_out"]


def test_a_status_twilio_added_later_is_ignored_not_refused(db, make_message):
    message = make_message(
        direction=m.OUTBOUND, body="Hola", provider_sid="SMy", delivery_status="sent", status=m.DONE
    )

    assert outbound.apply_status(db, {"MessageSid": "SMy", "MessageStatus": "teleported"}) is None
    assert message.delivery_status == "sent"
