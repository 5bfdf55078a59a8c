"""Action fixtures (bot environment): trackers built from event dicts, a stand-in desk."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import desk_client


def user(
    text: str,
    intent: str,
    confidence: float = 0.9,
    *,
    entities: dict[str, str] | None = None,
    channel: str = "whatsapp",
) -> dict[str, Any]:
    """A citizen's message as Rasa logs it, with what the desk said about its channel."""
    return {
        "event": "user",
        "text": text,
        "metadata": {"channel": channel},
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
        },
    }


def make_tracker(
    events: list[dict[str, Any]], slots: dict[str, Any] | None = None, sender: str = "conv-key"
) -> Tracker:
    latest = next((e for e in reversed(events) if e["event"] == "user"), {})
    return Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message=latest.get("parse_data", {}),
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


class FakeDesk:
    """Records what the actions ask of the desk; can fail like a desk that is down."""

    def __init__(self) -> None:
        self.opened: list[dict[str, Any]] = []
        self.cases: dict[str, dict[str, Any]] = {}
        self.down = False

    def open_case(self, conversation: str, *, reason: str, topic: str | None = None):
        if self.down:
            raise desk_client.DeskError("desk unreachable: connection refused")
        self.opened.append({"conversation": conversation, "reason": reason, "topic": topic})
        return {"id": 7, "folio": "CAB-2026-000007", "status": "open"}

    def case_status(self, folio: str, *, conversation: str):
        if self.down:
            raise desk_client.DeskError("desk unreachable: connection refused")
        case = self.cases.get(folio)
        return case if case and case["owner"] == conversation else None


@pytest.fixture
def desk(monkeypatch: pytest.MonkeyPatch) -> FakeDesk:
    fake = FakeDesk()
    monkeypatch.setattr(desk_client, "_client", fake)
    return fake


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()
