"""Publishing and rolling back: the live model is the newest publication's, only a model
that passed the gate goes live, and rolling back walks the history back."""

from __future__ import annotations

import hashlib

import pytest
import requests
import sqlalchemy as sa

from desk.models import AuditEvent, ModelPublication
from desk.training import models, runner


@pytest.fixture
def make_model(app, db):
    """An archive in the instance's models folder, recorded with its figures."""
    folder = models.models_folder()
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def make(intent_f1=0.93, procedure_f1=0.95, stories_passed=True, **figures):
        number = next(counter)
        path = folder / f"20260312-1015{number:02d}-tramites.tar.gz"
        path.write_bytes(f"modelo de prueba {number}".encode())
        model = models.register(
            db,
            path,
            intent_f1=intent_f1,
            procedure_f1=procedure_f1,
            stories_passed=stories_passed,
            **figures,
        )
        db.commit()
        return model

    return make


@pytest.fixture
def trainer(make_agent):
    return make_agent(email="tere.entrenadora@cab.gob.mx", name="Teresa Ruiz", role="trainer")


def test_registering_records_the_archives_hash_and_size(make_model):
    model = make_model()

    content = models.archive(model).read_bytes()
    assert model.sha256 == hashlib.sha256(content).hexdigest()
    assert model.size == len(content)


def test_an_archive_has_one_sha256_wherever_the_desk_reads_it(app, db, tmp_path):
    """The runner's fingerprint, the register and the model server's ETag agree, even
    for an archive longer than one read."""
    content = bytes(range(256)) * 9000  # a little over 2 MiB
    folder = models.models_folder()
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / "grande.tar.gz"
    archive.write_bytes(content)
    app.config["MODEL_FALLBACK_PATH"] = str(archive)
    expected = hashlib.sha256(content).hexdigest()

    registered = models.register(db, archive, intent_f1=0.95, procedure_f1=0.95)

    assert models.file_sha256(archive) == expected
    assert runner.fingerprint(archive) == (expected, len(content))
    assert registered.sha256 == expected
    assert models.served(db) == (archive, expected)  # nothing published: the shipped model


def test_an_archive_outside_the_models_folder_is_not_registered(db, tmp_path):
    stray = tmp_path / "suelto.tar.gz"
    stray.write_bytes(b"x")

    with pytest.raises(ValueError, match="models folder"):
        models.register(db, stray, intent_f1=0.95, procedure_f1=0.95)


def test_nothing_is_live_before_the_first_publication(db, make_model):
    make_model()

    assert models.live_model(db) is None


def test_publishing_puts_the_model_live_and_records_who_and_the_audit(db, make_model, trainer):
    model = make_model()

    models.publish(db, model, trainer)

    assert models.live_model(db) == model
    assert model.gate_passed is True and model.gate_reasons == []
    assert model.published_by == trainer and model.published_at is not None
    event = db.scalar(sa.select(AuditEvent).filter_by(action="model.published"))
    assert event.agent_id == trainer.id and event.details["model_id"] == model.id


def test_publishing_refuses_a_model_that_fails_the_gate_with_the_reason(db, make_model, trainer):
    model = make_model(intent_f1=0.86)

    with pytest.raises(models.Refused) as refused:
        models.publish(db, model, trainer)

    assert "F1 de intents 0.860 por debajo del mínimo 0.90" in str(refused.value)
    assert model.gate_passed is False
    assert models.live_model(db) is None
    assert db.scalar(sa.select(sa.func.count()).select_from(ModelPublication)) == 0


def test_the_gate_is_judged_against_the_model_live_at_publishing(db, make_model, trainer):
    tested_early = make_model(intent_f1=0.92)
    models.apply_gate(db, tested_early)
    assert tested_early.gate_passed is True
    models.publish(db, make_model(intent_f1=0.96), trainer)

    with pytest.raises(models.Refused):
        models.publish(db, tested_early, trainer)

    assert tested_early.gate_passed is False
    assert "frente al modelo en vivo (0.960)" in tested_early.gate_reasons[0]


def test_the_live_model_cannot_be_published_again(db, make_model, trainer):
    model = make_model()
    models.publish(db, model, trainer)

    with pytest.raises(models.Refused, match="ya está en vivo"):
        models.publish(db, model, trainer)


def test_a_model_whose_archive_is_gone_is_not_published(db, make_model, trainer):
    model = make_model()
    models.archive(model).unlink()

    with pytest.raises(models.Refused, match="archivo del modelo"):
        models.publish(db, model, trainer)


def test_rolling_back_puts_the_previous_model_live_and_again_the_one_before(
    db, make_model, trainer
):
    first, second, third = make_model(), make_model(), make_model()
    for model in (first, second, third):
        models.publish(db, model, trainer)

    models.rollback(db, trainer)
    assert models.live_model(db) == second
    models.rollback(db, trainer)
    assert models.live_model(db) == first

    with pytest.raises(models.Refused, match="modelo anterior"):
        models.rollback(db, trainer)
    history = db.execute(
        sa.select(ModelPublication.action, ModelPublication.model_id).order_by(ModelPublication.id)
    ).all()
    assert history == [
        ("publish", first.id),
        ("publish", second.id),
        ("publish", third.id),
        ("rollback", second.id),
        ("rollback", first.id),
    ]
    assert db.scalar(sa.select(sa.func.count()).filter(AuditEvent.action == "model.rolled_back"))


def test_rolling_back_with_a_single_publication_is_refused(db, make_model, trainer):
    models.publish(db, make_model(), trainer)

    with pytest.raises(models.Refused):
        models.rollback(db, trainer)


def test_republishing_after_a_rollback_makes_a_rollback_return_to_the_one_before(
    db, make_model, trainer
):
    first, second = make_model(), make_model()
    models.publish(db, first, trainer)
    models.publish(db, second, trainer)
    models.rollback(db, trainer)

    models.publish(db, second, trainer)
    models.rollback(db, trainer)

    assert models.live_model(db) == first


class FakeResponse:
    def __init__(self, status_code, body):
        self.status_code, self._body = status_code, body
        self.content = b"{}"

    def json(self):
        return self._body


def test_each_replica_says_which_model_it_has_loaded_or_that_it_does_not_answer(monkeypatch):
    answers = {
        "http://rasa-1:5005/webhooks/desk/": FakeResponse(200, {"status": "ok", "model_id": "a1"}),
        "http://rasa-2:5005/webhooks/desk/": FakeResponse(503, {"status": "loading"}),
    }

    def fake_get(url, **_kwargs):
        if url not in answers:
            raise requests.ConnectionError("refused")
        return answers[url]

    monkeypatch.setattr(models.requests, "get", fake_get)

    found = models.replicas(["http://rasa-1:5005", "http://rasa-2:5005/", "http://rasa-3:5005"])

    assert found == [
        models.Replica(1, "ok", "a1"),
        models.Replica(2, "loading", None),
        models.Replica(3, "unreachable", None),
    ]


def test_the_first_publication_keeps_the_shipped_model_to_roll_back_to(
    app, db, make_model, trainer, tmp_path
):
    shipped = tmp_path / "ventanilla.tar.gz"
    shipped.write_bytes(b"el modelo con el que salio el asistente")
    app.config["MODEL_FALLBACK_PATH"] = str(shipped)
    trained = make_model()

    models.publish(db, trained, trainer)
    models.rollback(db, trainer)

    back = models.live_model(db)
    assert back is not None and back.sha256 == hashlib.sha256(shipped.read_bytes()).hexdigest()
    assert models.archive(back).read_bytes() == shipped.read_bytes()  # a copy Rasa can pull
    assert models.served(db) == (models.archive(back), back.sha256)


def test_before_any_publication_a_model_is_judged_against_the_shipped_one(
    app, db, make_model, tmp_path
):
    shipped = tmp_path / "ventanilla.tar.gz"
    shipped.write_bytes(b"el modelo con el que salio el asistente")
    app.config["MODEL_FALLBACK_PATH"] = str(shipped)
    models.register_shipped(db, intent_f1=0.95, procedure_f1=0.97)

    worse = make_model(intent_f1=0.93, procedure_f1=0.97)  # above the floor, 0.02 lower

    assert not models.apply_gate(db, worse).passed
    assert models.running_model(db) == models.shipped_model(db)
