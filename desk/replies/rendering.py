"""Filling canned replies and WhatsApp templates with the case's own words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from desk.models import Agent, CannedReply, Case, WhatsAppTemplate

# What the desk fills by itself, in canned replies ({nombre}) and template variables.
AUTOMATIC = ("nombre", "folio", "agente")
PLACEHOLDER = re.compile(r"\{(nombre|folio|agente)\}")
NUMBERED = re.compile(r"\{\{\s*(\d+)\s*\}\}")
# WhatsApp refuses the whole message when a parameter has a new line or a tab, or
# more than four spaces in a row (Meta's error 132018), and a body past 1,024
# characters once filled (Twilio 63021).
BAD_PARAMETER = re.compile(r"[\n\r\t]| {5,}")
TEMPLATE_MAX = 1024


def values_for(case: Case, agent: Agent | None) -> dict[str, str]:
    """What {nombre}, {folio} and {agente} stand for in this case (spaces collapsed:
    a WhatsApp parameter may not hold a new line or a run of spaces)."""
    return {
        "nombre": " ".join((case.conversation.profile_name or "").split()),
        "folio": case.folio,
        "agente": " ".join(agent.name.split()) if agent else "",
    }


def canned_text(reply: CannedReply, case: Case, agent: Agent | None) -> str:
    """The reply in the conversation's language (Spanish when there is no English),
    filled for ``case``; a placeholder with nothing to say leaves no gap behind."""
    english = case.conversation.language == "en" and reply.body_en.strip()
    text = reply.body_en if english else reply.body_es
    values = values_for(case, agent)
    filled = PLACEHOLDER.sub(lambda match: values[match.group(1)], text)
    return "\n".join(_tidy(line) for line in filled.strip().splitlines())


def _tidy(line: str) -> str:
    """ "Hola ," → "Hola,"; "Gracias, ." → "Gracias."; ", tu folio" → "tu folio"."""
    line = re.sub(r"[ \t]+([,.;:!?])", r"\1", line)
    line = re.sub(r"[,;:](?=[,.;:!?])", "", line)
    line = re.sub(r"([¡¿])[ \t]+", r"\1", line)
    line = re.sub(r"^[ \t]*[,.;:][ \t]*", "", line)
    return re.sub(r"[ \t]{2,}", " ", line).strip()


def folded(text: str) -> str:
    """Lower case without accents: "Trámite" finds "tramite" and the other way round."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_canned(replies: Iterable[CannedReply], query: str, limit: int = 8) -> list[CannedReply]:
    """Active replies whose shortcut, title or text holds every word of ``query``:
    shortcuts that start with it first, then titles, then the rest, each by shortcut."""
    words = folded(query.strip().lstrip("/")).split()
    found: list[tuple[int, str, CannedReply]] = []
    for reply in replies:
        if not reply.active:
            continue
        shortcut, title = folded(reply.shortcut), folded(reply.title)
        haystack = " ".join((shortcut, title, folded(reply.body_es), folded(reply.body_en)))
        if not all(word in haystack for word in words):
            continue
        if words and shortcut.startswith(words[0]):
            rank = 0
        elif all(word in f"{shortcut} {title}" for word in words):
            rank = 1
        else:
            rank = 2
        found.append((rank, reply.shortcut, reply))
    return [reply for _, _, reply in sorted(found, key=lambda item: item[:2])][:limit]


class TemplateError(ValueError):
    """A template cannot be sent with these values; ``variable`` names the culprit."""

    def __init__(self, message: str, variable: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable


class MissingVariable(TemplateError):
    """A template variable has no value; WhatsApp refuses empty parameters."""


@dataclass(frozen=True)
class Field:
    """A variable the agent types in: a free label, or nombre when the citizen gave
    no name. ``position`` is its first {{n}}, which names the form input."""

    position: int
    name: str


def fields_of(template: WhatsAppTemplate, case: Case, agent: Agent | None) -> list[Field]:
    """The inputs the composer shows for ``template``, one per variable name."""
    automatic = values_for(case, agent)
    fields: list[Field] = []
    for position, name in enumerate(template.variables, start=1):
        if automatic.get(name) or any(field.name == name for field in fields):
            continue
        fields.append(Field(position, name))
    return fields


def template_message(
    template: WhatsAppTemplate, case: Case, agent: Agent | None, extra: dict[str, str] | None = None
) -> tuple[str, dict[str, str]]:
    """(the text the citizen will read, Twilio's content_variables) for ``template``.

    Each numbered variable holds what ``template.variables`` names: nombre, folio,
    agente, or a free field the agent filled in (``extra``, by name). The desk's own
    values win; ``extra`` only fills those it lacks (a citizen without a name).
    """
    automatic = values_for(case, agent)
    given = extra or {}
    variables: dict[str, str] = {}
    for position, name in enumerate(template.variables, start=1):
        value = (automatic.get(name) or given.get(name) or "").strip()
        if not value:
            raise MissingVariable(
                f"Falta «{name}» para la plantilla {template.name}.", variable=name
            )
        if BAD_PARAMETER.search(value):
            raise TemplateError(
                f"«{name}» no puede llevar saltos de línea, tabuladores ni más de cuatro "
                "espacios seguidos (WhatsApp lo rechaza).",
                variable=name,
            )
        variables[str(position)] = value
    text = NUMBERED.sub(lambda match: variables.get(match.group(1), match.group(0)), template.body)
    if len(text) > TEMPLATE_MAX:
        raise TemplateError(
            f"La plantilla con sus datos pasa de {TEMPLATE_MAX:,} caracteres ({len(text):,})."
        )
    return text, variables


def template_preview(
    template: WhatsAppTemplate,
    case: Case,
    agent: Agent | None,
    typed: dict[str, str] | None = None,
) -> str:
    """The template as the citizen would read it; a field the agent has not filled
    yet shows as «[name]». composer.js's fillTemplate does the same as they type."""
    automatic = values_for(case, agent)
    names = list(template.variables)
    typed = typed or {}

    def fill(match: re.Match[str]) -> str:
        position = int(match.group(1))
        if not 1 <= position <= len(names):
            return match.group(0)
        name = names[position - 1]
        return automatic.get(name) or typed.get(name, "").strip() or f"[{name}]"

    return NUMBERED.sub(fill, template.body)


def numbered_placeholders(body: str) -> list[int]:
    """The distinct {{n}} in ``body``, in increasing order."""
    return sorted({int(number) for number in NUMBERED.findall(body)})
