"""A template chosen in the composer reaches Twilio as ContentSid and
ContentVariables, with no Body (a Body beside them would go as free text, which
WhatsApp refuses outside the window): the real twilio client against a local stand-in
for Twilio's REST API."""

from __future__ import annotations

import json

import pytest

from desk.models import message as m
from desk.services import outbound, queue
from desk.transports import TwilioTransport
from tests.desk.replies.conftest import SID
from tests.support.twilio_standin import TwilioStandIn

ACCOUNT = "AC" + "b" * 32


@pytest.fixture
def standin():
    server = TwilioStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def transport(standin):
    return TwilioTransport(ACCOUNT, "secret-token", api_base_url=standin.url)


def created(standin) -> list[dict[str, str]]:
    """The form fields of each POST to Messages.json, as Twilio would receive them."""
    assert standin.http is not None
    return [call["json"] for call in standin.http.calls if call["method"] == "POST"]


def test_a_template_is_sent_by_content_sid_with_its_variables_and_no_body(standin, transport):
    transport.send(
        to="whatsapp:+5215512345678",
        from_="whatsapp:+525500000000",
        body="Hola María, tu folio es CAB-2026-000123.",
        status_callback="https://desk.example.test/channels/twilio/status",
        content_sid=SID,
        content_variables={"1": "María", "2": "CAB-2026-000123"},
    )

    [fields] = created(standin)
    assert fields["ContentSid"] == SID
    assert json.loads(fields["ContentVariables"]) == {"1": "María", "2": "CAB-2026-000123"}
    assert "Body" not in fields
    assert (fields["To"], fields["From"]) == ("whatsapp:+5215512345678", "whatsapp:+525500000000")
    assert fields["StatusCallback"] == "https://desk.example.test/channels/twilio/status"


def test_free_text_is_sent_as_a_body_without_template_fields(standin, transport):
    transport.send(to="+5215512345678", from_="+525500000000", body="Hola", status_callback=None)

    [fields] = created(standin)
    assert fields["Body"] == "Hola"
    assert "ContentSid" not in fields and "ContentVariables" not in fields


def test_the_composers_template_reaches_twilio_as_a_template(
    client, db, logged_in, make_case_on, make_template, standin, transport
):
    case = make_case_on(hours_ago=48, profile_name="María")
    template = make_template("Hola {{1}}, tu cita es el {{2}}.", ["nombre", "fecha"])
    client.post(
        f"/cases/{case.id}/reply",
        data={"template_id": template.id, f"var_{template.id}_2": "lunes"},
    )

    message = queue.claim(db, m.OUTBOUND)
    assert message is not None
    outbound.deliver(db, message, transport, status_callback=None, give_up_seconds=3600)

    [fields] = created(standin)
    assert (fields["ContentSid"], json.loads(fields["ContentVariables"])) == (
        SID,
        {"1": "María", "2": "lunes"},
    )
    assert "Body" not in fields
    db.refresh(message)
    assert message.provider_sid == standin.sent[0].sid
    assert message.body == "Hola María, tu cita es el lunes."  # for the transcript
