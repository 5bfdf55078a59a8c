"""Sending replies: what the transport says decides retry, failure or opt-out."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from desk.db import utcnow
from desk.models import AuditEvent
from desk.models import message as m
from desk.services import outbound, queue
from desk.transports import SendResult, TransportError


class RecordingTransport:
    name = "recording"

    def __init__(self, error: TransportError | None = None) -> None:
        self.error = error
        self.calls: list[dict[str, str | None]] = []

    def send(self, *, to, from_, body, status_callback):
        self.calls.append(
            {"to": to, "from_": from_, "body": body, "status_callback": status_callback}
        )
        if self.error:
            raise self.error
        return SendResult(sid=f"SMsent{len(self.calls)}", status="queued")


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
        TransportError("Twilio 503", http_status=503, retryable=True),
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
