"""Why an example was refused or a model failed the gate reads in the trainer's language,
though it is stored filled in, in Spanish."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po

from desk.models import Review
from desk.models import review as r
from desk.training import gate, models, nlu_data, reasons, services

REPOSITORY = Path(__file__).resolve().parents[3]
PO = REPOSITORY / "desk" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
ALL_REASONS = (*services.REASONS, *gate.MESSAGES)


def english(msgid: str, **values: str) -> str:
    """A stand-in gettext with two entries."""
    table = {
        "F1 de intents %(new)s por debajo del mínimo %(floor)s.": (
            "Intent F1 %(new)s below the minimum %(floor)s."
        ),
        "Las pruebas de conversación fallaron.": "The conversation tests failed.",
    }
    text = table.get(msgid, msgid)
    return text % values if values else text


def test_a_stored_reason_is_translated_with_the_values_it_was_filled_in_with():
    stored = gate.decide(gate_figures(intent_f1=0.874), None).reasons[0]

    shown = reasons.translated(stored, gate.MESSAGES, english)

    assert stored == "F1 de intents 0.874 por debajo del mínimo 0.90."
    assert shown == "Intent F1 0.874 below the minimum 0.90."


def test_a_reason_without_values_is_translated_as_it_is():
    assert reasons.translated(gate.STORIES_FAILED, gate.MESSAGES, english) == (
        "The conversation tests failed."
    )


def test_a_text_no_msgid_explains_is_shown_as_it_was_written():
    line = "rasa.shared.exceptions.YamlSyntaxException: Failed to read 'data/nlu/a.yml'."

    assert reasons.translated(line, gate.MESSAGES, english) == line


def test_values_are_read_back_even_when_they_hold_the_msgids_own_words():
    refusal = nlu_data.Refused("span_word", span="trámite» corta «pasa")

    values = reasons.filled_in(nlu_data.REASONS["span_word"], refusal.reason)

    assert values == {"span": "trámite» corta «pasa"}


def test_every_reason_has_an_english_translation_with_the_same_placeholders():
    with PO.open("rb") as file:
        catalog = read_po(file, locale="en")

    for msgid in ALL_REASONS:
        message = catalog.get(msgid)
        assert message is not None and message.string and not message.fuzzy, msgid
        placeholders = sorted(re.findall(r"%\((\w+)\)s", msgid))
        assert sorted(re.findall(r"%\((\w+)\)s", message.string)) == placeholders, msgid


def gate_figures(intent_f1=0.95, procedure_f1=0.95, stories_passed=True):
    return models.AssistantModel(
        intent_f1=intent_f1, procedure_f1=procedure_f1, stories_passed=stories_passed
    )


# --- in the desk, for a trainer who reads English ---------------------------------------


@pytest.fixture
def english_trainer(client, make_agent):
    agent = make_agent(
        email="terry.trainer@cab.gob.mx", name="Terry Trainer", role="trainer", language="en"
    )
    response = client.post("/login", data={"email": agent.email, "password": "contraseña-segura"})
    assert response.status_code == 302
    return agent


@pytest.fixture
def make_model(app, db):
    folder = models.models_folder()
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def make(intent_f1=0.93):
        number = next(counter)
        path = folder / f"modelo-{number}.tar.gz"
        path.write_bytes(f"modelo {number}".encode())
        model = models.register(
            db, path, intent_f1=intent_f1, procedure_f1=0.95, stories_passed=True
        )
        db.commit()
        return model

    return make


def test_the_gates_reasons_read_in_english_on_the_models_pages_and_when_refused(
    client, db, english_trainer, make_model, monkeypatch
):
    monkeypatch.setattr(models, "replicas", lambda urls, timeout=2.0: [])
    failed = make_model(intent_f1=0.87)

    refused = client.post(f"/training/models/{failed.id}/publish", follow_redirects=True)
    detail = client.get(f"/training/models/{failed.id}").get_data(as_text=True)

    listing = refused.get_data(as_text=True)
    assert "Intent F1 0.870 below the minimum 0.90." in listing  # the flash and the list
    assert listing.count("Intent F1 0.870 below the minimum 0.90.") == 2
    assert "Intent F1 0.870 below the minimum 0.90." in detail
    assert "por debajo" not in listing + detail


def test_a_refused_example_reads_in_english_and_is_kept_in_spanish(
    app, client, db, english_trainer, make_message, tmp_path
):
    root = tmp_path / "repo"
    for folder in ("data/nlu", "tests/nlu", "bot/domain"):
        shutil.copytree(REPOSITORY / folder, root / folder)
    app.config["TRAINING_DATA_ROOT"] = str(root)
    message = make_message(body="quiero el [formato] de la pensión", intent="nlu_fallback")

    response = client.post(
        f"/training/messages/{message.id}/confirm",
        data={"intent": "ask_requirements"},
        follow_redirects=True,
    )

    html = response.get_data(as_text=True)
    assert "The example has brackets [ ]" in html and "corchetes" not in html
    review = db.scalar(sa.select(Review).filter_by(message_id=message.id))
    assert review.status == r.CONFIRMED and review.refused_reason.startswith(
        "El ejemplo tiene corchetes"
    )
