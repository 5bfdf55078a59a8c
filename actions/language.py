"""Spanish or English, decided once per conversation and switched only on request."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

LANGUAGES = ("es", "en")
WORD = re.compile(r"[a-záéíóúñü']+")
ENGLISH = set(
    "the is are what how much do does i i'm im my me need to for you your can where when "
    "please thanks thank hello hi hey get apply pay cost long take is it and of in "
    "with want talk speak english yes no passport birth certificate".split()
)
SPANISH = set(
    "el la los las que q k de del mi como cuanto cuánto necesito hola gracias por para pa "
    "donde dónde es un una y sacar tramite trámite quiero hablar con se sí si no buenas "
    "buenos dias días tardes noches cuesta tarda pasaporte acta español ayuda porfa".split()
)


def detect(text: str) -> str | None:
    """'en' or 'es' when the words say so clearly; None when they do not (e.g. "ok")."""
    words = WORD.findall(text.lower())
    english = sum(word in ENGLISH for word in words)
    spanish = sum(word in SPANISH for word in words)
    if english > spanish:
        return "en"
    if spanish > english:
        return "es"
    return None


def current(tracker: Tracker) -> str:
    language = tracker.get_slot("language")
    return language if language in LANGUAGES else "es"


class ActionSetLanguage(Action):
    """Fills the `language` slot on every turn (a custom slot mapping).

    An explicit request ("english please", "en español") switches; otherwise the
    first message that clearly shows a language decides. Until then: Spanish.
    """

    def name(self) -> str:
        return "action_set_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        text = message.get("text") or ""
        if intent == "change_language":
            wanted = next(tracker.get_latest_entity_values("language"), None)
            wanted = wanted if wanted in LANGUAGES else _requested(text)
            if wanted:
                return [SlotSet("language", wanted)]
        if tracker.get_slot("language") in LANGUAGES:
            return []
        # Undecided ("ok", "1") stays unset, so a later clear message still decides.
        detected = detect(text)
        return [SlotSet("language", detected)] if detected else []


def _requested(text: str) -> str | None:
    lowered = text.lower()
    if "engl" in lowered or "ingl" in lowered:
        return "en"
    if "espa" in lowered or "spanish" in lowered:
        return "es"
    return None
