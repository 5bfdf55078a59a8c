"""The procedure resolver: an NLU component that reads every message beside the intent.

DIET guesses the intent from a few thousand examples; the catalog knows every name
and alias of every procedure. When a message names a procedure, the assistant must
answer about it, whatever intent DIET picked: a long greeting that asks about the
passport in its middle is not a greeting. So this component, last in the pipeline:

- marks the procedure the message names (the catalog's typo-tolerant matcher) as the
  `procedure` entity, where DIET found none or one the catalog does not know;
- turns an intent that would ignore a named procedure (fallback, out of scope, small
  talk) into the question the words show (cost, requirements, a problem…), or into
  "tell me about it" when they show none;
- with no procedure named: a message of only question marks is a miss; insults and
  "páseme a alguien de verdad" ask for a person; an age or a school with a relative
  asks what programmes apply.

A message the training data holds reads as its trainers labelled it: the rules are
for words nobody has labelled, and must never undo a trainer's fix ("ya cayó la beca
de los de secundaria?" asks whether it was paid, though it names a school). The
labels are learnt with the model, so a retrain is all a fix needs.

What DIET said is kept under `resolver` in the parse, for trainers.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.catalog import Catalog, Procedure, catalog, names_something, words
from actions.frustration import is_frustrated, lost, wants_a_person
from actions.situation import read_situation
from actions.topics import topic_of

logger = logging.getLogger(__name__)

FALLBACK = "nlu_fallback"
LABELS_FILE = "labels.json"
ABOUT_A_PROCEDURE = {
    "ask_what",
    "ask_requirements",
    "ask_cost",
    "ask_where",
    "ask_duration",
    "ask_status",
    "inform_procedure",
    "report_problem",
    "ask_eligibility",
}
# The citizen asked for something the named procedure does not change.
RESPECTED = {"human_handoff", "complaint", "ask_case_status", "change_language"}
# ...when their words say so: "quiero información de teléfono de atención" asks for
# the phone lines, not for a person or to complain, whatever DIET made of it. Word
# beginnings, so "quejarme" and "asesora" count.
ASKS_FOR = {
    "human_handoff": (
        "agente",
        "persona",
        "asesor",
        "human",
        "alguien",
        "operador",
        "ejecutiv",
        "agent",
        "person",
        "someone",
        "somebody",
        "representative",
        "operator",
    ),
    "complaint": (
        "queja",
        "quej",
        "reclam",
        "denunci",
        "groser",
        "maltrat",
        "trataron",
        "corrup",
        "mordida",
        "dinero",
        "cobrar",
        "cobraron",
        "plantad",
        "esperar",
        "nadie",
        "complain",
        "rude",
        "bribe",
        "mistreat",
    ),
    "ask_case_status": ("folio", "caso", "cab", "reporte", "ticket", "case"),
}
INTENT_OF_TOPIC = {
    "problems": "report_problem",
    "status": "ask_status",
    "cost": "ask_cost",
    "requirements": "ask_requirements",
    "duration": "ask_duration",
    "where": "ask_where",
}


# "4", "la 2", "opción 10": an answer to the last numbered menu, whatever DIET makes
# of a digit it may never have seen in training.
MENU_NUMBER = re.compile(
    r"^\s*(?:(?:opci[oó]n|n[uú]mero|el|la|option|number|the)\s*){0,2}\d{1,2}\s*[.)]?\s*$", re.I
)


def reconsider(
    text: str, intent: str | None, ranking: list[dict[str, Any]], names_a_procedure: bool
) -> str | None:
    """The intent this message should have instead of ``intent``; None to keep it."""
    if MENU_NUMBER.match(text):
        return "select_option" if intent != "select_option" else None
    if lost(text):
        return FALLBACK if intent != FALLBACK else None
    if names_a_procedure:
        said = words(text)
        unfounded = (
            intent in ASKS_FOR
            and not any(word.startswith(ASKS_FOR[intent]) for word in said)
            and not is_frustrated(text)
        )
        if not unfounded and (intent in ABOUT_A_PROCEDURE or intent in RESPECTED):
            return None
        topic = topic_of(text)
        if topic is not None:
            return INTENT_OF_TOPIC[topic]
        ranked = [r["name"] for r in ranking if r.get("name") in ABOUT_A_PROCEDURE]
        if (intent == FALLBACK or unfounded) and ranked:
            return ranked[0]  # DIET's best guess among questions about a procedure
        return "inform_procedure"
    if intent in RESPECTED:
        return None
    angry = wants_a_person(text) if intent == "bot_challenge" else is_frustrated(text)
    if angry:
        return "human_handoff"
    if intent != "ask_eligibility" and read_situation(text).known:
        return "ask_eligibility"
    return None


def labelled(examples: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The intent of each training text, by its words; a text labelled two ways is left
    out (`rasa data validate` reports it), so neither label wins by file order."""
    seen: dict[str, set[str]] = {}
    for text, intent in examples:
        key = " ".join(words(text))
        if key and intent:
            seen.setdefault(key, set()).add(intent)
    return {key: next(iter(intents)) for key, intents in seen.items() if len(intents) == 1}


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
    ],
    is_trainable=True,
)
class ProcedureResolver(GraphComponent):
    """See the module's docstring. Reads the catalog at start-up; learns only which
    intent each training text was labelled with."""

    def __init__(
        self,
        config: dict[str, Any],
        procedures: Catalog | None = None,
        labels: dict[str, str] | None = None,
        model_storage: ModelStorage | None = None,
        resource: Resource | None = None,
    ) -> None:
        self.config = config
        self._catalog = procedures
        self._labels = labels or {}
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ProcedureResolver:
        return cls(config, model_storage=model_storage, resource=resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ProcedureResolver:
        labels: dict[str, str] = {}
        try:
            with model_storage.read_from(resource) as directory:
                labels = json.loads((directory / LABELS_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            # A model trained before the resolver learnt labels: the rules alone, as then.
            logger.warning("This model holds no training labels for the procedure resolver.")
        return cls(config, labels=labels, model_storage=model_storage, resource=resource)

    def train(self, training_data: TrainingData) -> Resource:
        if self._model_storage is None or self._resource is None:
            raise RuntimeError("train() needs the model storage create() was given")
        self._labels = labelled(
            (example.get("text") or "", example.get("intent") or "")
            for example in training_data.intent_examples
        )
        with self._model_storage.write_to(self._resource) as directory:
            (directory / LABELS_FILE).write_text(
                json.dumps(self._labels, ensure_ascii=False, sort_keys=True), encoding="utf-8"
            )
        return self._resource

    @property
    def catalog(self) -> Catalog:
        return self._catalog or catalog()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._resolve(message)
        return messages

    def _resolve(self, message: Message) -> None:
        text = message.get("text") or ""
        if not text:
            return
        intent = message.get("intent") or {}
        ranking = message.get("intent_ranking") or []
        subject = self._subject(message, text, intent.get("name"))
        taught = self._labels.get(" ".join(words(text)))
        if taught is not None:
            better = taught if taught != intent.get("name") else None
        else:
            better = reconsider(text, intent.get("name"), ranking, subject is not None)
        if better is None:
            return
        confidence = next(
            (r.get("confidence") for r in ranking if r.get("name") == better),
            intent.get("confidence"),
        )
        message.set(
            "resolver", {"intent": intent.get("name"), "became": better}, add_to_output=True
        )
        message.set("intent", {"name": better, "confidence": confidence}, add_to_output=True)

    def _subject(self, message: Message, text: str, intent: str | None) -> str | None:
        """The procedure the message is about, put first among its `procedure` entities
        (the one the actions read); None when it names none."""
        entities = list(message.get("entities") or [])
        # DIET sometimes marks a lone "de" as a procedure: words that name nothing go.
        entities = [
            e
            for e in entities
            if e.get("entity") != "procedure" or names_something(str(e.get("value")))
        ]
        marked = [e for e in entities if e.get("entity") == "procedure"]
        others = [e for e in entities if e.get("entity") != "procedure"]
        mentions = self.catalog.mentions(text)
        if mentions:
            problem = intent == "report_problem" or topic_of(text) == "problems"
            chosen = self.catalog.subject(mentions, problem, text)
            slug, span = chosen.procedure.slug, (chosen.text_start, chosen.text_end)
        else:
            # A name the catalog does not spell out: what DIET marked, if it resolves or
            # its words point to one procedure alone ("la tarjeta de la beca").
            slug, span = None, (0, 0)
            for entity in marked:
                guesses = self._guesses(str(entity.get("value")), text)
                if len(guesses) == 1:
                    slug, span = guesses[0].slug, (entity.get("start", 0), entity.get("end", 0))
                    break
        if slug is None:
            if len(entities) != len(message.get("entities") or []):
                message.set("entities", entities, add_to_output=True)
            return None
        # The actions read the first `procedure` entity. DIET's own stays first where it
        # agrees, and DIET's others stay too: `rasa test nlu` scores DIET on its own.
        agreeing = next((e for e in marked if self._means(e, slug)), None)
        first = (
            {**agreeing, "value": slug}
            if agreeing
            else {
                "entity": "procedure",
                "value": slug,
                "start": span[0],
                "end": span[1],
                "confidence_entity": 1.0,
                "extractor": type(self).__name__,
            }
        )
        updated = [first, *(e for e in marked if e is not agreeing), *others]
        if updated != entities:
            message.set("entities", updated, add_to_output=True)
        return slug

    def _means(self, entity: dict[str, Any], slug: str) -> bool:
        guesses = self._guesses(str(entity.get("value")), "")
        return [p.slug for p in guesses] == [slug]

    def _guesses(self, value: str, text: str) -> list[Procedure]:
        """What DIET's words may name: the catalog's resolution, else the procedures its
        words belong to, narrowed by the rest of the message where they tie."""
        found = self.catalog.resolve(value)
        if found is not None:
            return [found]
        guesses = self.catalog.candidates(value)
        if len(guesses) > 1 and text:
            narrowed = [p for p in self.catalog.candidates(text) if p in guesses]
            guesses = narrowed or guesses
        return guesses
