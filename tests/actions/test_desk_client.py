"""The actions' client for the desk API, against a local HTTP stand-in."""

from __future__ import annotations

import pytest

from actions.desk_client import DeskClient, DeskError
from tests.support.json_standin import JsonStandIn


@pytest.fixture
def desk_api():
    state = {"status": 201}

    def respond(method, path, headers, body):
        if method == "POST":
            return state["status"], {"folio": "CAB-2026-000001", "status": "open"}
        if "CAB-2026-000001" in path and "conversation=k" in path:
            return 200, {"folio": "CAB-2026-000001", "status": "open"}
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


def test_case_status_asks_for_the_folio_on_behalf_of_the_conversation(desk_api):
    client = DeskClient(desk_api.url, "svc")

    found = client.case_status("CAB-2026-000001", conversation="k")
    missing = client.case_status("CAB-2026-000001", conversation="someone-else")

    assert found == {"folio": "CAB-2026-000001", "status": "open"}
    assert missing is None
    assert desk_api.calls[0]["path"] == "/api/v1/cases/CAB-2026-000001?conversation=k"
    assert desk_api.calls[0]["auth"] == "Bearer svc"
