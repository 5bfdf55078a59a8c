"""This package's templates keep to the Content-Security-Policy too: scripts and
styles only from desk/static/ (tests/desk/security scans desk/templates only)."""

from __future__ import annotations

from pathlib import Path

import pytest

import desk.replies
from tests.desk.security.test_templates import INLINE

TEMPLATES = sorted((Path(desk.replies.__file__).parent / "templates").rglob("*.html"))


def test_the_templates_are_found():
    assert {path.name for path in TEMPLATES} >= {"composer.html", "template_form.html"}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_no_inline_script_or_style(template):
    text = template.read_text()

    assert [what for what, pattern in INLINE.items() if pattern.search(text)] == []
