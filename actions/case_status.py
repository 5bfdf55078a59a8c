""" "¿Cómo va mi folio CAB-2026-000123?": answered from the desk, to the case's owner only."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import desk_client
from actions.language import current

FOLIO = re.compile(r"\bCAB-\d{4}-\d{6,}\b", re.IGNORECASE)

TEXT = {
    "es": {
        "ask": "¿Cuál es tu folio? Se ve así: CAB-2026-000123.",
        "open": "Tu caso {folio} está abierto: una persona del Centro lo está atendiendo y te "
        "responderá por este chat.",
        "resolved": "Tu caso {folio} quedó resuelto el {date}. Si necesitas algo más, "
        "escríbeme o escribe «agente».",
        "unknown": "No encontré un caso con ese folio para este número. Revisa el folio o "
        "escribe «agente».",
        "down": "No pude consultar tu folio en este momento. Intenta de nuevo en unos minutos.",
    },
    "en": {
        "ask": "What is your case number? It looks like CAB-2026-000123.",
        "open": "Your case {folio} is open: a person at the Centro is working on it and will "
        "reply in this chat.",
        "resolved": "Your case {folio} was resolved on {date}. If you need anything else, "
        'write to me or write "agent".',
        "unknown": "I found no case with that number for this phone. Check the number or "
        'write "agent".',
        "down": "I could not look up your case right now. Please try again in a few minutes.",
    },
}


class ActionCaseStatus(Action):
    def name(self) -> str:
        return "action_case_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = TEXT[current(tracker)]
        mentioned = next(tracker.get_latest_entity_values("folio"), None) or ""
        found = FOLIO.search(mentioned) or FOLIO.search(tracker.latest_message.get("text", ""))
        if found is None:
            dispatcher.utter_message(text=text["ask"])
            return []
        folio = found.group().upper()
        try:
            case = desk_client.desk().case_status(folio, conversation=tracker.sender_id)
        except desk_client.DeskError:
            dispatcher.utter_message(text=text["down"])
            return []
        if case is None:
            dispatcher.utter_message(text=text["unknown"])
        elif case["status"] in ("resolved", "closed"):
            date = (case.get("resolved_at") or "")[:10]
            dispatcher.utter_message(text=text["resolved"].format(folio=folio, date=date))
        else:
            dispatcher.utter_message(text=text["open"].format(folio=folio))
        return []
