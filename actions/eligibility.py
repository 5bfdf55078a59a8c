"""What applies to me, or to my relative: "mi suegra va a cumplir 64, ¿a qué tiene
derecho?". Every programme that fits the people the message names (actions/situation.py),
checked against the catalog's `eligibility` rules, or plainly none.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import answers
from actions.catalog import Procedure, catalog
from actions.channel import channel, send
from actions.language import current
from actions.procedures import WHICH_OF, answer_about, meant, show_menu
from actions.situation import YES, Person, Situation, fits, read_situation, ruled_out
from actions.topics import topic_of

TEXT = {
    "es": {
        "fits": "{name}: le corresponde a {who}{facts}. {description}",
        "fits_self": "{name}: te corresponde{facts}. {description}",
        "if_woman": "{name}: si es mujer, le corresponde{facts}. {description}",
        "if_woman_self": "{name}: si eres mujer, te corresponde{facts}. {description}",
        "soon": "{name}: le corresponderá a {who} al cumplir {age}. {description}",
        "soon_self": "{name}: te corresponderá al cumplir {age}. {description}",
        "none": "Con lo que me cuentas{facts}, ninguno de los programas del Bienestar que "
        "conozco {who_dative} corresponde por ahora.",
        "none_hint": "Las pensiones son para mujeres de 60 a 64 años y para toda persona "
        "desde los 65; la beca, para estudiantes de bachillerato público.",
        "named_not": "{name}: {audience}",
        "ask": "Para decirte qué programas le corresponden, dime su edad y, si estudia, en "
        "qué nivel. Por ejemplo: «mi mamá tiene 63» o «mi hijo está en la prepa».",
        "years": " ({age} años)",
        "which_age": "¿Qué edad tiene? Así te digo cuál le corresponde.",
        "person": "¿Prefieres que te atienda una persona? Escribe «agente».",
    },
    "en": {
        "fits": "{name}: {who} qualifies{facts}. {description}",
        "fits_self": "{name}: you qualify{facts}. {description}",
        "if_woman": "{name}: if she is a woman, she qualifies{facts}. {description}",
        "if_woman_self": "{name}: if you are a woman, you qualify{facts}. {description}",
        "soon": "{name}: {who} will qualify at {age}. {description}",
        "soon_self": "{name}: you will qualify at {age}. {description}",
        "none": "From what you tell me{facts}, none of the Bienestar programmes I know "
        "applies {who_object} for now.",
        "none_hint": "The pensions are for women aged 60 to 64 and for everyone from 65; "
        "the grant, for public high-school students.",
        "named_not": "{name}: {audience}",
        "ask": "To tell you which programmes apply, tell me their age and, if they study, "
        'at what level. For example: "my mom is 63" or "my son is in high school".',
        "years": " (aged {age})",
        "which_age": "How old are they? Then I can tell you which one applies.",
        "person": 'Would you rather talk to a person? Write "agent".',
    },
}


def eligibility_answer(
    text: str, language: str, channel: str, named: Procedure | None = None
) -> tuple[answers.Answer, Procedure | None]:
    """The answer, and the programme the conversation is now about (for follow-ups).
    Each programme is named first on its line: in full, or short on SMS."""
    words_ = TEXT[language]

    def name(programme: Procedure) -> str:
        short = channel == "sms"
        return programme.short_name(language) if short else programme.name(language)

    situation = read_situation(text)
    if not situation.known:
        return answers.Answer([words_["ask"]]), None
    programmes = [p for p in catalog().procedures if p.eligibility is not None]
    lines: list[str] = []
    subject: Procedure | None = None
    if (
        named is not None
        and named.eligibility is not None
        and not any(fits(named, situation, person) for person in situation.people)
    ):
        audience = named.data["audience"][language]
        lines.append(words_["named_not"].format(name=name(named), audience=audience))
    for person in situation.people:
        facts = words_["years"].format(age=person.age) if person.age is not None else ""
        who = _who(person, situation, language)
        for programme in programmes:
            verdict = fits(programme, situation, person)
            soon = (
                verdict is None
                and person.turning is not None
                and fits(programme, situation, person, person.turning) == YES
            )
            if verdict is None and not soon:
                continue
            key = "soon" if soon else "fits" if verdict == YES else "if_woman"
            key += "_self" if situation.myself else ""
            lines.append(
                words_[key].format(
                    name=name(programme),
                    who=who,
                    facts=facts,
                    age=person.turning,
                    description=programme.data["description"][language],
                )
            )
            subject = subject or programme
    if subject is None and situation.elderly and not situation.aged:
        # "Mi papá ya es de la tercera edad": the programmes by age, and the question.
        for programme in programmes:
            rules = programme.eligibility or {}
            if (rules.get("age_min") or 0) >= 60 and not ruled_out(programme, situation):
                audience = programme.data["audience"][language]
                lines.append(words_["named_not"].format(name=name(programme), audience=audience))
                subject = subject or programme
        lines.append(words_["which_age"])
    if subject is None:
        people = [p for p in situation.people if p.age is not None]
        facts = words_["years"].format(age=people[0].age) if len(people) == 1 else ""
        lines.append(
            words_["none"].format(
                facts=facts,
                who_dative="te" if situation.myself else "le",
                who_object="to you" if situation.myself else "to them",
            )
        )
        lines += [words_["none_hint"], words_["person"]]
        return answers.Answer(lines), None
    lines.append(answers.TEXT[language]["topic_menu"])
    url = subject.official_url
    closing = answers.TEXT[language]["official"].format(url=url) if url else None
    return answers.Answer(lines, closing), subject


def _who(person: Person, situation: Situation, language: str) -> str:
    if situation.myself:
        return "ti" if language == "es" else "you"
    if person.relative:
        return person.relative[0 if language == "es" else 1]
    return "esa persona" if language == "es" else "they"


class ActionCheckEligibility(Action):
    """What applies to me, or to my relative. A question that names a document or a
    service ("¿puedo sacar el RFC siendo extranjero?") is answered about it, and one
    that names a programme without saying who asks gets who it is for."""

    def name(self) -> str:
        return "action_check_eligibility"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        named, several = meant(tracker)
        known = read_situation(text).known
        if named is not None and (named.eligibility is None or not known):
            topic = topic_of(text) if named.eligibility is None else None
            return answer_about(dispatcher, tracker, named, topic or "what")
        if several and not known:
            return show_menu(dispatcher, tracker, WHICH_OF, several)
        reply, subject = eligibility_answer(text, current(tracker), channel(tracker), named)
        send(dispatcher, tracker, reply)
        if subject is None:
            return [SlotSet("menu_context", None)]
        return [
            SlotSet("procedure", subject.slug),
            SlotSet("topic", None),
            SlotSet("menu_context", "topics"),
        ]
