"""Publishing a model in the desk reaches every Rasa server without a restart, and so
does rolling back: two real Rasa servers pull from the desk's model server.

The models are the trained model repacked with a new ``model_id`` in its metadata, so
each one is told apart by what the servers report, without training three times.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from desk import create_app
from desk.db import get_session
from desk.training import models
from desk.training.runner import rasa_model_id
from tests.e2e.stack import MODEL, Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    running = Stack(tmp_path_factory.mktemp("models"), rasa_servers=2, model_server=True)
    running.workdir.mkdir(parents=True, exist_ok=True)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def desk(stack: Stack):
    """The desk's services, on the stack's own database and instance folder."""
    previous = os.environ.get("DESK_INSTANCE_PATH")
    os.environ["DESK_INSTANCE_PATH"] = str(stack.workdir / "instance")
    try:
        app = create_app(
            {
                "DATABASE_URL": stack.database_url,
                "TESTING": True,
                "DESK_API_TOKEN": stack.desk_token,
                "RASA_TOKEN": stack.rasa_token,
            }
        )
        with app.app_context():
            yield get_session()
    finally:
        if previous is None:
            os.environ.pop("DESK_INSTANCE_PATH", None)
        else:
            os.environ["DESK_INSTANCE_PATH"] = previous


def loaded(stack: Stack) -> list[str | None]:
    """The model each Rasa server reports; None for one busy loading a model (Rasa
    loads it on its event loop, so the server does not answer meanwhile)."""
    found = []
    for url in stack.rasa_urls:
        try:
            found.append(requests.get(f"{url}/webhooks/desk/", timeout=5).json().get("model_id"))
        except requests.RequestException:
            found.append(None)
    return found


def until_every_server_has(stack: Stack, model_id: str) -> float:
    start = time.monotonic()
    stack.wait_for(
        lambda: set(loaded(stack)) == {model_id}, f"every Rasa server on {model_id}", 180
    )
    return time.monotonic() - start


def variant(folder: Path) -> tuple[Path, str]:
    """The trained model with a new model_id, in the desk's models folder."""
    model_id = uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"variant-{model_id[:8]}.tar.gz"
    with (
        tarfile.open(MODEL, "r:gz") as source,
        tarfile.open(target, "w:gz", compresslevel=1) as out,
    ):
        for member in source.getmembers():
            data = source.extractfile(member) if member.isfile() else None
            if member.name == "metadata.json" and data is not None:
                metadata = json.load(data)
                metadata["model_id"] = model_id
                payload = json.dumps(metadata).encode()
                member.size = len(payload)
                out.addfile(member, io.BytesIO(payload))
            else:
                out.addfile(member, data)
    return target, model_id


def publish_variant(desk) -> str:
    """Publish a new variant that passes the gate; returns its model_id."""
    path, model_id = variant(models.models_folder())
    model = models.register(
        desk, path, intent_f1=0.93, procedure_f1=0.98, stories_passed=True, rasa_model_id=model_id
    )
    models.publish(desk, model, None)  # no agent: the audit trail says "system"
    desk.commit()
    return model_id


def test_publishing_and_rolling_back_reach_every_rasa_server(stack, desk):
    # Nothing published yet: the servers run the model the assistant shipped with.
    assert set(loaded(stack)) == {rasa_model_id(MODEL)}

    first_id = publish_variant(desk)
    took = until_every_server_has(stack, first_id)
    print(f"\npublish -> every Rasa server on the new model: {took:.1f} s")

    second_id = publish_variant(desk)
    until_every_server_has(stack, second_id)

    models.rollback(desk, None)
    desk.commit()
    took = until_every_server_has(stack, first_id)
    print(f"rollback -> every Rasa server on the previous model: {took:.1f} s")

    # The assistant still answers after two swaps.
    phone = "+5215510000777"
    assert stack.citizen_says(phone, "hola").status_code == 200
    stack.wait_for(lambda: stack.replies_to(phone), "an answer after the swaps", 60)
