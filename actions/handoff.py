"""Handing the citizen to a person: on request, or after two misses in a row."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions import desk_client

CITIZEN_REQUEST = "citizen_request"
BOT_FALLBACK = "bot_fallback"
FALLBACK_INTENT = "nlu_fallback"


def hand_off(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: str
) -> list[dict[str, Any]]:
    """Open a case in the desk, tell the citizen the folio, and pause the assistant."""
    try:
        case = desk_client.desk().open_case(
            tracker.sender_id, reason=reason, topic=tracker.get_slot("procedure")
        )
    except desk_client.DeskError:
        dispatcher.utter_message(response="utter_handoff_failed")
        return []
    dispatcher.utter_message(response="utter_handoff", folio=case["folio"])
    return [ConversationPaused()]


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return hand_off(dispatcher, tracker, CITIZEN_REQUEST)


class ActionFallback(Action):
    """First miss: ask to rephrase. Second miss in a row: a person takes over."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if previous_intent(tracker) == FALLBACK_INTENT:
            return hand_off(dispatcher, tracker, BOT_FALLBACK)
        dispatcher.utter_message(response="utter_ask_rephrase")
        # Wait for the citizen: when Rasa's core fallback (not the rule) chose this
        # action, nothing else ends the turn and Rasa would ask again and again.
        return [FollowupAction("action_listen")]


def previous_intent(tracker: Tracker) -> str | None:
    """The intent of the citizen's message before the current one, in this stretch
    with the assistant: a handoff and its resume start the count again."""
    seen_current = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_current:
                return (event.get("parse_data") or {}).get("intent", {}).get("name")
            seen_current = True
        elif kind in ("pause", "resume", "session_started", "restart") and seen_current:
            return None
    return None
