"""The procedure catalog (data/procedures/*.yml): loaded, checked, and read again when
trainers edit it from the desk (``catalog()``), without restarting the action server.

Also generates the NLU synonyms and lookup table for the `procedure` entity, so that
procedure names live in one place: ``python -m actions.catalog write-nlu``.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
import sys
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CATALOG_DIR = Path(__file__).resolve().parents[1] / "data" / "procedures"
GENERATED_NLU = Path(__file__).resolve().parents[1] / "data" / "nlu" / "procedures_generated.yml"
# How often ``catalog()`` looks whether the files changed: a stat of each, ~16 files.
RECHECK_SECONDS = 1.0

log = logging.getLogger(__name__)


class CatalogError(ValueError):
    """A catalog file is malformed; the message names the file and the problem."""


def normalize(text: str) -> str:
    """Lower case, no accents, single spaces: how names are compared."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.replace("¿", " ").replace("?", " ").split())


TOKEN = re.compile(r"[^\W_]+")
WORD = re.compile(r"[a-z0-9]+")


def spans(text: str) -> list[tuple[str, int, int]]:
    """The words of a message, normalized, with where each sits in the original text:
    punctuation dropped ("e.firma" → e, firma; "declar@gua" → declar, gua)."""
    found = []
    for token in TOKEN.finditer(text):
        for word in WORD.finditer(normalize(token.group())):
            found.append((word.group(), token.start(), token.end()))
    return found


def words(text: str) -> list[str]:
    return [word for word, _start, _end in spans(text)]


def within_typos(said: str, name: str) -> bool:
    """Whether ``said`` is ``name`` with the typos people make on a phone keyboard.

    Short single words must match exactly: "llame" is one letter from "llave" and
    "acta" from "arta". Longer names allow one slip, two from 12 letters on: more would
    take "consulto" for "consulado" and "sacar las" for "sacar nss". The first letter
    is kept (people rarely mistype it, and common words share endings).
    """
    if said == name:
        return True
    if said[:1] != name[:1] or abs(len(said) - len(name)) > 2:
        return False
    if " " not in name and len(name) < 7:
        return False
    allowed = 1 if len(name) < 12 else 2
    return _distance(said, name, allowed) <= allowed


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap counts once), giving up past ``limit``."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = char_a != char_b
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


@dataclass(frozen=True)
class Procedure:
    data: dict[str, Any]

    @property
    def slug(self) -> str:
        return self.data["slug"]

    @property
    def menu_order(self) -> int:
        return self.data["menu_order"]

    def name(self, language: str) -> str:
        return self.data["names"][language]

    def short_name(self, language: str) -> str:
        return self.data["short_names"][language]

    def aliases(self) -> list[str]:
        return [*self.data["aliases"]["es"], *self.data["aliases"]["en"]]

    def section(self, topic: str) -> dict[str, Any]:
        return self.data[topic]

    @property
    def official_url(self) -> str | None:
        return self.data["official_url"] or self.data["where"]["url"]

    @property
    def eligibility(self) -> dict[str, Any] | None:
        """Who qualifies, as data; None for documents and services anyone may do."""
        return self.data["eligibility"]

    def problems_described(self, text: str) -> list[dict[str, Any]]:
        """The known problems whose signs the message shows, the most signs first."""
        said = f" {' '.join(words(text))} "
        scored = []
        for position, item in enumerate(self.data["problems"]["items"]):
            hits = sum(f" {' '.join(words(sign))} " in said for sign in item["signs"])
            if hits:
                scored.append((-hits, position, item))
        return [item for _hits, _position, item in sorted(scored, key=lambda s: s[:2])]

    def requires(self, other: Procedure) -> bool:
        """Whether this procedure's requirements name ``other`` ("Cuenta Llave MX")."""
        listed = f" {' '.join(words(' '.join(self.data['requirements']['es'])))} "
        names = [other.name("es"), other.short_name("es"), *other.data["aliases"]["es"]]
        return any(f" {' '.join(words(name))} " in listed for name in names)


def names_something(marked: str) -> bool:
    """Whether words DIET marked as a procedure could be a name at all: a lone "de" or
    "el" (DIET's slips) is not, and calls for asking which, never for "unknown"."""
    return any(word not in FILLER and len(word) > 2 for word in words(marked))


@dataclass(frozen=True)
class Mention:
    """Where a message names a procedure (word positions, characters in the original
    text), and whether it was spelt right."""

    procedure: Procedure
    start: int
    end: int
    exact: bool
    text_start: int = 0
    text_end: int = 0


# The phone directory: named in passing ("el teléfono del SAT") more than asked about,
# so any other procedure in the same message is the one meant.
DIRECTORY = "lineas_atencion"
# Words that say nothing about which procedure is meant, for word families below
# ("número" of the NSS and of every phone line, "vida" of Sembrando Vida and of life).
FILLER = set(
    "de del la las el los lo mi mis tu su sus un una en con para por pa y o a al que q "
    "numero numeros telefono telefonos linea lineas vida "
    "the of my your for a an and or to in on with number phone help line lines".split()
)


class Catalog:
    def __init__(self, procedures: list[Procedure]) -> None:
        self.procedures = sorted(procedures, key=lambda p: p.menu_order)
        self._by_slug = {p.slug: p for p in self.procedures}
        self._names: dict[str, str] = {}
        for procedure in self.procedures:
            for name in [
                procedure.slug,
                procedure.slug.replace("_", " "),
                procedure.name("es"),
                procedure.name("en"),
                procedure.short_name("es"),
                procedure.short_name("en"),
                *procedure.aliases(),
            ]:
                self._names.setdefault(normalize(name), procedure.slug)
        # The same names as word sequences, for finding them inside a message.
        self._word_names: dict[tuple[str, ...], str] = {}
        for name, slug in self._names.items():
            self._word_names.setdefault(tuple(words(name)), slug)
        self._longest = max((len(name) for name in self._word_names), default=0)
        # Which procedures each word of a name belongs to: "beca" → the grant alone,
        # "pension" → both pensions. For partial names no alias spells out.
        self._families = self._word_families(self._word_names.items())
        # The same from short names alone, to read a whole message by: aliases carry
        # verbs and time words ("cuántas semanas tengo") that mean nothing elsewhere.
        self._short_families = self._word_families(
            (tuple(words(p.short_name(language))), p.slug)
            for p in self.procedures
            for language in ("es", "en")
        )

        # Typo candidates by word count and first letter: a message is read in a few ms.
        self._by_shape: dict[tuple[int, str], list[tuple[str, str]]] = {}
        for name, slug in self._word_names.items():
            if name:
                shape = (len(name), name[0][0])
                self._by_shape.setdefault(shape, []).append((" ".join(name), slug))

    @staticmethod
    def _word_families(names: Iterable[tuple[tuple[str, ...], str]]) -> dict[str, set[str]]:
        families: dict[str, set[str]] = {}
        for name, slug in names:
            for word in name:
                if word not in FILLER and len(word) > 2:
                    families.setdefault(word, set()).add(slug)
        return families

    @classmethod
    def load(cls, directory: Path = CATALOG_DIR) -> Catalog:
        schema = json.loads((directory / "schema.json").read_text())
        validator = jsonschema.Draft202012Validator(schema)
        procedures = []
        for path in sorted(directory.glob("*.yml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
            if errors:
                where = "/".join(str(part) for part in errors[0].path) or "(top)"
                raise CatalogError(f"{path.name}: {where}: {errors[0].message}")
            if data["slug"] != path.stem:
                raise CatalogError(f"{path.name}: slug {data['slug']!r} must match the file name")
            procedures.append(Procedure(data))
        catalog = cls(procedures)
        catalog._check_unique()
        return catalog

    def _check_unique(self) -> None:
        orders = [p.menu_order for p in self.procedures]
        if sorted(orders) != list(range(1, len(orders) + 1)):
            raise CatalogError(f"menu_order must number the procedures 1..N, got {orders}")
        owner: dict[str, str] = {}
        for procedure in self.procedures:
            for alias in procedure.aliases():
                key = normalize(alias)
                if owner.setdefault(key, procedure.slug) != procedure.slug:
                    raise CatalogError(
                        f"alias {alias!r} belongs to both {owner[key]} and {procedure.slug}"
                    )

    def get(self, slug: str) -> Procedure | None:
        return self._by_slug.get(slug)

    def by_menu_number(self, number: int) -> Procedure | None:
        return next((p for p in self.procedures if p.menu_order == number), None)

    def resolve(self, text: str | None) -> Procedure | None:
        """The procedure a citizen's words name: exact, then named inside, then the one
        procedure its words belong to, then close (typos); None when they fit several."""
        if not text:
            return None
        wanted = normalize(text)
        if wanted in self._names:
            return self._by_slug[self._names[wanted]]
        found = self.find(text)
        if found is not None:
            return found
        guesses = self.candidates(text)
        if guesses:
            # "la pensión" is one of two: the caller asks which (see `candidates`).
            return guesses[0] if len(guesses) == 1 else None
        close = difflib.get_close_matches(wanted, list(self._names), n=1, cutoff=0.8)
        return self._by_slug[self._names[close[0]]] if close else None

    def find(self, text: str) -> Procedure | None:
        """The procedure a whole message is about, if it names one (see ``mentions``)."""
        found = self.mentions(text)
        return found[0].procedure if found else None

    def candidates(self, text: str, whole_message: bool = False) -> list[Procedure]:
        """The procedures a partial name may mean ("la beca", "bienestar pension"): those
        that share the most telling words with it, in menu order; none when no word
        tells. A word of more than three procedures ("registro") tells nothing. A whole
        message is read against short names only ("la pensión de mi abuelo")."""
        families = self._short_families if whole_message else self._families
        score: dict[str, int] = {}
        for word in set(words(text)):
            family = families.get(word, set())
            if len(family) <= 3:
                for slug in family:
                    score[slug] = score.get(slug, 0) + 1
        if not score:
            return []
        best = max(score.values())
        return [p for p in self.procedures if score.get(p.slug) == best]

    def subject(self, mentions: list[Mention], problem: bool, text: str) -> Mention:
        """Which of several procedures a message is about. A problem: the one whose known
        problems the words describe best. Otherwise the one that needs the others
        ("¿necesito la llave mx para la beca?" is about the grant), else the last named:
        citizens give the context first and ask last. The phone directory only alone."""
        named = [m for m in mentions if m.procedure.slug != DIRECTORY] or mentions
        named = [m for m in named if m.exact] or named  # a typo-match only when alone
        if len(named) == 1:
            return named[0]
        if problem:
            hits = [len(m.procedure.problems_described(text)) for m in named]
            if max(hits) > 0:
                return named[hits.index(max(hits))]
        for mention in named:
            if all(o is mention or mention.procedure.requires(o.procedure) for o in named):
                return mention
        return max(named, key=lambda m: m.start)

    def mentions(self, text: str) -> list[Mention]:
        """Every procedure the message names, by any name or alias, typos allowed; the
        likeliest subject first: spelt right before misspelt, then in reading order,
        the phone directory last. Longer names win where two overlap ("llave mx"
        over "llave")."""
        located = spans(text)
        tokens = [word for word, _start, _end in located]
        candidates: list[Mention] = []
        for size in range(min(self._longest, len(tokens)), 0, -1):
            for start in range(len(tokens) - size + 1):
                said = " ".join(tokens[start : start + size])
                slug = self._word_names.get(tuple(tokens[start : start + size]))
                exact = slug is not None
                if slug is None:
                    slug = self._close_name(said, size)
                if slug is not None:
                    end = start + size
                    characters = located[start][1], located[end - 1][2]
                    candidates.append(Mention(self._by_slug[slug], start, end, exact, *characters))
        taken: set[int] = set()
        chosen: list[Mention] = []
        for mention in sorted(candidates, key=lambda m: (not m.exact, m.start - m.end, m.start)):
            span = set(range(mention.start, mention.end))
            if span & taken:
                continue
            taken |= span
            if all(m.procedure.slug != mention.procedure.slug for m in chosen):
                chosen.append(mention)
        return sorted(chosen, key=lambda m: (m.procedure.slug == DIRECTORY, not m.exact, m.start))

    def _close_name(self, said: str, size: int) -> str | None:
        for name, slug in self._by_shape.get((size, said[0]), ()):
            if within_typos(said, name):
                return slug
        return None


def fingerprint(directory: Path) -> tuple[tuple[str, int, int, int], ...]:
    """What changes whenever a catalog file is written: name, inode, size and mtime of
    each. The desk replaces a file by renaming a new one over it (a new inode), so even
    an edit of the same size within the clock's resolution shows."""
    seen = []
    for path in sorted([*directory.glob("*.yml"), directory / "schema.json"]):
        try:
            status = path.stat()
        except FileNotFoundError:  # removed between the listing and the stat
            continue
        seen.append((path.name, status.st_ino, status.st_size, status.st_mtime_ns))
    return tuple(seen)


class LiveCatalog:
    """The catalog of a folder, read again when its files change.

    A change that does not load (a broken file, a half-finished hand edit) keeps the
    last good catalog and is logged once: citizens keep getting answers, and the
    operator reads why the edit is not live. Only the first load raises, as before.
    """

    def __init__(self, directory: Path, recheck_seconds: float = RECHECK_SECONDS) -> None:
        self.directory = directory
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._seen: tuple[tuple[str, int, int, int], ...] = ()
        self._checked = 0.0

    def get(self) -> Catalog:
        with self._lock:
            now = time.monotonic()
            if self._catalog is not None and now - self._checked < self.recheck_seconds:
                return self._catalog
            self._checked = now
            # Taken before reading: a write during the load shows at the next check.
            seen = fingerprint(self.directory)
            if self._catalog is not None and seen == self._seen:
                return self._catalog
            try:
                fresh = Catalog.load(self.directory)
            except (ValueError, OSError, yaml.YAMLError, jsonschema.SchemaError) as error:
                if self._catalog is None:
                    raise
                log.error("catalog not reloaded, still serving the previous one: %s", error)
                self._seen = seen  # logged once per broken state, not at every check
                return self._catalog
            if self._catalog is not None:
                log.info("catalog reloaded from %s", self.directory)
            self._catalog, self._seen = fresh, seen
            return fresh

    def cache_clear(self) -> None:
        """Forget the catalog: the next ``get`` reads the files, and raises if they are bad."""
        with self._lock:
            self._catalog, self._seen, self._checked = None, (), 0.0


# The catalog the desk's editor writes (under its TRAINING_DATA_ROOT): on another host
# than this checkout, shared storage named by CATALOG_DIR.
live = LiveCatalog(Path(os.environ.get("CATALOG_DIR") or CATALOG_DIR))


def catalog() -> Catalog:
    """The current catalog: the files as trainers last saved them (at most a second old)."""
    return live.get()


def nlu_yaml(catalog: Catalog) -> str:
    """Synonyms (alias → slug) and a lookup table for the `procedure` entity."""
    lines = [
        'version: "3.1"',
        "",
        "# Generated from data/procedures/ by `python -m actions.catalog write-nlu`. Do not edit.",
        "nlu:",
    ]
    for procedure in catalog.procedures:
        names = sorted({a for a in procedure.aliases() if a != procedure.slug})
        lines += [f"  - synonym: {procedure.slug}", "    examples: |"]
        lines += [f"      - {name}" for name in names]
    lines += ["  - lookup: procedure", "    examples: |"]
    lines += [f"      - {name}" for p in catalog.procedures for name in sorted(set(p.aliases()))]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    text = nlu_yaml(Catalog.load())
    if command == "write-nlu":
        if not GENERATED_NLU.exists() or GENERATED_NLU.read_text() != text:
            GENERATED_NLU.write_text(text)
        return 0
    if command == "check-nlu":
        if not GENERATED_NLU.exists() or GENERATED_NLU.read_text() != text:
            print(f"{GENERATED_NLU} is out of date: run python -m actions.catalog write-nlu")
            return 1
        return 0
    print("usage: python -m actions.catalog write-nlu|check-nlu")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
