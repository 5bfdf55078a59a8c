"""The model server, as Rasa's protocol expects: each Rasa server asks with the
fingerprint of its model, and gets 304 while it is the live one, the archive otherwise."""

from __future__ import annotations

import hashlib

import pytest

from desk.training import models
from desk.training.model_views import server_bp

TOKEN = "token-del-servidor-de-modelos"


@pytest.fixture
def server(app):
    """The model server switched on (registered here until create_app does it)."""
    if server_bp.name not in app.blueprints:
        app.register_blueprint(server_bp)
    app.config["MODEL_SERVER_TOKEN"] = TOKEN
    return app


@pytest.fixture
def make_model(app, db):
    folder = models.models_folder()
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def make():
        number = next(counter)
        path = folder / f"20260312-1015{number:02d}-tramites.tar.gz"
        path.write_bytes(f"archivo de modelo {number}".encode())
        model = models.register(db, path, intent_f1=0.94, procedure_f1=0.95, stories_passed=True)
        db.commit()
        return model

    return make


@pytest.fixture
def trainer(make_agent):
    return make_agent(email="tere.entrenadora@cab.gob.mx", name="Teresa Ruiz", role="trainer")


def pull(client, token=TOKEN, fingerprint=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if fingerprint is not None:
        headers["If-None-Match"] = fingerprint
    response = client.get("/models/live", headers=headers)
    body = response.get_data()
    response.close()
    return response, body


@pytest.mark.parametrize("token", [None, "otro-token", TOKEN + "x"])
def test_a_pull_without_the_right_token_gets_401(server, client, db, make_model, trainer, token):
    models.publish(db, make_model(), trainer)

    response, body = pull(client, token=token)

    assert response.status_code == 401
    assert b"archivo de modelo" not in body


def test_with_no_token_configured_the_model_server_is_off(server, client):
    server.config["MODEL_SERVER_TOKEN"] = None

    assert pull(client, token="")[0].status_code == 404
    assert pull(client, token="cualquiera")[0].status_code == 404


def test_with_nothing_published_rasa_gets_the_model_the_assistant_shipped_with(
    server, app, client, tmp_path
):
    shipped = tmp_path / "ventanilla.tar.gz"
    shipped.write_bytes(b"the model make train built")
    app.config["MODEL_FALLBACK_PATH"] = str(shipped)
    sha256 = hashlib.sha256(b"the model make train built").hexdigest()

    # A Rasa server with a models: endpoint ignores its --model: given nothing, it
    # would have no model at all.
    response, body = pull(client)
    assert (response.status_code, body) == (200, b"the model make train built")
    assert response.headers["ETag"] == f'"{sha256}"'
    assert pull(client, fingerprint=sha256)[0].status_code == 304


def test_with_nothing_published_and_no_shipped_model_the_answer_is_404(
    server, app, client, make_model, tmp_path
):
    app.config["MODEL_FALLBACK_PATH"] = str(tmp_path / "missing.tar.gz")
    make_model()

    assert pull(client)[0].status_code == 404


def test_the_live_model_comes_with_its_hash_as_etag_and_a_filename(
    server, client, db, make_model, trainer
):
    model = make_model()
    models.publish(db, model, trainer)

    response, body = pull(client)

    assert response.status_code == 200
    assert body == b"archivo de modelo 1"
    assert response.headers["ETag"] == f'"{model.sha256}"'
    assert response.headers["filename"] == f"{model.sha256[:12]}.tar.gz"
    assert response.headers["Content-Type"] == "application/gzip"


@pytest.mark.parametrize("quoted", [True, False])
def test_a_replica_that_has_the_live_model_gets_304(
    server, client, db, make_model, trainer, quoted
):
    model = make_model()
    models.publish(db, model, trainer)
    fingerprint = f'"{model.sha256}"' if quoted else model.sha256

    response, body = pull(client, fingerprint=fingerprint)

    assert response.status_code == 304
    assert body == b""


def test_a_replica_with_an_older_model_gets_the_new_one(server, client, db, make_model, trainer):
    old, new = make_model(), make_model()
    models.publish(db, old, trainer)
    models.publish(db, new, trainer)

    response, body = pull(client, fingerprint=f'"{old.sha256}"')

    assert response.status_code == 200 and body == b"archivo de modelo 2"


def test_after_a_rollback_the_etag_is_the_previous_models_again(
    server, client, db, make_model, trainer
):
    old, new = make_model(), make_model()
    models.publish(db, old, trainer)
    models.publish(db, new, trainer)
    assert pull(client)[0].headers["ETag"] == f'"{new.sha256}"'

    models.rollback(db, trainer)

    response, body = pull(client, fingerprint=f'"{new.sha256}"')
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{old.sha256}"'
    assert body == b"archivo de modelo 1"
    assert pull(client, fingerprint=f'"{old.sha256}"')[0].status_code == 304
