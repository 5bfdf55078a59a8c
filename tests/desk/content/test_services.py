"""The catalog writer keeps every file as people wrote it, or refuses to write."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from desk.content import services

from .conftest import REPOSITORY

FILES = sorted((REPOSITORY / "data" / "procedures").glob("*.yml"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_catalog_file_is_rewritten_byte_for_byte_when_nothing_changes(path: Path):
    text = path.read_text(encoding="utf-8")
    section = services._section("duration", yaml.safe_load(text))
    unchanged = services.Edit(
        es=section.es, en=section.en, uncertain=bool(section.uncertain), version=""
    )

    assert services._edited(text, "duration", unchanged) == text


def test_a_file_the_writer_would_reshape_is_refused_and_left_alone(root, db, trainer):
    path = root / "data" / "procedures" / "rfc.yml"
    # Four-space indentation: valid YAML, but a rewrite would reindent every line.
    reshaped = path.read_text(encoding="utf-8").replace("\n  ", "\n    ")
    path.write_text(reshaped, encoding="utf-8")
    edit = services.Edit(
        es="Gratis siempre.",
        en="Always free.",
        uncertain=False,
        version=services.version_of(reshaped),
        free=True,
    )

    with pytest.raises(services.Refused) as refused:
        services.save(db, root, "rfc", "cost", edit, editor=trainer)

    assert refused.value.reason == services.UNWRITABLE
    assert path.read_text(encoding="utf-8") == reshaped
