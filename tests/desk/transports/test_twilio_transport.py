"""The real twilio library against a local stand-in for Twilio's REST API."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from desk.transports import SandboxTransport, TransportError, TwilioTransport
from tests.support.twilio_standin import Fault, TwilioStandIn

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
    "status, code, retryable, opted_out, unclear",
    [
        (429, 20429, True, False, False),  # never processed: safe to send again
        (503, None, True, False, True),  # may have been accepted: look it up first
        (400, 21611, True, False, False),
        (400, 21610, False, True, False),
        (400, 21211, False, False, False),
        (401, 20003, False, False, False),
    ],
)
def test_twilio_errors_are_classified(
    standin, transport, status, code, retryable, opted_out, unclear
):
    standin.fail_next(status, code, "nope")

    with pytest.raises(TransportError) as raised:
        transport.send(to="+5215512345678", from_="+525500000000", body="x", status_callback=None)

    error = raised.value
    assert (error.http_status, error.code) == (status, code)
    assert (error.retryable, error.opted_out, error.unclear) == (retryable, opted_out, unclear)
    assert standin.sent == []


def test_an_unreachable_twilio_is_retryable_and_clearly_not_sent():
    transport = TwilioTransport(ACCOUNT, "t", api_base_url="http://127.0.0.1:9")  # discard port

    with pytest.raises(TransportError) as raised:
        transport.send(to="+5215512345678", from_="+525500000000", body="x", status_callback=None)

    assert raised.value.retryable and not raised.value.unclear


def test_an_answer_that_comes_after_the_timeout_is_unclear_though_twilio_accepted_it(standin):
    transport = TwilioTransport(ACCOUNT, "t", api_base_url=standin.url, timeout=0.5)
    standin.fault(Fault("accept_then_hang", seconds=1.5))

    with pytest.raises(TransportError) as raised:
        transport.send(to="+5215512345678", from_="+525500000000", body="x", status_callback=None)

    assert raised.value.unclear
    assert len(standin.sent) == 1  # the reason a blind retry would send it twice
    assert "127.0.0.1" not in str(raised.value)  # error texts do not quote the URL


def test_a_500_after_accepting_is_unclear(standin, transport):
    standin.fault(Fault("accept_then_500"))

    with pytest.raises(TransportError) as raised:
        transport.send(to="+5215512345678", from_="+525500000000", body="x", status_callback=None)

    assert raised.value.unclear and len(standin.sent) == 1


def test_what_was_sent_since_a_moment_is_listed_newest_first(standin, transport):
    before = datetime.now(UTC) - timedelta(seconds=1)
    for body in ("uno", "dos"):
        transport.send(to="+5215512345678", from_="+525500000000", body=body, status_callback=None)
    transport.send(to="+5215599999999", from_="+525500000000", body="otro", status_callback=None)

    listed = transport.sent_since(to="+5215512345678", from_="+525500000000", since=before)

    assert [sent.body for sent in listed] == ["dos", "uno"]
    assert [sent.sid for sent in listed] == [m.sid for m in reversed(standin.sent[:2])]


def test_the_sandbox_delivers_locally():
    result = SandboxTransport().send(
        to="+5215512345678", from_="+525500000000", body="x", status_callback=None
    )

    assert result.status == "delivered"
    assert result.sid.startswith("SB")


def test_the_sandbox_never_has_an_unclear_send_to_look_up():
    assert SandboxTransport().sent_since(to="x", from_="y", since=datetime.now(UTC)) == []


def test_every_sending_thread_keeps_its_own_connection_to_twilio():
    transport = TwilioTransport("AC" + "0" * 32, "token", connections=16)

    # twilio keeps cpu_count + 4: on two cores, ten of sixteen threads opened a new TLS
    # connection to Twilio on every send.
    session = transport.client.http_client.session
    assert session.get_adapter("https://api.twilio.com")._pool_maxsize == 16
