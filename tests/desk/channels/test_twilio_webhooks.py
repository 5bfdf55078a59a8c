"""The Twilio webhooks: signed, stored once, answered at once."""

from __future__ import annotations

import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from desk.models import Conversation, Message
from desk.models import message as m
from tests.desk.conftest import AUTH_TOKEN

INBOUND_URL = "https://desk.example.test/channels/twilio/inbound"
STATUS_URL = "https://desk.example.test/channels/twilio/status"


def whatsapp_params(**overrides: str) -> dict[str, str]:
    params = {
        "MessageSid": "SM0123456789abcdef0123456789abcdef",
        "SmsMessageSid": "SM0123456789abcdef0123456789abcdef",
        "AccountSid": "AC" + "1" * 32,
        "From": "whatsapp:+5215512345678",
        "To": "whatsapp:+525500000000",
        "Body": "¡Hola! k necesito pa sacar el pasaporte",
        "NumMedia": "0",
        "NumSegments": "1",
        "ProfileName": "María",
        "WaId": "5215512345678",
        "MessageType": "text",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    return params | overrides


def post_signed(client, url: str, params: dict[str, str], token: str = AUTH_TOKEN):
    signature = RequestValidator(token).compute_signature(url, params)
    path = url.removeprefix("https://desk.example.test")
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def test_a_signed_whatsapp_message_is_stored_and_answered_with_empty_twiml(client, db):
    response = post_signed(client, INBOUND_URL, whatsapp_params())

    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert response.get_data(as_text=True) == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    message = db.scalars(sa.select(Message)).one()
    assert message.direction == m.INBOUND
    assert message.status == m.PENDING
    assert message.body == "¡Hola! k necesito pa sacar el pasaporte"
    conversation = message.conversation
    assert conversation.channel == "whatsapp"
    assert conversation.citizen_address == "whatsapp:+5215512345678"
    assert conversation.desk_address == "whatsapp:+525500000000"
    assert conversation.profile_name == "María"
    assert conversation.last_inbound_at is not None


def test_an_sms_without_whatsapp_fields_opens_an_sms_conversation(client, db):
    params = {
        "MessageSid": "SMsms1",
        "AccountSid": "AC1",
        "From": "+5215599999999",
        "To": "+525500000000",
        "Body": "CURP",
        "NumMedia": "0",
    }

    assert post_signed(client, INBOUND_URL, params).status_code == 200

    conversation = db.scalars(sa.select(Conversation)).one()
    assert conversation.channel == "sms"
    assert conversation.phone == "+5215599999999"


def test_media_urls_are_kept_with_the_message(client, db):
    params = whatsapp_params(
        NumMedia="2",
        MediaUrl0="https://api.twilio.com/m/ME1",
        MediaContentType0="image/jpeg",
        MediaUrl1="https://api.twilio.com/m/ME2",
        MediaContentType1="application/pdf",
        Body="",
    )

    post_signed(client, INBOUND_URL, params)

    message = db.scalars(sa.select(Message)).one()
    assert message.media == [
        {"url": "https://api.twilio.com/m/ME1", "content_type": "image/jpeg"},
        {"url": "https://api.twilio.com/m/ME2", "content_type": "application/pdf"},
    ]


def test_a_repeated_message_sid_is_acknowledged_and_stored_once(client, db):
    first = post_signed(client, INBOUND_URL, whatsapp_params())
    again = post_signed(client, INBOUND_URL, whatsapp_params())

    assert first.status_code == again.status_code == 200
    assert db.scalar(sa.select(sa.func.count()).select_from(Message)) == 1


def test_a_repeated_message_sid_leaves_the_conversation_as_it_was(client, db):
    post_signed(client, INBOUND_URL, whatsapp_params())
    conversation = db.scalars(sa.select(Conversation)).one()
    first_seen = conversation.last_inbound_at

    post_signed(client, INBOUND_URL, whatsapp_params(ProfileName="Otra"))

    db.refresh(conversation)
    assert (conversation.last_inbound_at, conversation.profile_name) == (first_seen, "María")


def test_each_new_message_opens_the_whatsapp_window_again_and_keeps_the_name(client, db):
    post_signed(client, INBOUND_URL, whatsapp_params())
    conversation = db.scalars(sa.select(Conversation)).one()
    first_seen = conversation.last_inbound_at

    later = whatsapp_params(MessageSid="SM" + "9" * 32, Body="otra cosa")
    del later["ProfileName"]
    post_signed(client, INBOUND_URL, later)

    db.refresh(conversation)
    assert conversation.last_inbound_at > first_seen
    assert conversation.profile_name == "María"
    assert db.scalar(sa.select(sa.func.count()).select_from(Conversation)) == 1


def test_a_forged_signature_is_refused_and_nothing_is_stored(client, db):
    response = post_signed(client, INBOUND_URL, whatsapp_params(), token="not-our-token")

    assert response.status_code == 403
    assert response.get_json()["message"] == "invalid X-Twilio-Signature"
    assert db.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_a_missing_signature_is_refused(client, db):
    response = client.post("/channels/twilio/inbound", data=whatsapp_params())

    assert response.status_code == 403
    assert db.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_a_signature_made_for_another_url_is_refused(client, db):
    # Signed for the internal address, not the public one Twilio was given.
    params = whatsapp_params()
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        "http://localhost/channels/twilio/inbound", params
    )

    response = client.post(
        "/channels/twilio/inbound", data=params, headers={"X-Twilio-Signature": signature}
    )

    assert response.status_code == 403


def test_a_tampered_body_breaks_the_signature(client, db):
    params = whatsapp_params()
    signature = RequestValidator(AUTH_TOKEN).compute_signature(INBOUND_URL, params)

    response = client.post(
        "/channels/twilio/inbound",
        data=params | {"Body": "otra cosa"},
        headers={"X-Twilio-Signature": signature},
    )

    assert response.status_code == 403


def test_twilios_published_test_vector_validates():
    # From Twilio's security docs: the algorithm we rely on, checked against their numbers.
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    assert RequestValidator("12345").validate(
        "https://mycompany.com/myapp.php?foo=1&bar=2", params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )


def test_a_signed_webhook_without_from_is_a_bad_request(client, db):
    params = whatsapp_params()
    del params["From"]

    response = post_signed(client, INBOUND_URL, params)

    assert response.status_code == 400
    assert "From" in response.get_json()["message"]
    assert db.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_a_status_callback_moves_delivery_forward_and_never_back(client, db, make_message):
    sent = make_message(
        direction=m.OUTBOUND, provider_sid="SMout1", delivery_status="queued", status=m.DONE
    )

    for status in ("sent", "delivered", "sent"):  # the late "sent" arrives out of order
        response = post_signed(
            client, STATUS_URL, {"MessageSid": "SMout1", "MessageStatus": status}
        )
        assert response.status_code == 204

    db.refresh(sent)
    assert sent.delivery_status == "delivered"


def test_a_failed_status_keeps_twilios_error_code(client, db, make_message):
    sent = make_message(
        direction=m.OUTBOUND, provider_sid="SMout2", delivery_status="sent", status=m.DONE
    )

    post_signed(
        client,
        STATUS_URL,
        {"MessageSid": "SMout2", "MessageStatus": "undelivered", "ErrorCode": "30008"},
    )

    db.refresh(sent)
    assert (sent.delivery_status, sent.error_code) == ("undelivered", "30008")
    assert sent.shown_status == "undelivered"


def test_an_unsigned_status_callback_is_refused(client, db, make_message):
    sent = make_message(
        direction=m.OUTBOUND, provider_sid="SMout3", delivery_status="queued", status=m.DONE
    )

    response = client.post(
        "/channels/twilio/status", data={"MessageSid": "SMout3", "MessageStatus": "delivered"}
    )

    assert response.status_code == 403
    db.refresh(sent)
    assert sent.delivery_status == "queued"


def test_a_status_callback_without_status_is_a_bad_request(client):
    response = post_signed(client, STATUS_URL, {"MessageSid": "SMx"})

    assert response.status_code == 400


def test_with_the_database_down_a_signed_message_waits_in_the_spool_and_is_kept(
    app, client, db, monkeypatch
):
    """Twilio does not call again after a 5xx: the message must not depend on the
    database being up at that moment."""
    from pathlib import Path

    from sqlalchemy.exc import OperationalError

    from desk.services import inbound

    real_receive = inbound.receive

    def database_down(session, message):
        raise OperationalError("INSERT …", {}, Exception("server closed the connection"))

    monkeypatch.setattr(inbound, "receive", database_down)
    first = whatsapp_params(MessageSid="SM" + "1" * 32, Body="primero")
    assert post_signed(client, INBOUND_URL, first).status_code == 200
    spool = Path(app.instance_path) / "spool"
    [waiting] = list(spool.glob("*.json"))
    assert oct(waiting.stat().st_mode & 0o777) == "0o600"  # it holds a citizen's message
    assert db.scalars(sa.select(Message)).all() == []

    monkeypatch.setattr(inbound, "receive", real_receive)
    second = whatsapp_params(MessageSid="SM" + "2" * 32, Body="segundo")
    assert post_signed(client, INBOUND_URL, second).status_code == 200

    bodies = db.scalars(sa.select(Message.body).order_by(Message.id)).all()
    assert sorted(bodies) == ["primero", "segundo"]
    assert list(spool.glob("*.json")) == []


def test_an_unsigned_message_is_never_spooled(app, client, monkeypatch):
    from pathlib import Path

    response = client.post("/channels/twilio/inbound", data=whatsapp_params())

    assert response.status_code == 403
    assert not (Path(app.instance_path) / "spool").exists()
