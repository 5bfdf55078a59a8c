"""A copy of the catalog as the desk's TRAINING_DATA_ROOT, and a signed-in trainer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[3]


@pytest.fixture
def root(app, tmp_path):
    """A copy of data/procedures: edits never write the real catalog."""
    copy = tmp_path / "repo"
    shutil.copytree(REPOSITORY / "data" / "procedures", copy / "data" / "procedures")
    app.config["TRAINING_DATA_ROOT"] = str(copy)
    return copy


@pytest.fixture
def trainer(client, make_agent):
    agent = make_agent(email="tere.entrenadora@cab.gob.mx", name="Teresa Ruiz", role="trainer")
    response = client.post("/login", data={"email": agent.email, "password": "contraseña-segura"})
    assert response.status_code == 302
    return agent
