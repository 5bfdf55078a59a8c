"""Trainers review waiting messages; only scrubbed examples reach the NLU data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from desk.models import AuditEvent, Review
from desk.models import review as r
from desk.training import nlu_data

REPOSITORY = Path(__file__).resolve().parents[3]
CURP = "GOMC850312MDFRRR08"
PHONE = "55 1234 5678"
WITH_PERSONAL_DATA = f"Mi CURP es {CURP} y mi cel {PHONE}, quiero renovar mi pasaporte"


@pytest.fixture
def root(app, tmp_path):
    """A copy of the repository's NLU data and domain: reviews never write the real one."""
    copy = tmp_path / "repo"
    for folder in ("data/nlu", "tests/nlu", "bot/domain"):
        shutil.copytree(REPOSITORY / folder, copy / folder)
    app.config["TRAINING_DATA_ROOT"] = str(copy)
    return copy


@pytest.fixture
def trainer(client, make_agent):
    agent = make_agent(email="tere.entrenadora@cab.gob.mx", name="Teresa Ruiz", role="trainer")
    response = client.post("/login", data={"email": agent.email, "password": "contraseña-segura"})
    assert response.status_code == 302
    return agent


def all_text(root: Path) -> str:
    return "\n".join(path.read_text("utf-8") for path in sorted(root.rglob("*.yml")))


def review_of(db, message):
    return db.scalar(sa.select(Review).filter_by(message_id=message.id))


def test_an_agent_without_the_permission_gets_403(client, logged_in, root):
    assert client.get("/training/").status_code == 403


def test_a_trainer_sees_what_waits_with_its_intent_confidence_model_and_count(
    client, trainer, root, make_message
):
    make_message(
        body="cuanto sale lo del pasaporte", intent="ask_cost", confidence=0.42, model_id="m-2026"
    )

    response = client.get("/training/")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "cuanto sale lo del pasaporte" in html
    assert "ask_cost" in html and "0.42" in html and "m-2026" in html
    assert "Esperan revisión: 1" in html


def test_the_inbox_filters_from_the_url(client, trainer, root, make_message):
    make_message(body="precio del acta", intent="ask_cost", confidence=0.4)
    make_message(body="donde queda la oficina", intent="ask_where", confidence=0.4)

    html = client.get("/training/?intent=ask_where").get_data(as_text=True)

    assert "donde queda la oficina" in html and "precio del acta" not in html
    assert client.get("/training/?from=ayer").status_code == 400


def test_the_message_page_previews_the_scrubbed_example_with_each_finding_marked(
    client, trainer, root, make_message
):
    message = make_message(body=WITH_PERSONAL_DATA, intent="nlu_fallback", confidence=0.3)

    html = client.get(f"/training/messages/{message.id}").get_data(as_text=True)

    assert '<mark title="curp: ' in html and ">PEGJ800101HDFRRN03</mark>" in html
    assert ">55 0000 0000</mark>" in html
    assert 'list="intents"' in html and '<option value="ask_requirements">' in html
    assert '<option value="nlu_fallback">' not in html  # Rasa's own, never trained
    assert "autofocus" in html


def test_confirming_writes_only_the_scrubbed_example_and_records_the_review(
    client, trainer, root, db, make_message
):
    message = make_message(body=WITH_PERSONAL_DATA, intent="nlu_fallback", confidence=0.3)
    waiting = make_message(body="cuanto tarda la beca", intent="ask_duration", confidence=0.2)
    before = all_text(root)

    response = client.post(
        f"/training/messages/{message.id}/confirm",
        data={"intent": "ask_requirements", "procedure": "Pasaporte"},
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/training/messages/{waiting.id}")
    written = all_text(root)
    assert CURP not in written and PHONE not in written
    scrubbed = "Mi CURP es PEGJ800101HDFRRN03 y mi cel 55 0000 0000, quiero renovar mi pasaporte"
    assert "[pasaporte](procedure)" in written and written != before
    review = review_of(db, message)
    assert (review.status, review.intent, review.text) == (
        r.CONFIRMED,
        "ask_requirements",
        scrubbed,
    )
    assert review.entities == [{"start": 71, "end": 80, "entity": "procedure", "value": None}]
    example = nlu_data.Example(scrubbed, "ask_requirements")
    assert review.destination == (r.TEST if nlu_data.held_out(example) else r.TRAINING)
    assert review.reviewer_id == trainer.id and review.refused_reason is None
    assert db.scalar(sa.select(AuditEvent).filter_by(action="training_example_confirmed"))


def test_a_procedure_marked_over_personal_data_is_refused_and_nothing_is_recorded(
    client, trainer, root, db, make_message
):
    message = make_message(body=f"mi folio de pasaporte es {CURP}", intent="nlu_fallback")
    before = all_text(root)

    response = client.post(
        f"/training/messages/{message.id}/confirm",
        data={"intent": "ask_status", "procedure": f"pasaporte es {CURP}"},
    )

    assert response.status_code == 400
    assert "toca datos personales" in response.get_data(as_text=True)
    assert all_text(root) == before
    assert review_of(db, message) is None


def test_a_refused_example_shows_the_reason_and_writes_nothing(
    client, trainer, root, db, make_message
):
    message = make_message(body="quiero el [formato] de la pensión", intent="nlu_fallback")
    before = all_text(root)

    response = client.post(
        f"/training/messages/{message.id}/confirm",
        data={"intent": "ask_requirements"},
        follow_redirects=True,
    )

    assert "corchetes" in response.get_data(as_text=True)
    assert all_text(root) == before
    review = review_of(db, message)
    assert review.destination is None and "corchetes" in review.refused_reason


def test_an_intent_outside_the_domain_is_a_form_error(client, trainer, root, db, make_message):
    message = make_message(body="cuanto cuesta", intent="ask_cost", confidence=0.4)

    response = client.post(
        f"/training/messages/{message.id}/confirm", data={"intent": "pedir_pizza"}
    )

    assert response.status_code == 400
    assert "no está en el dominio" in response.get_data(as_text=True)
    assert review_of(db, message) is None


def test_dismissing_writes_nothing_and_takes_the_message_out_of_the_inbox(
    client, trainer, root, db, make_message
):
    message = make_message(body="jajaja ok", intent="nlu_fallback")
    before = all_text(root)

    response = client.post(f"/training/messages/{message.id}/dismiss")

    assert response.status_code == 302 and response.headers["Location"].endswith("/training/")
    assert review_of(db, message).status == r.DISMISSED
    assert all_text(root) == before
    assert "jajaja ok" not in client.get("/training/").get_data(as_text=True)
