"""The procedure catalog as trainers see and edit it: data/procedures/*.yml under the
desk's TRAINING_DATA_ROOT, the same files the retrain and the action server read.

An edit changes one section's texts (Spanish and English), its ``uncertain`` flag and
perhaps adds a source. It is applied to ruamel.yaml's round trip of the file, so
comments, key order and quoting stay as people wrote them and only the edited values
change; it is checked against ``schema.json`` before anything is written; and the file
is replaced atomically (a temporary file renamed over it), so the action server, which
reloads changed files by itself (actions/catalog.py), never reads half a file.

Pure functions over a repository root, except ``save``, which also records the audit
event in the caller's session.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString
from sqlalchemy.orm import Session

from desk.content import figures
from desk.files import write_atomically
from desk.models import Agent
from desk.services import audit

CATALOG_DIR = Path("data/procedures")
SCHEMA = "schema.json"
SLUG = re.compile(r"^[a-z][a-z_]*$")
# Sections shown on a procedure's page, in the order the bot's menu of topics follows.
SHOWN = ("description", "audience", "requirements", "cost", "where", "duration", "problems")
# Sections whose texts trainers edit here: each has sources and an `uncertain` flag.
# The others (phones, problems with their signs, aliases) stay with the content editors.
EDITABLE = ("requirements", "cost", "where", "duration")
LISTS = frozenset({"requirements"})
RELIABILITIES = ("oficial", "prensa", "tercero")
# A dated source names its date in the ref ("unotv 2025-08-21", "exafm 2024-08").
SOURCE_DATE = re.compile(r"\b(20\d{2})(?:-(\d{2}))?(?:-(\d{2}))?\b")


def N_(text: str) -> str:
    """Marks a msgid for extraction; the view translates it when it shows it."""
    return text


UNWRITABLE = N_(
    "Este archivo no se puede reescribir sin alterar otras partes; pide a quien mantiene "
    "el catálogo que lo revise."
)
NOT_ONE_TO_ONE = N_(
    "Español e inglés deben tener los mismos puntos, en el mismo orden: hay %(es)s en "
    "español y %(en)s en inglés."
)
TOO_LONG = N_("«%(where)s» pasa de %(limit)s caracteres.")
EMPTY = N_("«%(where)s» no puede quedar vacío.")
SCHEMA_BROKEN = N_("«%(where)s» no cumple el esquema del catálogo: %(detail)s")
LAST_SOURCE = N_(
    "La sección se quedaría sin fuentes: agrega la que la sustituye antes de quitar la última."
)
UNKNOWN_SOURCE = N_("La fuente «%(ref)s» ya no está en esta sección.")


class Refused(Exception):
    """The edit breaks the catalog's rules; nothing was written. ``reason`` is a msgid
    the view translates with ``params``."""

    def __init__(self, reason: str, **params: object) -> None:
        self.reason = reason
        self.params = params
        super().__init__(reason % params if params else reason)


class Stale(Exception):
    """The file changed since the trainer opened the form; nothing was written."""


class Unconfirmed(Exception):
    """New figures that no source backs: the trainer must confirm them and keep a source."""

    def __init__(self, figures: list[str], needs_source: bool) -> None:
        self.figures = figures
        self.needs_source = needs_source
        super().__init__(", ".join(figures))


@dataclass(frozen=True)
class Source:
    ref: str
    reliability: str
    url: str | None = None

    @property
    def date(self) -> str | None:
        """The date the ref names, as precise as it says (2025-08-21, 2024-08, 2026)."""
        found = SOURCE_DATE.search(self.ref)
        return found.group(0) if found else None


@dataclass(frozen=True)
class Section:
    name: str
    es: str | list[str]
    en: str | list[str]
    uncertain: bool | None  # None: the section has no flag (description, audience)
    sources: tuple[Source, ...] | None  # None: the section keeps no sources
    editable: bool
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.es, list)

    @property
    def newest(self) -> str | None:
        """The newest date among the section's sources."""
        dates = [s.date for s in self.sources or () if s.date]
        return max(dates) if dates else None


@dataclass(frozen=True)
class Procedure:
    slug: str
    menu_order: int
    agency: str
    names: dict[str, str]
    official_url: str | None
    checked_on: str | None
    version: str  # of the file's text: an edit made on an older version is refused
    sections: tuple[Section, ...]

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)


@dataclass(frozen=True)
class Edit:
    """What the trainer saves for one section; ``free`` and ``year`` only for cost."""

    es: str | list[str]
    en: str | list[str]
    uncertain: bool
    version: str
    source: Source | None = None
    # Refs of the section's sources to take out: a fee that changed makes the source that
    # gave the old one wrong, and it must not be shown as backing the new text.
    removed: tuple[str, ...] = ()
    free: bool | None = None
    year: int | None = None
    figures_confirmed: bool = False


@dataclass(frozen=True)
class Saved:
    changed: bool
    checked_on: str | None = None  # the new date, when the added source moved it


def folder(root: Path) -> Path:
    return root / CATALOG_DIR


def procedures(root: Path) -> list[Procedure]:
    """Every procedure of the catalog, in menu order."""
    found = [_procedure(path) for path in sorted(folder(root).glob("*.yml"))]
    return sorted(found, key=lambda p: p.menu_order)


def procedure(root: Path, slug: str) -> Procedure | None:
    path = _path(root, slug)
    return _procedure(path) if path is not None else None


def version_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def text_lines(text: str) -> list[str]:
    """A list section's textarea: one item per line, blank lines dropped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def one_line(text: str) -> str:
    """A text section's textarea: line breaks become spaces (the bot's texts are one line;
    it cuts SMS answers at lines itself)."""
    return re.sub(r"\s*[\r\n]+\s*", " ", text).strip()


def unsourced_figures(before: Section, edit: Edit) -> list[str]:
    """The figures of the edit's texts found neither in the section's previous texts nor
    in the source added with the edit (see desk/content/figures.py)."""
    known = [*_texts(before.es), *_texts(before.en)]
    if edit.source is not None:
        known += [edit.source.ref, edit.source.url or ""]
    return figures.unsourced([*_texts(edit.es), *_texts(edit.en)], known)


def save(session: Session, root: Path, slug: str, name: str, edit: Edit, *, editor: Agent) -> Saved:
    """Write ``edit`` into the section ``name`` of the procedure ``slug``, and record it.

    Raises Stale, Refused or Unconfirmed, having written and recorded nothing.
    """
    path = _path(root, slug)
    if path is None or name not in EDITABLE:
        raise LookupError(f"{slug}/{name}")
    with _one_writer(path.parent):
        before_text = path.read_text(encoding="utf-8")
        if version_of(before_text) != edit.version:
            raise Stale()
        old = yaml.safe_load(before_text)
        before = _section(name, old)
        after_text = _edited(before_text, name, edit)
        after = yaml.safe_load(after_text)
        _validate(root, after)
        _unchanged_elsewhere(old, after, name)
        flagged = unsourced_figures(before, edit)
        has_source = bool(after[name]["sources"])
        if flagged and not (edit.figures_confirmed and has_source):
            raise Unconfirmed(flagged, needs_source=not has_source)
        if after_text == before_text:
            return Saved(changed=False)
        old_date = old["checked_on"]
        audit.record(
            session,
            "catalog_section_edited",
            actor="agent",
            agent=editor,
            procedure=slug,
            section=name,
            before=_summary(before),
            after=_summary(_section(name, after)),
            source_added=edit.source.ref if edit.source else None,
            sources_removed=list(edit.removed),
            figures_confirmed=flagged,
            checked_on=[old_date, after["checked_on"]],
        )
        session.flush()
        write_atomically(path, after_text)
        session.commit()
    moved = after["checked_on"] if after["checked_on"] != old_date else None
    return Saved(changed=True, checked_on=moved)


# --- reading -------------------------------------------------------------------------


def _path(root: Path, slug: str) -> Path | None:
    """The procedure's file, only for a slug that names one (never a path of the caller's)."""
    if not SLUG.match(slug):
        return None
    path = folder(root) / f"{slug}.yml"
    return path if path.is_file() else None


def _procedure(path: Path) -> Procedure:
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return Procedure(
        slug=data["slug"],
        menu_order=data["menu_order"],
        agency=data["agency"],
        names=dict(data["names"]),
        official_url=data.get("official_url"),
        checked_on=data.get("checked_on"),
        version=version_of(text),
        sections=tuple(_section(name, data) for name in SHOWN if name in data),
    )


def _section(name: str, data: dict[str, Any]) -> Section:
    part = data[name]
    sources = None
    if "sources" in part:
        sources = tuple(
            Source(ref=s["ref"], reliability=s["reliability"], url=s.get("url"))
            for s in part["sources"]
        )
    details: dict[str, Any] = {}
    if name == "cost":
        details = {"free": part["free"], "year": part["year"]}
    elif name == "where":
        details = {"url": part["url"], "phones": part["phones"]}
    if name == "problems":
        items = part["items"]
        es: str | list[str] = [f"{i['about']['es']}: {i['es']}" for i in items]
        en: str | list[str] = [f"{i['about']['en']}: {i['en']}" for i in items]
    else:
        es, en = part["es"], part["en"]
    return Section(
        name=name,
        es=es,
        en=en,
        uncertain=part.get("uncertain"),
        sources=sources,
        editable=name in EDITABLE,
        details=details,
    )


def _texts(value: str | list[str]) -> list[str]:
    return list(value) if isinstance(value, list) else [value]


def _summary(section: Section) -> dict[str, Any]:
    return {
        "es": section.es,
        "en": section.en,
        "uncertain": section.uncertain,
        "sources": [s.ref for s in section.sources or ()],
        **section.details,
    }


# --- writing -------------------------------------------------------------------------


def _editor() -> YAML:
    """ruamel's round trip set to write the catalog files as they are written by hand."""
    editor = YAML()
    editor.preserve_quotes = True
    editor.width = 4096  # never fold a long line
    editor.indent(mapping=2, sequence=4, offset=2)
    # The files say `null`; ruamel would write nothing after the colon.
    editor.representer.add_representer(
        type(None),
        lambda representer, _data: representer.represent_scalar("tag:yaml.org,2002:null", "null"),
    )
    return editor


def _dump(editor: YAML, document: Any) -> str:
    buffer = io.StringIO()
    editor.dump(document, buffer)
    return buffer.getvalue()


def _edited(text: str, name: str, edit: Edit) -> str:
    """The file's text with the edit applied to the round-tripped document."""
    editor = _editor()
    document = editor.load(text)
    if _dump(editor, document) != text:
        # Something this writer would not reproduce (an unusual indent, a folded line):
        # rewriting would touch lines nobody edited.
        raise Refused(UNWRITABLE)
    part = document[name]
    if name in LISTS:
        es, en = _texts(edit.es), _texts(edit.en)
        if len(es) != len(en):
            raise Refused(NOT_ONE_TO_ONE, es=len(es), en=len(en))
        _set_items(part, "es", es)
        _set_items(part, "en", en)
    else:
        _set(part, "es", edit.es)
        _set(part, "en", edit.en)
    _set(part, "uncertain", edit.uncertain)
    if name == "cost":
        _set(part, "free", edit.free)
        _set(part, "year", edit.year)
    if edit.removed:
        _remove_sources(part["sources"], edit.removed)
    if edit.source is not None:
        _add_source(part["sources"], edit.source)
        _move_checked_on(document, edit.source)
    if edit.removed and not part["sources"]:
        raise Refused(LAST_SOURCE)
    return _dump(editor, document)


def _set(mapping: CommentedMap, key: str, value: object) -> None:
    """Set a value only when it changed, quoted as the old one was."""
    old = mapping.get(key)
    if old == value and isinstance(old, bool) == isinstance(value, bool):
        return
    mapping[key] = _like(old, value)


def _set_items(part: CommentedMap, key: str, values: list[str]) -> None:
    """Change the items that changed, in place: the list keeps its style and comments."""
    items: CommentedSeq = part[key]
    for position, value in enumerate(values):
        if position >= len(items):
            items.append(_like(items[0] if items else None, value))
        elif items[position] != value:
            items[position] = _like(items[position], value)
    del items[len(values) :]


def _like(old: object, value: object) -> object:
    if isinstance(old, ScalarString) and isinstance(value, str):
        return type(old)(value)
    return value


def _remove_sources(sources: CommentedSeq, refs: tuple[str, ...]) -> None:
    """Take out the sources with these refs; the others keep their lines as they are.

    checked_on stays: it says when the file was last checked against a source, and a
    removal is not a newer source.
    """
    present = [item.get("ref") for item in sources]
    for ref in refs:
        if ref not in present:
            raise Refused(UNKNOWN_SOURCE, ref=ref)
    for position in reversed(range(len(sources))):
        if sources[position].get("ref") in refs:
            del sources[position]


def _add_source(sources: CommentedSeq, source: Source) -> None:
    """Append ``{ref: "…", url: "…", reliability: …}`` on one line, as every file has them."""
    item = CommentedMap()
    item["ref"] = DoubleQuotedScalarString(source.ref)
    if source.url:
        item["url"] = DoubleQuotedScalarString(source.url)
    item["reliability"] = source.reliability
    item.fa.set_flow_style()
    sources.append(item)


def _move_checked_on(document: CommentedMap, source: Source) -> None:
    """checked_on is the newest dated source of the file (docs/content.md, rule 6): a
    source with a full date newer than it moves it."""
    found = SOURCE_DATE.search(source.ref)
    if not found or not found.group(3):
        return
    try:
        day = date.fromisoformat(found.group(0)).isoformat()
    except ValueError:
        return
    current = document.get("checked_on")
    if current is None or day > str(current):
        document["checked_on"] = DoubleQuotedScalarString(day)


def _validate(root: Path, data: Any) -> None:
    """Refuse a document that does not satisfy schema.json, naming the first problem."""
    schema = json.loads((folder(root) / SCHEMA).read_text(encoding="utf-8"))
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(data),
        key=lambda e: [str(part) for part in e.path],
    )
    if not errors:
        return
    error = errors[0]
    where = "/".join(str(part) for part in error.path) or "(archivo)"
    if error.validator == "maxLength":
        raise Refused(TOO_LONG, where=where, limit=error.validator_value)
    if error.validator in ("minLength", "minItems"):
        raise Refused(EMPTY, where=where)
    raise Refused(SCHEMA_BROKEN, where=where, detail=error.message)


def _unchanged_elsewhere(before: dict[str, Any], after: dict[str, Any], name: str) -> None:
    """The edit changed its section and checked_on, nothing else."""
    for key in before.keys() | after.keys():
        if key not in (name, "checked_on") and before.get(key) != after.get(key):
            raise Refused(UNWRITABLE)


@contextmanager
def _one_writer(directory: Path) -> Iterator[None]:
    """One edit at a time across the desk's processes: read, check and replace together."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)
