"""No inline script or style in any template: the Content-Security-Policy allows
scripts and styles only from desk/static/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import desk

# The app's templates and every package's own (desk/<area>/templates/).
TEMPLATES = sorted(
    path for path in Path(desk.__file__).parent.rglob("*.html") if "templates" in path.parts
)
INLINE = {
    # A JSON data block (type="application/json") is never run, so CSP has no say in it.
    "an inline <script> (no src)": re.compile(
        r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.IGNORECASE
    ),
    "a <style> element": re.compile(r"<style\b", re.IGNORECASE),
    "a style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "an event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_the_templates_are_found():
    assert len(TEMPLATES) >= 7
    assert any(path.name == "phone.html" for path in TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.parent.name + "/" + path.name)
def test_no_inline_script_or_style(template):
    text = template.read_text()

    found = [what for what, pattern in INLINE.items() if pattern.search(text)]

    assert found == [], f"{template.name} has {', '.join(found)}: move it to desk/static/"


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<SCRIPT type="module">x()</SCRIPT>',
        "<style>p{}</style>",
        '<p style="color:red">',
        '<button onclick="go()">',
        '<a href="javascript:go()">',
    ],
)
def test_the_scan_catches_each_kind(snippet):
    assert any(pattern.search(snippet) for pattern in INLINE.values())


def test_the_scan_allows_scripts_from_files():
    assert not any(
        pattern.search('<script src="/static/simulator.js"></script>')
        for pattern in INLINE.values()
    )


def test_a_json_data_block_is_not_mistaken_for_a_script():
    block = '<script type="application/json" id="dashboard-data">{"days": []}</script>'

    assert not any(pattern.search(block) for pattern in INLINE.values())
