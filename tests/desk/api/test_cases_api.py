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
