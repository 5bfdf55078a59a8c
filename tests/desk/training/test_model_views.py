"""Trainers compare a model with the live one, publish it, and roll back, from the desk."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from desk.models import ModelPublication, Review
from desk.models import review as r
from desk.training import models


def per_intent(**f1s: float) -> dict:
    return {intent: {"f1-score": f1, "support": 20} for intent, f1 in f1s.items()}


@pytest.fixture
def make_model(app, db):
    folder = models.models_folder()
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def make(intent_f1=0.93, **figures):
        number = next(counter)
        path = folder / f"20260312-1015{number:02d}-tramites.tar.gz"
        path.write_bytes(f"modelo {number}".encode())
        figures.setdefault("procedure_f1", 0.95)
        figures.setdefault("stories_passed", True)
        model = models.register(db, path, intent_f1=intent_f1, **figures)
        db.commit()
        return model

    return make


@pytest.fixture
def replicas(monkeypatch):
    """What the Rasa servers answer: set ``answers`` in a test."""
    answers: list[models.Replica] = []
    monkeypatch.setattr(models, "replicas", lambda urls, timeout=2.0: answers)
    return answers


@pytest.fixture
def trainer(client, make_agent):
    agent = make_agent(email="tere.entrenadora@cab.gob.mx", name="Teresa Ruiz", role="trainer")
    response = client.post("/login", data={"email": agent.email, "password": "contraseña-segura"})
    assert response.status_code == 302
    return agent


def test_an_agent_without_the_permission_gets_403(client, logged_in, make_model, replicas):
    model = make_model()

    assert client.get("/training/models").status_code == 403
    assert client.get(f"/training/models/{model.id}").status_code == 403
    assert client.post(f"/training/models/{model.id}/publish").status_code == 403
    assert client.post("/training/models/rollback").status_code == 403


def test_the_list_shows_figures_gate_live_model_and_each_servers_model(
    client, db, trainer, make_model, replicas
):
    live = make_model(rasa_model_id="a3f9c1")
    models.publish(db, live, trainer)
    failed = make_model(intent_f1=0.87)
    models.apply_gate(db, failed)
    db.commit()
    replicas.extend([models.Replica(1, "ok", "a3f9c1"), models.Replica(2, "unreachable", None)])

    response = client.get("/training/models")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"En vivo: modelo {live.id}" in html
    assert "0.870" in html and "No pasó" in html and "por debajo del mínimo 0.90" in html
    assert f'Modelo {live.id}</a> <span class="badge badge-resolved">en vivo' in html
    assert "No responde" in html
    assert f'action="/training/models/{failed.id}/publish"' in html
    assert f'action="/training/models/{live.id}/publish"' not in html


def test_publishing_from_the_list_puts_the_model_live(client, db, trainer, make_model, replicas):
    model = make_model()

    response = client.post(f"/training/models/{model.id}/publish", follow_redirects=True)

    assert response.status_code == 200
    assert f"Modelo {model.id} publicado" in response.get_data(as_text=True)
    assert models.live_model(db) == model


def test_a_refused_publication_says_why_and_changes_nothing(
    client, db, trainer, make_model, replicas
):
    model = make_model(stories_passed=False)

    response = client.post(f"/training/models/{model.id}/publish", follow_redirects=True)

    assert "Las pruebas de conversación fallaron." in response.get_data(as_text=True)
    assert models.live_model(db) is None


def test_rolling_back_from_the_list_returns_to_the_previous_model(
    client, db, trainer, make_model, replicas
):
    first, second = make_model(), make_model()
    models.publish(db, first, trainer)
    models.publish(db, second, trainer)
    assert 'action="/training/models/rollback"' in client.get("/training/models").get_data(
        as_text=True
    )

    response = client.post("/training/models/rollback", follow_redirects=True)

    assert f"De vuelta al modelo {first.id}." in response.get_data(as_text=True)
    assert models.live_model(db) == first
    assert (
        db.scalar(sa.select(ModelPublication.action).order_by(ModelPublication.id.desc()).limit(1))
        == "rollback"
    )


def test_rolling_back_with_nothing_before_is_refused_on_the_page(
    client, trainer, make_model, replicas
):
    response = client.post("/training/models/rollback", follow_redirects=True)

    assert "No hay un modelo anterior al que volver." in response.get_data(as_text=True)


def test_the_model_page_compares_each_intent_and_lists_reviewed_messages_that_improved(
    client, db, trainer, make_model, make_message, replicas
):
    live = make_model(per_intent=per_intent(ask_cost=0.95, ask_where=0.72))
    models.publish(db, live, trainer)
    candidate = make_model(per_intent=per_intent(ask_cost=0.90, ask_where=0.91))
    for body, predicted, confirmed in [
        ("donde queda la oficina de pasaportes", "ask_cost", "ask_where"),
        ("cuanto cuesta el acta de nacimiento", "ask_cost", "ask_cost"),
    ]:
        message = make_message(body=body, intent=predicted, confidence=0.41)
        db.add(
            Review(
                message=message,
                status=r.CONFIRMED,
                intent=confirmed,
                text=body,
                reviewer=trainer,
                destination=r.TRAINING,
            )
        )
    db.commit()

    response = client.get(f"/training/models/{candidate.id}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"frente al modelo {live.id} en vivo" in html
    assert html.index("<td>ask_cost</td>") < html.index("<td>ask_where</td>")  # worst first
    assert "-0.050" in html and "+0.190" in html
    assert "donde queda la oficina de pasaportes" in html
    assert "cuanto cuesta el acta de nacimiento" not in html


def test_an_unknown_model_is_404(client, trainer, replicas):
    assert client.get("/training/models/999").status_code == 404
