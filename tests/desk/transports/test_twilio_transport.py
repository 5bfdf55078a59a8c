"""The real twilio library against a local stand-in for Twilio's REST API."""

from __future__ import annotations

import base64

import pytest

from desk.transports import SandboxTransport, TransportError, TwilioTransport
from tests.support.twilio_standin import TwilioStandIn

ACCOUNT = "AC" + "a" * 32


@pytest.fixture
def standin():
    server = TwilioStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def transport(standin):
    return TwilioTransport(ACCOUNT, "secret-token", api_base_url=standin.url)


def test_a_message_is_created_with_the_accounts_credentials(standin, transport):
    result = transport.send(
        to="whatsapp:+5215512345678",
        from_="whatsapp:+525500000000",
        body="¡Hola! Tu folio es CAB-2026-000123",
        status_callback="https://desk.example.test/channels/twilio/status",
    )

    [sent] = standin.sent
    assert (sent.account_sid, sent.to, sent.from_) == (
        ACCOUNT,
        "whatsapp:+5215512345678",
        "whatsapp:+525500000000",
    )
    assert sent.body == "¡Hola! Tu folio es CAB-2026-000123"
    assert sent.status_callback == "https://desk.example.test/channels/twilio/status"
    assert sent.auth == "Basic " + base64.b64encode(f"{ACCOUNT}:secret-token".encode()).decode()
    assert (result.sid, result.status) == (sent.sid, "queued")


@pytest.mark.parametrize(
    "status, code, retryable, opted_out",
    [
        (429, 20429, True, False),
        (503, None, True, False),
        (400, 21611, True, False),
        (400, 21610, False, True),
        (400, 21211, False, False),
        (401, 20003, False, False),
    ],
)
def test_twilio_errors_are_classified(standin, transport, status, code, retryable, opted_out):
    standin.fail_next(status, code, "nope")

    with pytest.raises(TransportError) as raised:
        transport.send(to="+5215512345678", from_="+525500000000", body="x", status_callback=None)

    error = raised.value
    assert (error.http_status, error.code) == (status, code)
    assert (error.retryable, error.opted_out) == (retryable, opted_out)
    assert standin.sent == []


def test_an_unreachable_twilio_is_retryable():
    transport = TwilioTransport(ACCOUNT, "t", api_base_url="http://127.0.0.1:9")  # discard port

    with pytest.raises(TransportError) as raised:
        transport.send(to="+5215512345678", from_="+525500000000", body="x", status_callback=None)

    assert raised.value.retryable


def test_the_sandbox_delivers_locally():
    result = SandboxTransport().send(
        to="+5215512345678", from_="+525500000000", body="x", status_callback=None
    )

    assert result.status == "delivered"
    assert result.sid.startswith("SB")
