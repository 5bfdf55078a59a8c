"""The procedure catalog (data/procedures/*.yml): loaded and checked once per process.

Also generates the NLU synonyms and lookup table for the `procedure` entity, so that
procedure names live in one place: ``python -m actions.catalog write-nlu``.
"""

from __future__ import annotations

import difflib
import json
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CATALOG_DIR = Path(__file__).resolve().parents[1] / "data" / "procedures"
GENERATED_NLU = Path(__file__).resolve().parents[1] / "data" / "nlu" / "procedures_generated.yml"


class CatalogError(ValueError):
    """A catalog file is malformed; the message names the file and the problem."""


def normalize(text: str) -> str:
    """Lower case, no accents, single spaces: how names are compared."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.replace("¿", " ").replace("?", " ").split())


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

    def aliases(self) -> list[str]:
        return [*self.data["aliases"]["es"], *self.data["aliases"]["en"]]

    def section(self, topic: str) -> dict[str, Any]:
        return self.data[topic]

    @property
    def official_url(self) -> str | None:
        return self.data["official_url"] or self.data["where"]["url"]


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
                *procedure.aliases(),
            ]:
                self._names.setdefault(normalize(name), procedure.slug)

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
        """The procedure a citizen's words name: exact, then contained, then close (typos)."""
        if not text:
            return None
        wanted = normalize(text)
        if wanted in self._names:
            return self._by_slug[self._names[wanted]]
        padded = f" {wanted} "
        contained = [name for name in self._names if f" {name} " in padded]
        if contained:
            return self._by_slug[self._names[max(contained, key=len)]]
        close = difflib.get_close_matches(wanted, list(self._names), n=1, cutoff=0.8)
        return self._by_slug[self._names[close[0]]] if close else None


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    return Catalog.load()


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
