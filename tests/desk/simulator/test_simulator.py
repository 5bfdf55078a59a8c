"""The sandbox phone signs like Twilio and posts to the real inbound webhook."""

from __future__ import annotations

import sqlalchemy as sa

from desk import create_app
from desk.models import Message
from tests.desk.conftest import BASE_CONFIG


def send_from_phone(client, channel: str, phone: str, body: str):
    signed = client.post(
        "/simulator/api/sign", json={"channel": channel, "phone": phone, "body": body}
    )
    assert signed.status_code == 200, signed.get_json()
    data = signed.get_json()
    return client.post(
        data["url"], data=data["params"], headers={"X-Twilio-Signature": data["signature"]}
    ), data


def test_the_phone_page_loads_in_the_sandbox(client):
    page = client.get("/simulator/")

    assert page.status_code == 200
    assert "Simulador" in page.get_data(as_text=True)


def test_a_whatsapp_message_from_the_phone_reaches_the_inbound_route(client, db):
    response, data = send_from_phone(client, "whatsapp", "+5215512345678", "¡Hola!")

    assert data["url"] == "/channels/twilio/inbound"
    assert data["params"]["From"] == "whatsapp:+5215512345678"
    assert data["params"]["To"] == "whatsapp:+525500000000"
    assert response.status_code == 200
    stored = db.scalars(sa.select(Message)).one()
    assert stored.body == "¡Hola!"
    assert stored.provider_sid == data["params"]["MessageSid"]


def test_the_phone_reads_its_conversation(client, db):
    send_from_phone(client, "sms", "+5215512345678", "hola")

    shown = client.get("/simulator/api/messages?channel=sms&phone=%2B5215512345678").get_json()
    other = client.get("/simulator/api/messages?channel=whatsapp&phone=%2B5215512345678")

    assert [(msg["direction"], msg["body"]) for msg in shown["messages"]] == [("inbound", "hola")]
    assert other.get_json() == {"messages": []}


def test_a_bad_number_is_explained(client):
    response = client.post(
        "/simulator/api/sign", json={"channel": "sms", "phone": "5512345678", "body": "hola"}
    )

    assert response.status_code == 400
    assert "E.164" in response.get_json()["message"]


def test_there_is_no_simulator_when_twilio_is_configured(tmp_path, monkeypatch, sqlite_url):
    monkeypatch.setenv("DESK_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        BASE_CONFIG | {"DATABASE_URL": sqlite_url, "TWILIO_ACCOUNT_SID": "AC" + "1" * 32}
    )

    assert app.test_client().get("/simulator/").status_code == 404
    assert app.test_client().post("/simulator/api/sign", json={}).status_code == 404
