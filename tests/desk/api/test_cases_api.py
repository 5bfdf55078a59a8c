"""The JSON API the assistant's actions call: hand a conversation to people, look up a folio."""

from __future__ import annotations

import io
import json

import pytest

from desk.models import case as c
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
    assert body["folio"].startswith("CAB-") and body["status"] == "new"
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


# --- a folio's status: POST /api/v1/cases/lookup --------------------------------------


def lookup(client, folio, conversation, headers=TOKEN):
    return client.post(
        "/api/v1/cases/lookup", headers=headers, json={"folio": folio, "conversation": conversation}
    )


def test_a_citizen_gets_the_status_of_their_own_folio(client, make_conversation, make_case):
    conversation = make_conversation(citizen_address="whatsapp:+5215512345678")
    case = make_case(conversation, topic="curp")

    response = lookup(client, case.folio, conversation.key)

    assert response.status_code == 200
    assert response.get_json() | {"opened_at": None} == {
        "id": case.id,
        "folio": case.folio,
        "status": "new",
        "reason": "citizen_request",
        "topic": "curp",
        "opened_at": None,
        "resolved_at": None,
    }


def test_the_folio_may_be_written_in_lower_case(client, make_case):
    case = make_case()

    assert lookup(client, case.folio.lower(), case.conversation.key).status_code == 200


def test_the_same_phone_on_another_channel_is_the_owner(client, make_conversation, make_case):
    case = make_case(make_conversation(citizen_address="whatsapp:+5215512345678"))
    sms = make_conversation(
        channel="sms", citizen_address="+5215512345678", desk_address="+525500000000"
    )

    assert lookup(client, case.folio, sms.key).status_code == 200


@pytest.mark.parametrize(
    "folio",
    [
        "CAB-2026-999999",  # made up
        "CAB-2026-99999999999999999999",  # more digits than any case id: was an OverflowError
        "CAB-2026-9999999999",  # ten digits, past PostgreSQL's INTEGER
        "CAB-2026-2147483648",  # one past it
        "CAB-2026-2147483647",  # the largest id there can be, not one there is
        "CAB-2026-000001 y otra cosa",  # a folio inside text is not a folio
        "hola",
    ],
)
def test_someone_elses_folio_and_a_made_up_one_look_the_same(
    client, make_conversation, make_case, folio
):
    case = make_case(make_conversation(citizen_address="whatsapp:+5215512345678"))
    stranger = make_conversation(citizen_address="whatsapp:+5215599999999")

    theirs = lookup(client, case.folio, stranger.key)
    made_up = lookup(client, folio, stranger.key)

    assert theirs.status_code == made_up.status_code == 404
    assert theirs.get_json() == made_up.get_json()


def test_an_unknown_conversation_gets_the_same_404(client, make_case):
    case = make_case()

    response = lookup(client, case.folio, "not-a-conversation")

    assert response.status_code == 404
    assert response.get_json()["message"] == "no case with that folio for this number"


def test_case_status_needs_the_service_token(client, make_case):
    case = make_case()

    response = lookup(client, case.folio, case.conversation.key, headers={})

    assert response.status_code == 401


def test_the_old_get_with_the_key_in_the_url_is_gone(client, make_case):
    # Access logs keep URLs; the conversation key must never be in one.
    case = make_case()

    response = client.get(
        f"/api/v1/cases/{case.folio}?conversation={case.conversation.key}", headers=TOKEN
    )

    assert response.status_code in (404, 405)
    assert case.folio not in response.get_data(as_text=True)


# --- folio parsing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, parsed",
    [
        ("CAB-2026-000123", (2026, 123)),
        ("mi folio es cab-2025-001234, gracias", (2025, 1234)),
        ("CAB-2026-2147483647", (2026, 2**31 - 1)),
        ("CAB-2026-2147483648", None),  # no case id gets there
        ("CAB-2026-99999999999999999999", None),
        ("CAB-2026-" + "9" * 5000, None),  # int() itself refuses past 4300 digits
        ("CAB-2026-12345", None),  # too short
        ("CAB-２０２６-000123", None),  # digits other than 0-9
    ],
)
def test_a_folio_parses_to_a_case_id_that_can_exist_or_to_nothing(text, parsed):
    assert c.parse_folio(text) == parsed


# --- reasons ----------------------------------------------------------------------------


@pytest.mark.parametrize("reason", c.REASONS)
def test_every_reason_the_desk_knows_is_accepted(client, db, make_conversation, reason):
    conversation = make_conversation()

    response = client.post(
        "/api/v1/cases", headers=TOKEN, json={"conversation": conversation.key, "reason": reason}
    )

    assert response.status_code == 201
    assert response.get_json()["reason"] == reason


def test_an_unknown_reason_is_refused_with_the_list_of_known_ones(client, make_conversation):
    conversation = make_conversation()

    response = client.post(
        "/api/v1/cases", headers=TOKEN, json={"conversation": conversation.key, "reason": "bored"}
    )

    assert response.status_code == 400
    assert response.get_json()["message"] == f"'reason' must be one of {', '.join(c.REASONS)}"
    assert conversation.mode == conv.BOT


def test_without_a_reason_the_citizen_asked_for_a_person(client, make_conversation):
    conversation = make_conversation()

    response = client.post(
        "/api/v1/cases", headers=TOKEN, json={"conversation": conversation.key, "reason": None}
    )

    assert response.get_json()["reason"] == c.CITIZEN_REQUEST


# --- every wrong type, every bad body: a 400 that names the problem ---------------------

WRONG_TYPES = [
    (5, "must be a string, not a number"),
    (1.5, "must be a string, not a number"),
    (True, "must be a string, not a boolean"),
    (["k"], "must be a string, not an array"),
    ({"k": "v"}, "must be a string, not an object"),
    ("k\x00", "contains a NUL character"),
    ("k\ud800", "is not valid Unicode text (a lone surrogate)"),
]


def _valid_body(route, conversation):
    if route == "/api/v1/cases":
        return {"conversation": conversation.key, "reason": "complaint", "topic": "curp"}
    return {"conversation": conversation.key, "folio": "CAB-2026-000001"}


@pytest.mark.parametrize(
    "route, field",
    [
        ("/api/v1/cases", "conversation"),
        ("/api/v1/cases", "reason"),
        ("/api/v1/cases", "topic"),
        ("/api/v1/cases/lookup", "conversation"),
        ("/api/v1/cases/lookup", "folio"),
    ],
)
@pytest.mark.parametrize("value, problem", WRONG_TYPES)
def test_a_field_of_the_wrong_type_is_a_400_that_names_it(
    client, db, make_conversation, route, field, value, problem
):
    conversation = make_conversation()
    body = _valid_body(route, conversation) | {field: value}

    response = client.post(
        route, headers=TOKEN, data=json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.get_json()["message"] == f"'{field}' {problem}"
    assert conversation.mode == conv.BOT


@pytest.mark.parametrize(
    "route, field",
    [
        ("/api/v1/cases", "conversation"),
        ("/api/v1/cases/lookup", "conversation"),
        ("/api/v1/cases/lookup", "folio"),
    ],
)
@pytest.mark.parametrize("value", [None, ""])
def test_a_missing_required_field_is_named(client, make_conversation, route, field, value):
    body = _valid_body(route, make_conversation()) | {field: value}

    response = client.post(route, headers=TOKEN, json=body)

    assert response.status_code == 400
    assert response.get_json()["message"].startswith(f"'{field}' (")
    assert response.get_json()["message"].endswith(") is required")


@pytest.mark.parametrize("route", ["/api/v1/cases", "/api/v1/cases/lookup"])
@pytest.mark.parametrize(
    "body, content_type, problem",
    [
        ('{"conversation": "k"}', "text/plain", "with Content-Type: application/json"),
        ("conversation=k", "application/x-www-form-urlencoded", "Content-Type: application/json"),
        ("", None, "with Content-Type: application/json"),
        ("", "application/json", "the body is not valid JSON"),
        ('{"conversation": ', "application/json", "the body is not valid JSON"),
        (b"\xff\xfe\x00{", "application/json", "the body is not valid JSON"),
        ("[" * 60_000, "application/json", "the body is not valid JSON"),  # RecursionError
        ('["conversation"]', "application/json", "expected a JSON object, not an array"),
        ('"conversation"', "application/json", "expected a JSON object, not a string"),
        ("null", "application/json", "expected a JSON object, not null"),
        ("12", "application/json", "expected a JSON object, not a number"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400_that_says_so(
    client, route, body, content_type, problem
):
    response = client.post(route, headers=TOKEN, data=body, content_type=content_type)

    assert response.status_code == 400
    assert problem in response.get_json()["message"]


def test_a_body_past_max_content_length_is_a_413(client, app, make_conversation):
    conversation = make_conversation()
    topic = "x" * app.config["MAX_CONTENT_LENGTH"]

    response = client.post(
        "/api/v1/cases", headers=TOKEN, json={"conversation": conversation.key, "topic": topic}
    )

    assert response.status_code == 413
    assert response.get_json()["message"] == "the body is larger than 65536 bytes"
    assert conversation.mode == conv.BOT


def test_a_streamed_body_past_max_content_length_is_a_413_not_cut_short(client, make_conversation):
    # Chunked, no Content-Length: werkzeug would hand over only the first 64 KiB, and
    # this one parses as JSON there. It is refused instead.
    conversation = make_conversation()
    body = json.dumps({"conversation": conversation.key}).encode() + b" " * 70_000

    response = client.post(
        "/api/v1/cases",
        headers=TOKEN | {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True},
    )

    assert response.status_code == 413
    assert response.get_json()["message"] == "the body is larger than 65536 bytes"
    assert conversation.mode == conv.BOT
