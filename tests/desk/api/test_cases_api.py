"""The JSON API the assistant's actions call to hand a conversation to people."""

from __future__ import annotations

import pytest

from desk.models import conversation as conv

TOKEN = {"Authorization": "Bearer test-desk-api-token"}


def test_the_assistant_opens_a_case_and_gets_the_folio(client, make_conversation):
    conversation = make_conversation()

    response = client.post(
        "/api/v1/cases",
        headers=TOKEN,
        json={"conversation": conversation.key, "reason": "citizen_request", "topic": "pasaporte"},
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body["folio"].startswith("CAB-") and body["status"] == "open"
    assert body["topic"] == "pasaporte"
    assert conversation.mode == conv.HUMAN


def test_asking_twice_returns_the_same_case(client, make_conversation):
    conversation = make_conversation()
    first = client.post("/api/v1/cases", headers=TOKEN, json={"conversation": conversation.key})
    again = client.post("/api/v1/cases", headers=TOKEN, json={"conversation": conversation.key})

    assert again.status_code == 200
    assert again.get_json()["folio"] == first.get_json()["folio"]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "test-desk-api-token"}]
)
def test_without_the_service_token_nothing_happens(client, make_conversation, headers):
    conversation = make_conversation()

    response = client.post(
        "/api/v1/cases", headers=headers, json={"conversation": conversation.key}
    )

    assert response.status_code == 401
    assert response.get_json()["error"] == "Unauthorized"
    assert conversation.mode == conv.BOT


@pytest.mark.parametrize(
    "payload, problem",
    [
        ("not json", "expected a JSON object"),
        ({}, "'conversation'"),
        ({"conversation": "k", "reason": "bored"}, "'reason' must be one of"),
        ({"conversation": "k", "topic": 5}, "'topic' must be a string"),
    ],
)
def test_bad_requests_say_what_is_wrong(client, payload, problem):
    kwargs = {"data": payload} if isinstance(payload, str) else {"json": payload}

    response = client.post("/api/v1/cases", headers=TOKEN, **kwargs)

    assert response.status_code == 400
    assert problem in response.get_json()["message"]


def test_an_unknown_conversation_is_404(client):
    response = client.post("/api/v1/cases", headers=TOKEN, json={"conversation": "nope"})

    assert response.status_code == 404


def test_a_citizen_gets_the_status_of_their_own_folio(client, make_conversation, make_case):
    conversation = make_conversation(citizen_address="whatsapp:+5215512345678")
    case = make_case(conversation, topic="curp")

    response = client.get(
        f"/api/v1/cases/{case.folio}?conversation={conversation.key}", headers=TOKEN
    )

    assert response.status_code == 200
    assert response.get_json() | {"opened_at": None} == {
        "id": case.id,
        "folio": case.folio,
        "status": "open",
        "reason": "citizen_request",
        "topic": "curp",
        "opened_at": None,
        "resolved_at": None,
    }


def test_the_same_phone_on_another_channel_is_the_owner(client, make_conversation, make_case):
    case = make_case(make_conversation(citizen_address="whatsapp:+5215512345678"))
    sms = make_conversation(
        channel="sms", citizen_address="+5215512345678", desk_address="+525500000000"
    )

    response = client.get(f"/api/v1/cases/{case.folio}?conversation={sms.key}", headers=TOKEN)

    assert response.status_code == 200


def test_someone_elses_folio_and_a_made_up_one_look_the_same(client, make_conversation, make_case):
    case = make_case(make_conversation(citizen_address="whatsapp:+5215512345678"))
    stranger = make_conversation(citizen_address="whatsapp:+5215599999999")

    theirs = client.get(f"/api/v1/cases/{case.folio}?conversation={stranger.key}", headers=TOKEN)
    made_up = client.get(
        f"/api/v1/cases/CAB-2026-999999?conversation={stranger.key}", headers=TOKEN
    )

    assert theirs.status_code == made_up.status_code == 404
    assert theirs.get_json() == made_up.get_json()


def test_case_status_needs_the_service_token(client, make_case):
    case = make_case()

    response = client.get(f"/api/v1/cases/{case.folio}?conversation={case.conversation.key}")

    assert response.status_code == 401
