"""Folio status: the owner hears it, anyone else hears nothing about it."""

from __future__ import annotations

import asyncio

import pytest

from actions import desk_client
from actions.case_status import ActionCaseStatus
from tests.actions.conftest import make_tracker, user
from tests.support.json_standin import JsonStandIn


def ask(dispatcher, text, folio=None, sender="conv-key"):
    tracker = make_tracker(
        [user(text, "ask_case_status", entities={"folio": folio} if folio else None)], sender=sender
    )
    asyncio.run(ActionCaseStatus().run(dispatcher, tracker, {}))
    return [m["text"] for m in dispatcher.messages]


def test_the_owner_hears_that_the_case_is_open(desk, dispatcher):
    desk.cases["CAB-2026-000123"] = {"owner": "conv-key", "status": "open"}

    [answer] = ask(dispatcher, "como va mi folio CAB-2026-000123", "CAB-2026-000123")

    assert answer.startswith("Tu caso CAB-2026-000123 está abierto")


def test_a_resolved_case_says_when(desk, dispatcher):
    desk.cases["CAB-2026-000123"] = {
        "owner": "conv-key",
        "status": "resolved",
        "resolved_at": "2026-11-20T17:00:00+00:00",
    }

    [answer] = ask(dispatcher, "cab-2026-000123 q paso")  # found in the text, lower case

    assert "resuelto el 2026-11-20" in answer


def test_a_closed_case_is_told_as_resolved(desk, dispatcher):
    desk.cases["CAB-2026-000123"] = {
        "owner": "conv-key",
        "status": "closed",
        "resolved_at": "2026-11-20T17:00:00+00:00",
    }

    [answer] = ask(dispatcher, "como va mi folio CAB-2026-000123")

    assert "resuelto el 2026-11-20" in answer


def test_someone_else_gets_a_neutral_answer(desk, dispatcher):
    desk.cases["CAB-2026-000123"] = {"owner": "conv-key", "status": "open"}

    [answer] = ask(dispatcher, "CAB-2026-000123", "CAB-2026-000123", sender="stranger")

    assert answer.startswith("No encontré un caso con ese folio para este número.")
    assert "abierto" not in answer


def test_without_a_folio_the_assistant_asks_for_it(desk, dispatcher):
    [answer] = ask(dispatcher, "como va mi caso")

    assert answer == "¿Cuál es tu folio? Se ve así: CAB-2026-000123."


def test_when_the_desk_is_down_the_citizen_is_told_to_try_later(desk, dispatcher):
    desk.down = True

    [answer] = ask(dispatcher, "CAB-2026-000123", "CAB-2026-000123")

    assert "Intenta de nuevo" in answer


@pytest.fixture
def real_client(monkeypatch):
    """The action through the real DeskClient, against a stand-in that answers like the
    desk: 404 for any folio that is not this conversation's."""

    def respond(method, path, headers, body):
        return 404, {"error": "Not Found", "message": "no case with that folio for this number"}

    server = JsonStandIn(respond)
    monkeypatch.setattr(desk_client, "_client", desk_client.DeskClient(server.url, "svc"))
    yield server
    server.stop()


def test_a_folio_with_more_digits_than_any_case_is_unknown_not_an_outage(real_client, dispatcher):
    folio = "CAB-2026-99999999999999999999"

    [answer] = ask(dispatcher, f"como va mi folio {folio}", folio)

    # The desk used to fail on it (an integer overflow), and the citizen heard "try later".
    assert answer.startswith("No encontré un caso con ese folio para este número.")
    assert real_client.calls == [
        {
            "method": "POST",
            "path": "/api/v1/cases/lookup",
            "auth": "Bearer svc",
            "json": {"folio": folio, "conversation": "conv-key"},
        }
    ]
