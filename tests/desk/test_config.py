"""Settings: read from the environment, checked at start-up, with clear messages."""

from __future__ import annotations

import pytest

from desk import config, create_app
from desk.config import ConfigError
from tests.desk.conftest import BASE_CONFIG


@pytest.fixture(autouse=True)
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_INSTANCE_PATH", str(tmp_path))
    for name in config.SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_the_embedded_default_needs_only_the_shared_tokens(instance, monkeypatch):
    monkeypatch.setenv("DESK_API_TOKEN", "a")
    monkeypatch.setenv("RASA_TOKEN", "b")

    app = create_app()

    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'ventanilla.db'}"
    assert app.config["TWILIO_SANDBOX"] is True
    assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
    # The signature check stays on in the sandbox, with a token generated once.
    token = app.config["TWILIO_AUTH_TOKEN"]
    assert len(token) > 20
    assert create_app().config["TWILIO_AUTH_TOKEN"] == token


def test_the_environment_is_read_and_typed(monkeypatch):
    monkeypatch.setenv("BOT_GIVE_UP_SECONDS", "45")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/ventanilla")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://cab.example.gob.mx/")

    app = create_app({k: v for k, v in BASE_CONFIG.items() if k != "PUBLIC_BASE_URL"})

    assert app.config["BOT_GIVE_UP_SECONDS"] == 45
    assert app.config["DATABASE_URL"] == "postgresql+psycopg://u@db/ventanilla"
    assert app.config["PUBLIC_BASE_URL"] == "https://cab.example.gob.mx"
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    "env, problem",
    [
        ({"BOT_GIVE_UP_SECONDS": "soon"}, "BOT_GIVE_UP_SECONDS='soon' is not a valid int"),
        ({"PUBLIC_BASE_URL": "cab.example.gob.mx"}, "must be an absolute http(s) URL"),
        ({"TWILIO_ACCOUNT_SID": "AC123"}, "TWILIO_AUTH_TOKEN is not"),
    ],
)
def test_bad_settings_stop_start_up_with_a_clear_message(monkeypatch, env, problem):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = {k: v for k, v in BASE_CONFIG.items() if k not in env and k != "TWILIO_AUTH_TOKEN"}

    with pytest.raises(ConfigError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        create_app(settings)


def test_missing_shared_tokens_are_named():
    with pytest.raises(ConfigError, match="DESK_API_TOKEN is not set"):
        create_app({"TESTING": True})
