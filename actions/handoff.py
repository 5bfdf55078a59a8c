"""Handing the citizen to a person: on request, when fed up with the assistant, for a
complaint, after two misses in a row (not understood, or out of scope), or on a "sí"
to the person offered after a problem."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions import desk_client
from actions.frustration import is_frustrated, lost
from actions.procedures import PERSON_OFFERED, show_menu

CITIZEN_REQUEST = "citizen_request"
BOT_FALLBACK = "bot_fallback"
COMPLAINT = "complaint"
FRUSTRATION = "frustration"
MISSES = {"nlu_fallback", "out_of_scope"}
CLARIFY = {
    "es": "No estoy seguro de entenderte. ¿Es sobre alguno de estos trámites?",
    "en": "I am not sure I understand. Is it about one of these procedures?",
}


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
    response = "utter_handoff_complaint" if reason == COMPLAINT else "utter_handoff"
    dispatcher.utter_message(response=response, folio=case["folio"])
    return [ConversationPaused()]


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == COMPLAINT:
            return hand_off(dispatcher, tracker, COMPLAINT)
        # Supervisors read handoffs by reason: an angry citizen is a signal of its own.
        angry = is_frustrated(tracker.latest_message.get("text") or "")
        return hand_off(dispatcher, tracker, FRUSTRATION if angry else CITIZEN_REQUEST)


class ActionAffirm(Action):
    """A "sí": takes the person offered after a problem; otherwise asks what about."""

    def name(self) -> str:
        return "action_affirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("menu_context") == PERSON_OFFERED:
            return hand_off(dispatcher, tracker, CITIZEN_REQUEST)
        dispatcher.utter_message(response="utter_affirm")
        return []


class ActionFallback(Action):
    """First miss: ask with the menu. Second miss in a row: a person takes over."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # "???" after any answer says it did not help: as much a second miss as any.
        previous = previous_intent(tracker)
        puzzled = previous is not None and lost(tracker.latest_message.get("text") or "")
        if previous in MISSES or puzzled:
            return hand_off(dispatcher, tracker, BOT_FALLBACK)
        events = show_menu(dispatcher, tracker, CLARIFY)
        # Wait for the citizen: when Rasa's core fallback (not the rule) chose this
        # action, nothing else ends the turn and Rasa would ask again and again.
        return [*events, FollowupAction("action_listen")]


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
