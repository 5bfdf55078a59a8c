"""Answers about federal procedures, from the catalog; the numbered menus."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import answers
from actions.catalog import Procedure, catalog
from actions.channel import send
from actions.language import current

TOPIC_OF_INTENT = {
    "ask_what": "what",
    "ask_requirements": "requirements",
    "ask_cost": "cost",
    "ask_where": "where",
    "ask_duration": "duration",
    "ask_status": "status",
}
# Menu contexts: what a bare number answers.
PROCEDURES_MENU = "procedures"
TOPICS_MENU = "topics"
NUMBER = re.compile(r"\d+")

UNKNOWN = {
    "es": "No tengo información de ese trámite. Estos son los que conozco:",
    "en": "I have no information on that one. These are the procedures I know:",
}
WHICH = {
    "es": "¿Sobre qué trámite? Escribe su nombre o un número:",
    "en": "Which procedure? Write its name or a number:",
}
NOT_IN_MENU = {
    "es": "Ese número no está en el menú.",
    "en": "That number is not on the menu.",
}


def answer_about(
    dispatcher: CollectingDispatcher, tracker: Tracker, procedure: Procedure, topic: str
) -> list[dict[str, Any]]:
    send(dispatcher, tracker, answers.answer(procedure, topic, current(tracker)))
    # After an overview, a bare number picks a topic of this procedure.
    menu = TOPICS_MENU if topic == "what" else None
    return [
        SlotSet("procedure", procedure.slug),
        SlotSet("topic", topic),
        SlotSet("menu_context", menu),
    ]


def show_menu(
    dispatcher: CollectingDispatcher, tracker: Tracker, intro: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    language = current(tracker)
    if intro:
        dispatcher.utter_message(text=intro[language])
    send(dispatcher, tracker, answers.menu(catalog(), language))
    return [SlotSet("menu_context", PROCEDURES_MENU)]


class ActionAnswerProcedure(Action):
    """Every question about a procedure: what, requirements, cost, where, how long,
    status. The procedure comes from the message or, for follow-ups, from memory;
    a bare "¿y el acta?" repeats the last question about the new procedure."""

    def name(self) -> str:
        return "action_answer_procedure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        topic = TOPIC_OF_INTENT.get(intent) or tracker.get_slot("topic") or "what"
        mentioned = next(tracker.get_latest_entity_values("procedure"), None)
        procedure = catalog().resolve(mentioned) if mentioned else None
        if mentioned and procedure is None:
            return [*show_menu(dispatcher, tracker, UNKNOWN), SlotSet("topic", topic)]
        procedure = procedure or catalog().get(tracker.get_slot("procedure") or "")
        if procedure is None:
            # Remember the question; the citizen's next message names the procedure.
            return [*show_menu(dispatcher, tracker, WHICH), SlotSet("topic", topic)]
        return answer_about(dispatcher, tracker, procedure, topic)


class ActionShowMenu(Action):
    def name(self) -> str:
        return "action_show_menu"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # A fresh start: a number now picks a procedure and gets its overview.
        return [*show_menu(dispatcher, tracker), SlotSet("topic", None)]


class ActionSelectOption(Action):
    """A number answers the last menu: a procedure, or a topic of the current one."""

    def name(self) -> str:
        return "action_select_option"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        found = NUMBER.search(tracker.latest_message.get("text") or "")
        number = int(found.group()) if found else 0
        procedure = catalog().get(tracker.get_slot("procedure") or "")
        if tracker.get_slot("menu_context") == TOPICS_MENU and procedure is not None:
            if 1 <= number <= len(answers.TOPIC_MENU):
                return answer_about(dispatcher, tracker, procedure, answers.TOPIC_MENU[number - 1])
        else:
            chosen = catalog().by_menu_number(number)
            if chosen is not None:
                pending = tracker.get_slot("topic") or "what"
                return answer_about(dispatcher, tracker, chosen, pending)
        return show_menu(dispatcher, tracker, NOT_IN_MENU)
