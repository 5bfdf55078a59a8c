"""The desk speaks each agent's language: Spanish (the message ids) or English, from
desk/translations/en. The catalog must hold every string the desk shows, translated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from desk import labels, permissions
from desk.services import settings

ROOT = Path(__file__).parents[3]
PO = ROOT / "desk" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def catalog() -> Catalog:
    with PO.open("rb") as file:
        return read_po(file, locale="en")


def top_bar(html: str) -> str:
    return html[html.index('<header class="topbar">') : html.index("</header>")]


@pytest.mark.parametrize(
    ("language", "words", "absent"),
    [
        ("en", ["Cases", "Sign out"], ["Casos", "Salir"]),
        ("es", ["Casos", "Salir"], ["Cases", "Sign out"]),
    ],
)
def test_the_queue_pages_top_bar_is_in_the_agents_language(
    client, make_agent, sign_in, language, words, absent
):
    sign_in(make_agent(email=f"{language}@cab.gob.mx", language=language))

    response = client.get("/cases/")

    assert response.status_code == 200
    bar = top_bar(response.get_data(as_text=True))
    assert all(word in bar for word in words), bar
    assert not any(f">{word}<" in bar for word in absent), bar
    assert f'<html lang="{language}">' in response.get_data(as_text=True)


def test_an_english_admin_reads_the_admin_pages_and_the_nav_link_in_english(
    client, make_agent, sign_in
):
    sign_in(make_agent(email="en@cab.gob.mx", role="admin", language="en"))

    page = client.get("/admin/users").get_data(as_text=True)

    assert ">Administration<" in top_bar(page)
    assert "New account" in page and "Nueva cuenta" not in page


def test_every_message_in_the_catalog_has_an_english_translation():
    untranslated = [
        message.id
        for message in catalog()
        if message.id
        and (
            message.fuzzy
            or not all(message.string if isinstance(message.string, tuple) else [message.string])
        )
    ]

    assert untranslated == [], "run scripts/update-translations and translate these"


def test_translations_keep_the_placeholders_of_their_message():
    problems = [
        (message.id, [str(error) for error in errors]) for message, errors in catalog().check()
    ]

    assert problems == []


def test_every_string_marked_in_the_code_is_in_the_catalog(tmp_path):
    """A string added to a template or a view after the last update is missing here:
    the English UI would show it in Spanish."""
    pot = tmp_path / "messages.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "-q", "extract"]
    command += ["-F", str(ROOT / "babel.cfg"), "-o", str(pot), str(ROOT / "desk")]
    subprocess.run(command, check=True)
    with pot.open("rb") as file:
        marked = {message.id for message in read_po(file) if message.id}
    known = {message.id for message in catalog()}

    missing = sorted(str(text) for text in marked - known)
    assert missing == [], "run scripts/update-translations and translate these"


def test_texts_translated_when_shown_are_in_the_catalog():
    """Setting labels, priorities and roles live in tables and go through gettext when
    a page shows them; extraction cannot see them, scripts/update-translations adds them."""
    texts = [label for _default, _kind, label in settings.DEFAULTS.values()]
    texts += [*labels.PRIORITIES.values(), *permissions.ROLE_LABELS.values()]
    english = catalog()

    missing = [text for text in texts if text not in english or not english[text].string]

    assert missing == []


def test_setting_labels_from_their_table_are_shown_in_english(client, make_agent, sign_in):
    sign_in(make_agent(email="en@cab.gob.mx", role="admin", language="en"))

    page = client.get("/admin/settings").get_data(as_text=True)

    assert "Assign new cases to available agents" in page
    assert "Monday" in page and "Business hours" in page
