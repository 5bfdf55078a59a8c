"""Answers about federal procedures, from the catalog; the numbered menus."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import answers
from actions.catalog import DIRECTORY, Procedure, catalog, names_something
from actions.channel import send
from actions.language import current
from actions.situation import read_situation, ruled_out

TOPIC_OF_INTENT = {
    "ask_what": "what",
    "ask_requirements": "requirements",
    "ask_cost": "cost",
    "ask_where": "where",
    "ask_duration": "duration",
    "ask_status": "status",
    "report_problem": "problems",
}
# Menu contexts: what a bare number answers. After a problem the assistant offers a
# person, and a "sí" takes it (actions/handoff.py).
PROCEDURES_MENU = "procedures"
TOPICS_MENU = "topics"
PERSON_OFFERED = "person"
NUMBER = re.compile(r"\d+")

UNKNOWN = {
    "es": "No tengo información de ese trámite. Estos son los que conozco:",
    "en": "I have no information on that one. These are the procedures I know:",
}
WHICH = {
    "es": "¿Sobre qué trámite? Escribe su nombre o un número:",
    "en": "Which procedure? Write its name or a number:",
}
ALSO = {
    "es": "¿Preguntabas por {name}? Escribe «{short}».",
    "en": 'Asking about {name}? Write "{short}".',
}
WHICH_OF = {
    "es": "¿Cuál de estos? Escribe su número:",
    "en": "Which of these? Write its number:",
}
NOT_IN_MENU = {
    "es": "Ese número no está en el menú.",
    "en": "That number is not on the menu.",
}


def answer_about(
    dispatcher: CollectingDispatcher, tracker: Tracker, procedure: Procedure, topic: str
) -> list[dict[str, Any]]:
    said = tracker.latest_message.get("text") or ""
    language = current(tracker)
    reply = answers.answer(procedure, topic, language, said)
    # Two procedures named, one answered: the other is a word away.
    others = [
        m.procedure
        for m in catalog().mentions(said)
        if m.exact and m.procedure != procedure and m.procedure.slug != DIRECTORY
    ]
    if others:
        also = ALSO[language].format(
            name=others[0].name(language), short=others[0].short_name(language)
        )
        reply = replace(reply, body=[*reply.body, also])
    send(dispatcher, tracker, reply)
    # After an overview, a bare number picks a topic of this procedure.
    menu = {"what": TOPICS_MENU, "problems": PERSON_OFFERED}.get(topic)
    return [
        SlotSet("procedure", procedure.slug),
        SlotSet("topic", topic),
        SlotSet("menu_context", menu),
    ]


def show_menu(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    intro: dict[str, str] | None = None,
    only: list[Procedure] | None = None,
) -> list[dict[str, Any]]:
    """The numbered list of procedures (``only`` some, keeping their numbers)."""
    language = current(tracker)
    if intro:
        dispatcher.utter_message(text=intro[language])
    send(dispatcher, tracker, answers.menu(catalog(), language, only))
    return [SlotSet("menu_context", PROCEDURES_MENU)]


def meant(tracker: Tracker) -> tuple[Procedure | None, list[Procedure]]:
    """The procedure the message names and, when its words fit several ("la pensión"),
    those several. The NLU resolver has already put the subject first among the
    `procedure` entities; the text is read again for a model trained without it."""
    said = tracker.latest_message.get("text") or ""
    mentioned = next(tracker.get_latest_entity_values("procedure"), None)
    found = (catalog().resolve(mentioned) if mentioned else None) or catalog().find(said)
    if found is not None:
        return found, []
    # Nothing named in full: the words that belong to few procedures ("la pensión de mi
    # abuelo") are the next best thing: those DIET marked, else the whole message's.
    guesses = (mentioned and catalog().candidates(mentioned)) or catalog().candidates(
        said, whole_message=True
    )
    remembered = catalog().get(tracker.get_slot("procedure") or "")
    if len(guesses) > 1 and remembered in guesses:
        return remembered, []  # "¿y ya depositaron la pensión?", about the one just discussed
    if len(guesses) > 1:
        # Who is asking may settle it: "la pensión de mi abuelo" is not the women's one.
        situation = read_situation(said)
        possible = [p for p in guesses if not ruled_out(p, situation)]
        guesses = possible if len(possible) == 1 else guesses
    return (guesses[0], []) if len(guesses) == 1 else (None, guesses)


class ActionAnswerProcedure(Action):
    """Every question about a procedure: what, requirements, cost, where, how long,
    status, a problem. The procedure comes from the message (the resolver in the NLU
    pipeline marks any name the catalog knows) or, for follow-ups, from memory; a
    bare "¿y el acta?" repeats the last question about the new procedure. "Unknown"
    is only for a procedure the catalog does not have."""

    def name(self) -> str:
        return "action_answer_procedure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        topic = TOPIC_OF_INTENT.get(intent) or tracker.get_slot("topic") or "what"
        mentioned = next(tracker.get_latest_entity_values("procedure"), None)
        procedure, several = meant(tracker)
        if several:
            return [*show_menu(dispatcher, tracker, WHICH_OF, several), SlotSet("topic", topic)]
        if mentioned and procedure is None and names_something(mentioned):
            return [*show_menu(dispatcher, tracker, UNKNOWN), SlotSet("topic", topic)]
        procedure = procedure or catalog().get(tracker.get_slot("procedure") or "")
        said = tracker.latest_message.get("text") or ""
        if topic == "status" and procedure is not None and procedure.problems_described(said):
            topic = "problems"  # "no me ha llegado el pago": the catalog knows what to do
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
