"""Reviewed examples written back into the Rasa NLU data (issue 9, the trainers' loop).

A trainer confirms what a citizen meant; this module turns that into a line of Rasa 3.x
NLU YAML. One message in five (chosen by a hash of its words, so every reviewer picks
the same side) goes to the held-out test set instead, so that set grows with real
phrasing and never leaks into training. Everything else goes to
``data/nlu/reviewed/<intent>.yml``.

Files are edited with ruamel.yaml's round trip, and a write is kept only if the file
gained lines and lost or changed none: comments, key order, the literal ``|`` blocks and
the indentation people chose survive. Each file is replaced atomically. The checks here
are what ``rasa data validate`` and the NLU reader would otherwise trip on, because Rasa
does not run inside the desk.

Pure functions over a repository root: no Flask, no database. Writes are not locked
against each other; the caller runs them one at a time.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from desk.files import write_atomically

NLU_VERSION = "3.1"
TRAINING_DIR = Path("data/nlu")
REVIEWED_DIR = TRAINING_DIR / "reviewed"
TEST_SET = Path("tests/nlu/test_nlu.yml")
HELD_OUT_DIR = Path("tests/nlu")
DOMAIN_DIR = Path("bot/domain")
HELD_OUT_ONE_IN = 5

# Rasa's own intents: predicted by its policies and components, never from examples.
NOT_TRAINABLE = frozenset({"nlu_fallback", "restart", "back", "session_start"})


def N_(text: str) -> str:
    """Marks a msgid for extraction; the desk translates a reason when it shows it."""
    return text


# What a trainer reads when an example is refused. The desk shows `code` to machines,
# and translates the reason with its values (desk.training.reasons).
REASONS = {
    "empty": N_("El ejemplo no tiene palabras."),
    "multiline": N_("El ejemplo tiene varias líneas; cada ejemplo de Rasa es una sola línea."),
    "padded": N_("El ejemplo empieza o termina con espacios; quítalos antes de anotar."),
    "invisible": N_("El ejemplo tiene caracteres invisibles o de control (tabulador, etc.)."),
    "brackets": N_(
        "El ejemplo tiene corchetes [ ]: Rasa los leería como una anotación de entidad. "
        "Quítalos del texto."
    ),
    "command": N_("El ejemplo empieza con «/»: Rasa lo tomaría como un intent escrito a mano."),
    "not_trainable": N_("«%(intent)s» lo asigna Rasa por sí mismo; no se entrena con ejemplos."),
    "unknown_intent": N_("El intent «%(intent)s» no está en el dominio (bot/domain)."),
    "unknown_entity": N_("La entidad «%(entity)s» no está en el dominio (bot/domain)."),
    "span_range": N_("La anotación %(start)s–%(end)s está vacía o fuera del texto."),
    "span_spaces": N_("La anotación «%(span)s» empieza o termina con espacio."),
    "span_word": N_("La anotación «%(span)s» corta una palabra; debe abarcar palabras completas."),
    "span_overlap": N_("Las anotaciones «%(first)s» y «%(second)s» se enciman."),
    "value": N_(
        "El valor «%(value)s» de la entidad no puede estar vacío ni llevar llaves o saltos."
    ),
    "unwritable": N_("No se pudo escribir %(path)s sin alterar lo que ya tenía: %(detail)s"),
}

# Rasa 3.6's rasa.shared.nlu.training_data.entities_parser.ENTITY_REGEX, verbatim, so an
# annotated line is read here exactly as Rasa reads it.
ENTITY_REGEX = re.compile(
    r"\[(?P<entity_text>[^\]]+?)\](\((?P<entity>[^:)]+?)(?:\:(?P<value>[^)]+))?\)"
    r"|\{(?P<entity_dict>[^}]+?)\}|\[(?P<list_entity_dicts>.*?)\])"
)
# actions.catalog.spans(): the leak guard in tests/nlu/test_held_out.py compares these words.
_TOKEN = re.compile(r"[^\W_]+")
_WORD = re.compile(r"[a-z0-9]+")
_FIRST_ITEM = re.compile(r"^( *)- (?:intent|synonym|regex|lookup):", re.MULTILINE)
# Characters YAML treats as line breaks besides \n and \r.
_YAML_BREAKS = frozenset("\x85\u2028\u2029")

NEW_FILE_HEADER = (
    "# Written by the desk's review inbox (desk/training/nlu_data.py): examples that\n"
    "# trainers confirmed from real conversations. New lines are appended under their\n"
    "# intent; hand edits and comments are kept.\n"
)
NEW_FILE = f'{NEW_FILE_HEADER}version: "{NLU_VERSION}"\n\nnlu:\n'


class Refused(Exception):
    """An example that must not be written, with the reason a trainer reads."""

    def __init__(self, code: str, **details: object) -> None:
        self.code = code
        self.reason = REASONS[code] % details if details else REASONS[code]
        super().__init__(self.reason)


@dataclass(frozen=True)
class Span:
    """Characters ``start:end`` of the text are an ``entity``; ``value`` when normalized."""

    start: int
    end: int
    entity: str
    value: str | None = None


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Domain:
    intents: frozenset[str]
    entities: frozenset[str]


@dataclass(frozen=True)
class Placement:
    example: Example
    path: Path  # relative to the repository root
    held_out: bool


@dataclass(frozen=True)
class Duplicate:
    example: Example
    found_in: str  # the file (relative) that already holds the same words


@dataclass(frozen=True)
class Refusal:
    example: Example
    code: str
    reason: str


@dataclass
class WriteResult:
    """What a write did; ``before`` holds the touched files' old text (None: new file)."""

    root: Path
    placed: list[Placement] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    before: dict[Path, str | None] = field(default_factory=dict)

    def patch(self) -> str:
        return patch(self.root, self.before)


def annotated(example: Example) -> str:
    """The example as a Rasa line: ``[span](entity)``, or the JSON form with a value."""
    parts, cursor = [], 0
    for span in sorted(example.entities, key=lambda s: s.start):
        words = example.text[span.start : span.end]
        parts.append(example.text[cursor : span.start])
        if span.value is None or span.value == words:
            parts.append(f"[{words}]({span.entity})")
        else:
            attributes = {"entity": span.entity, "value": span.value}
            parts.append(f"[{words}]{json.dumps(attributes, ensure_ascii=False)}")
        cursor = span.end
    parts.append(example.text[cursor:])
    return "".join(parts)


def parse(line: str, intent: str) -> Example:
    """An annotated Rasa line back into an example (the inverse of ``annotated``)."""
    text, spans, cursor = [], [], 0
    length = 0
    for match in ENTITY_REGEX.finditer(line):
        before = line[cursor : match.start()]
        text.append(before)
        length += len(before)
        words = match.group("entity_text")
        entity, value = match.group("entity"), match.group("value")
        if match.group("entity_dict"):
            attributes = json.loads("{" + match.group("entity_dict") + "}")
            entity, value = attributes["entity"], attributes.get("value")
        spans.append(Span(length, length + len(words), entity or "", value))
        text.append(words)
        length += len(words)
        cursor = match.end()
    text.append(line[cursor:])
    return Example("".join(text), intent, tuple(spans))


def plain(line: str) -> str:
    """An annotated line with the annotations dropped, as Rasa trains on it."""
    return ENTITY_REGEX.sub(lambda match: match.group("entity_text"), line)


def normalize(text: str) -> str:
    """The words of a message, lower case, without accents or punctuation.

    The same folding as the leak guard (actions.catalog.spans), so an example this module
    calls new never trips that guard. "ñ" folds to "n": on phone keyboards "ano" is how
    "año" is typed, and the char n-gram featurizer learns nothing new from the pair.
    """
    found = []
    for token in _TOKEN.finditer(plain(text)):
        folded = unicodedata.normalize("NFKD", token.group().lower())
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
        found.extend(_WORD.findall(folded))
    return " ".join(found)


def held_out(example: Example) -> bool:
    """Whether the example belongs to the test set: one in five, by a hash of its words.

    Only the words count (not the intent or who reviewed it), so the same message lands
    on the same side every time.
    """
    digest = hashlib.sha256(normalize(example.text).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % HELD_OUT_ONE_IN == 0


def load_domain(root: Path) -> Domain:
    intents: set[str] = set()
    entities: set[str] = set()
    for path in sorted((root / DOMAIN_DIR).glob("*.yml")):
        document = _read_yaml(path) or {}
        intents.update(_names(document.get("intents")))
        entities.update(_names(document.get("entities")))
    return Domain(frozenset(intents), frozenset(entities))


def known_examples(root: Path) -> dict[str, str]:
    """Normalized text → the file (relative) holding it, over training and held-out data.

    Training data is every intent example under data/nlu/; held-out data is the Rasa
    test set and the hard sets (a ``messages`` list with ``text`` and ``before``).
    """
    known: dict[str, str] = {}
    paths = sorted((root / TRAINING_DIR).rglob("*.yml")) + sorted(
        (root / HELD_OUT_DIR).glob("*.yml")
    )
    for path in paths:
        document = _read_yaml(path)
        where = path.relative_to(root).as_posix()
        for text in _texts(document if isinstance(document, dict) else {}):
            known.setdefault(normalize(text), where)
    known.pop("", None)
    return known


def check(example: Example, domain: Domain) -> None:
    """Raise Refused if the example would not be read back as written, or break validation."""
    text = example.text
    if any(ch in "\n\r" or ch in _YAML_BREAKS for ch in text):
        raise Refused("multiline")
    if text != text.strip():
        raise Refused("padded")
    # Tabs and control characters stop ruamel from keeping the literal block style:
    # the whole block would be rewritten as one quoted string.
    if any(unicodedata.category(ch) in {"Cc", "Cs"} or ch == "\ufeff" for ch in text):
        raise Refused("invisible")
    if not normalize(text):
        raise Refused("empty")
    # An annotation always opens with "[": without one, "(", ")", "{" and "}" are read
    # as plain text (":)" is common and harmless), so only brackets are refused.
    if "[" in text or "]" in text:
        raise Refused("brackets")
    if text.startswith("/"):
        raise Refused("command")
    if example.intent in NOT_TRAINABLE:
        raise Refused("not_trainable", intent=example.intent)
    if example.intent not in domain.intents:
        raise Refused("unknown_intent", intent=example.intent)
    _check_spans(example, domain)


def write(examples: Iterable[Example], root: Path) -> WriteResult:
    """Write confirmed examples where they belong; refuse or skip each one on its own.

    A refused example changes nothing and does not stop the others.
    """
    domain = load_domain(root)
    known = known_examples(root)
    result = WriteResult(root=root)
    by_file: dict[Path, list[Placement]] = {}
    for example in examples:
        try:
            check(example, domain)
        except Refused as refusal:
            result.refused.append(Refusal(example, refusal.code, refusal.reason))
            continue
        key = normalize(example.text)
        if key in known:
            result.duplicates.append(Duplicate(example, known[key]))
            continue
        out = held_out(example)
        target = TEST_SET if out else REVIEWED_DIR / f"{example.intent}.yml"
        known[key] = target.as_posix()
        by_file.setdefault(target, []).append(Placement(example, target, out))
    for target, placements in by_file.items():
        path = root / target
        before = _text_of(path)
        try:
            after = _appended(before, placements)
        except Refused as refusal:
            result.refused.extend(
                Refusal(p.example, refusal.code, refusal.reason) for p in placements
            )
            continue
        write_atomically(path, after)
        result.before[path] = before
        result.placed.extend(placements)
    return result


def snapshot(root: Path) -> dict[Path, str | None]:
    """Every file a write may touch, with its text (None: not there yet): a baseline for
    ``patch`` that also covers the reviewed files of intents not written so far."""
    targets = [TEST_SET] + [REVIEWED_DIR / f"{i}.yml" for i in sorted(load_domain(root).intents)]
    return {root / target: _text_of(root / target) for target in targets}


def patch(root: Path, before: Mapping[Path, str | None]) -> str:
    """A unified diff (for ``git apply`` or ``patch -p1``) from ``before`` to the files now."""
    chunks = []
    for path in sorted(before):
        old, new = before[path], _text_of(path)
        if old == new:
            continue
        name = path.relative_to(root).as_posix()
        lines = difflib.unified_diff(
            _lines(old),
            _lines(new),
            fromfile=f"a/{name}" if old is not None else "/dev/null",
            tofile=f"b/{name}" if new is not None else "/dev/null",
        )
        chunks.append("".join(lines))
    return "".join(chunks)


def _text_of(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


def _lines(text: str | None) -> list[str]:
    lines = (text or "").splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def _check_spans(example: Example, domain: Domain) -> None:
    text = example.text
    previous: Span | None = None
    for span in sorted(example.entities, key=lambda s: s.start):
        if not 0 <= span.start < span.end <= len(text):
            raise Refused("span_range", start=span.start, end=span.end)
        words = text[span.start : span.end]
        if words != words.strip():
            raise Refused("span_spaces", span=words)
        if text[span.start - 1 : span.start].isalnum() or text[span.end : span.end + 1].isalnum():
            # Rasa's tokenizer would not align the entity with whole tokens.
            raise Refused("span_word", span=words)
        if previous is not None and span.start < previous.end:
            raise Refused(
                "span_overlap",
                first=text[previous.start : previous.end],
                second=words,
            )
        if span.entity not in domain.entities:
            raise Refused("unknown_entity", entity=span.entity)
        value = span.value
        if value is not None and (not value.strip() or any(ch in value for ch in "{}\n\r")):
            raise Refused("value", value=value)
        previous = span


def _appended(before: str | None, placements: list[Placement]) -> str:
    """The file's text with the examples appended under their intents, or Refused."""
    name = placements[0].path.as_posix()
    source = before if before is not None else NEW_FILE
    editor = _editor(source)
    document = editor.load(source)
    if not isinstance(document, CommentedMap):
        raise Refused("unwritable", path=name, detail="no es un archivo NLU de Rasa")
    if document.get("nlu") is None:
        document["nlu"] = CommentedSeq()
    blocks = document["nlu"]
    for placement in placements:
        _append(blocks, placement.example, name)
    buffer = io.StringIO()
    editor.dump(document, buffer)
    after = buffer.getvalue()
    _verify(before or "", after, placements, name)
    return after


def _append(blocks: CommentedSeq, example: Example, name: str) -> None:
    line = f"- {annotated(example)}\n"
    for block in blocks:
        if isinstance(block, dict) and block.get("intent") == example.intent:
            examples = block.get("examples")
            if not isinstance(examples, str):
                raise Refused("unwritable", path=name, detail="ejemplos que no son un bloque |")
            if examples and not examples.endswith("\n"):
                # A "|-" block: a new last line without its break keeps the "|-".
                line = "\n" + line.rstrip("\n")
            block["examples"] = LiteralScalarString(examples + line)
            return
    block = CommentedMap(intent=example.intent, examples=LiteralScalarString(line))
    blocks.append(block)
    if len(blocks) > 1:
        # A blank line between intent blocks, as in every file of data/nlu.
        blocks.yaml_set_comment_before_after_key(len(blocks) - 1, before="\n")


def _verify(before: str, after: str, placements: list[Placement], name: str) -> None:
    """Refuse unless the old text survives whole and Rasa would read the new examples."""
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    if any(tag != "equal" and tag != "insert" for tag, *_ in matcher.get_opcodes()):
        raise Refused("unwritable", path=name, detail="cambiarían líneas existentes")
    document = yaml.load(after, Loader=_SafeLoader)
    found = {
        (block["intent"], _clean(line))
        for block in document["nlu"]
        if isinstance(block, dict) and "intent" in block
        for line in _example_lines(block.get("examples"))
    }
    for placement in placements:
        example = placement.example
        if (example.intent, annotated(example)) not in found:
            raise Refused("unwritable", path=name, detail=f"Rasa no leería «{example.text}»")


def _editor(text: str) -> YAML:
    """A round-trip YAML that writes lists the way this file already indents them."""
    first = _FIRST_ITEM.search(text)
    offset = len(first.group(1)) if first else 2
    editor = YAML()
    editor.preserve_quotes = True
    editor.width = 4096  # never fold a long line
    editor.indent(mapping=2, sequence=offset + 2, offset=offset)
    return editor


_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)


def _names(entries: object) -> Iterable[str]:
    # Domain lists hold names, or one-key mappings for a name with options.
    for entry in entries or []:
        if isinstance(entry, dict):
            yield from (str(key) for key in entry)
        else:
            yield str(entry)


def _texts(document: dict[str, Any]) -> Iterable[str]:
    for block in document.get("nlu") or []:
        if isinstance(block, dict) and "intent" in block:
            yield from (_clean(line) for line in _example_lines(block.get("examples")))
    for message in document.get("messages") or []:
        yield from [message.get("text") or "", *(message.get("before") or [])]


def _example_lines(examples: object) -> Iterable[str]:
    # The "examples: |" block, or the list form with metadata (- text: ...).
    if isinstance(examples, str):
        yield from (line for line in examples.splitlines() if line.startswith("-"))
    elif isinstance(examples, list):
        yield from ("- " + str(item.get("text", "")) for item in examples if isinstance(item, dict))


def _clean(line: str) -> str:
    # Rasa: drop the leading "-", then strip spaces and line breaks.
    return line[1:].strip("\n\r ")
