"""Trainers' edits from the desk reach the action server without a restart; a broken
edit never takes the catalog away from citizens."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from actions import catalog as catalog_module
from actions.catalog import CATALOG_DIR, CatalogError, LiveCatalog, catalog

OLD_FEE = "$4,280"
NEW_FEE = "$4,999"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "procedures"
    shutil.copytree(CATALOG_DIR, copy)
    return copy


@pytest.fixture
def live(folder: Path, monkeypatch: pytest.MonkeyPatch) -> LiveCatalog:
    """``catalog()`` reading the copy, looking at its files on every call."""
    watched = LiveCatalog(folder, recheck_seconds=0)
    monkeypatch.setattr(catalog_module, "live", watched)
    return watched


def replace(path: Path, text: str) -> None:
    """Write the way the desk does: a new file renamed over the old one."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def passport_cost() -> str:
    return catalog().get("pasaporte").section("cost")["es"]


def test_an_edit_is_seen_by_the_next_call_without_a_restart(live, folder):
    assert OLD_FEE in passport_cost()
    path = folder / "pasaporte.yml"

    replace(path, path.read_text(encoding="utf-8").replace(OLD_FEE, NEW_FEE))

    assert NEW_FEE in passport_cost() and OLD_FEE not in passport_cost()


def test_an_edit_in_place_of_the_same_size_is_seen_too(live, folder):
    assert OLD_FEE in passport_cost()
    path = folder / "pasaporte.yml"

    path.write_text(path.read_text(encoding="utf-8").replace(OLD_FEE, NEW_FEE), encoding="utf-8")

    assert NEW_FEE in passport_cost()


def test_a_broken_file_keeps_the_previous_catalog_and_says_why(live, folder, caplog):
    before = catalog()
    path = folder / "pasaporte.yml"

    replace(path, path.read_text(encoding="utf-8").replace("menu_order: 4", "menu_order: cuatro"))
    with caplog.at_level(logging.ERROR, logger="actions.catalog"):
        after = catalog()
        catalog()

    assert after is before and OLD_FEE in passport_cost()
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1  # once per broken state, not at every call
    assert "pasaporte.yml: menu_order" in errors[0]


def test_fixing_the_broken_file_makes_the_fix_live(live, folder):
    catalog()
    path = folder / "pasaporte.yml"
    good = path.read_text(encoding="utf-8")
    replace(path, "slug: [unclosed\n")
    assert OLD_FEE in passport_cost()

    replace(path, good.replace(OLD_FEE, NEW_FEE))

    assert NEW_FEE in passport_cost()


def test_unchanged_files_are_not_read_again(live, monkeypatch):
    first = catalog()
    monkeypatch.setattr(
        catalog_module.Catalog, "load", lambda *_: pytest.fail("read unchanged files")
    )

    assert catalog() is first


def test_the_files_are_looked_at_at_most_once_per_interval(folder):
    watched = LiveCatalog(folder, recheck_seconds=3600)
    first = watched.get()
    path = folder / "pasaporte.yml"

    replace(path, path.read_text(encoding="utf-8").replace(OLD_FEE, NEW_FEE))

    assert watched.get() is first


def test_the_first_load_still_refuses_a_broken_catalog(folder):
    (folder / "rfc.yml").write_text("slug: rfc\n", encoding="utf-8")

    with pytest.raises(CatalogError, match=r"rfc\.yml"):
        LiveCatalog(folder).get()


def test_the_action_server_reads_the_catalog_named_by_catalog_dir(tmp_path):
    """Where the desk's editor writes it, when that is not this checkout."""
    shown = subprocess.run(
        [sys.executable, "-c", "from actions.catalog import live; print(live.directory)"],
        env={**os.environ, "CATALOG_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == str(tmp_path)
