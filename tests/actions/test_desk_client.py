"""The actions' client for the desk API, against a local HTTP stand-in."""

from __future__ import annotations

import pytest

from actions.desk_client import DeskClient, DeskError
from tests.support.json_standin import JsonStandIn


@pytest.fixture
def desk_api():
    """Answers like the desk: a case for its owner's conversation, else the same 404."""
    state = {"status": 201, "lookup": None}

    def respond(method, path, headers, body):
        if path == "/api/v1/cases/lookup":
            if state["lookup"] is not None:
                return state["lookup"]
            if body == {"folio": "CAB-2026-000001", "conversation": "k"}:
                return 200, {"folio": "CAB-2026-000001", "status": "open"}
            return 404, {"error": "Not Found", "message": "no case with that folio for this number"}
        if method == "POST" and path == "/api/v1/cases":
            return state["status"], {"folio": "CAB-2026-000001", "status": "open"}
        return 404, {"error": "Not Found"}

    server = JsonStandIn(respond)
    server.state = state
    yield server
    server.stop()


def test_open_case_posts_with_the_service_token(desk_api):
    case = DeskClient(desk_api.url, "svc").open_case("k", reason="citizen_request", topic="curp")

    assert case["folio"] == "CAB-2026-000001"
    assert desk_api.calls == [
        {
            "method": "POST",
            "path": "/api/v1/cases",
            "auth": "Bearer svc",
            "json": {"conversation": "k", "reason": "citizen_request", "topic": "curp"},
        }
    ]


def test_a_refusal_is_a_desk_error(desk_api):
    desk_api.state["status"] = 401

    with pytest.raises(DeskError, match="401"):
        DeskClient(desk_api.url, "wrong").open_case("k", reason="citizen_request")


def test_without_a_token_the_client_refuses_to_start(monkeypatch):
    monkeypatch.delenv("DESK_API_TOKEN", raising=False)

    with pytest.raises(DeskError, match="DESK_API_TOKEN"):
        DeskClient.from_env()


def test_case_status_posts_the_folio_and_the_conversation_in_the_body(desk_api):
    client = DeskClient(desk_api.url, "svc")

    found = client.case_status("CAB-2026-000001", conversation="k")

    assert found == {"folio": "CAB-2026-000001", "status": "open"}
    # Access logs keep URLs: the conversation key (the citizen's sender id) is never in one.
    assert desk_api.calls == [
        {
            "method": "POST",
            "path": "/api/v1/cases/lookup",
            "auth": "Bearer svc",
            "json": {"folio": "CAB-2026-000001", "conversation": "k"},
        }
    ]


@pytest.mark.parametrize(
    "folio, conversation",
    [
        ("CAB-2026-000001", "someone-else"),
        ("CAB-2026-999999", "k"),
        ("CAB-2026-99999999999999999999", "k"),  # more digits than any case: no such case
    ],
)
def test_a_case_that_is_not_theirs_or_does_not_exist_is_none(desk_api, folio, conversation):
    assert DeskClient(desk_api.url, "svc").case_status(folio, conversation=conversation) is None


@pytest.mark.parametrize(
    "answer, problem",
    [
        ((500, {"error": "Internal Server Error"}), "desk answered 500"),
        ((400, {"message": "'folio' must be a string"}), "desk answered 400"),
        ((200, ["CAB-2026-000001"]), "not an object"),
        ((200, {"folio": "CAB-2026-000001"}), "without a status"),
        ((200, {"folio": "CAB-2026-000001", "status": None}), "without a status"),
    ],
)
def test_a_failing_or_nonsensical_answer_is_a_desk_error(desk_api, answer, problem):
    desk_api.state["lookup"] = answer

    with pytest.raises(DeskError, match=problem):
        DeskClient(desk_api.url, "svc").case_status("CAB-2026-000001", conversation="k")


def test_an_unreachable_desk_is_a_desk_error():
    with pytest.raises(DeskError, match="desk unreachable"):
        DeskClient("http://127.0.0.1:9", "svc", timeout=1).case_status(
            "CAB-2026-000001", conversation="k"
        )
