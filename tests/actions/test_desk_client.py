"""The actions' client for the desk API, against a local HTTP stand-in."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from actions.desk_client import DeskClient, DeskError


@pytest.fixture
def desk_api():
    state = {"calls": [], "status": 201}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state["calls"].append({"path": self.path, "auth": self.headers["Authorization"]})
            found = "CAB-2026-000001" in self.path and "conversation=k" in self.path
            payload = json.dumps(
                {"folio": "CAB-2026-000001", "status": "open"} if found else {"error": "Not Found"}
            ).encode()
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state["calls"].append(
                {"path": self.path, "auth": self.headers["Authorization"], "json": body}
            )
            payload = json.dumps({"folio": "CAB-2026-000001", "status": "open"}).encode()
            self.send_response(state["status"])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def test_open_case_posts_with_the_service_token(desk_api):
    case = DeskClient(desk_api["url"], "svc").open_case("k", reason="citizen_request", topic="curp")

    assert case["folio"] == "CAB-2026-000001"
    assert desk_api["calls"] == [
        {
            "path": "/api/v1/cases",
            "auth": "Bearer svc",
            "json": {"conversation": "k", "reason": "citizen_request", "topic": "curp"},
        }
    ]


def test_a_refusal_is_a_desk_error(desk_api):
    desk_api["status"] = 401

    with pytest.raises(DeskError, match="401"):
        DeskClient(desk_api["url"], "wrong").open_case("k", reason="citizen_request")


def test_without_a_token_the_client_refuses_to_start(monkeypatch):
    monkeypatch.delenv("DESK_API_TOKEN", raising=False)

    with pytest.raises(DeskError, match="DESK_API_TOKEN"):
        DeskClient.from_env()


def test_case_status_asks_for_the_folio_on_behalf_of_the_conversation(desk_api):
    client = DeskClient(desk_api["url"], "svc")

    found = client.case_status("CAB-2026-000001", conversation="k")
    missing = client.case_status("CAB-2026-000001", conversation="someone-else")

    assert found == {"folio": "CAB-2026-000001", "status": "open"}
    assert missing is None
    assert desk_api["calls"][0] == {
        "path": "/api/v1/cases/CAB-2026-000001?conversation=k",
        "auth": "Bearer svc",
    }
