"""Settings: read from the environment, checked at start-up, with clear messages."""

from __future__ import annotations

import importlib.util
import re

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


def test_a_twilio_auth_token_without_its_account_is_refused(monkeypatch):
    """The sandbox (simulator on, unauthenticated) needs both Twilio variables absent:
    a token alone would have it sign with what is likely the real token."""
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "the-real-token")
    settings = {k: v for k, v in BASE_CONFIG.items() if k != "TWILIO_AUTH_TOKEN"}

    with pytest.raises(ConfigError) as refused:
        create_app(settings)

    assert "TWILIO_AUTH_TOKEN is set but TWILIO_ACCOUNT_SID is not" in str(refused.value)
    assert "or neither for the sandbox" in str(refused.value)


def test_both_twilio_variables_turn_the_sandbox_off(monkeypatch):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "the-real-token")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    settings = {k: v for k, v in BASE_CONFIG.items() if k != "TWILIO_AUTH_TOKEN"}

    app = create_app(settings)

    assert app.config["TWILIO_SANDBOX"] is False
    assert app.config["TWILIO_AUTH_TOKEN"] == "the-real-token"


def test_the_security_settings_and_their_defaults(monkeypatch):
    app = create_app(BASE_CONFIG)

    assert app.config["LOGIN_LIMIT_PER_ADDRESS"] == "10 per minute"
    assert app.config["LOGIN_LIMIT_PER_ACCOUNT"] == "5 per minute"
    assert app.config["SESSION_IDLE_MINUTES"] == 30
    assert app.config["TRUSTED_PROXIES"] == 0
    assert app.config["REDIS_URL"] is None

    for name, value in {
        "LOGIN_LIMIT_PER_ADDRESS": "20/hour",
        "LOGIN_LIMIT_PER_ACCOUNT": "3 per 10 minutes",
        "SESSION_IDLE_MINUTES": "15",
        "TRUSTED_PROXIES": "1",
    }.items():
        monkeypatch.setenv(name, value)
    app = create_app(BASE_CONFIG)

    assert app.config["LOGIN_LIMIT_PER_ADDRESS"] == "20/hour"
    assert app.config["LOGIN_LIMIT_PER_ACCOUNT"] == "3 per 10 minutes"
    assert app.config["SESSION_IDLE_MINUTES"] == 15
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 15 * 60
    assert app.config["TRUSTED_PROXIES"] == 1


@pytest.mark.parametrize(
    "env, problem",
    [
        ({"LOGIN_LIMIT_PER_ADDRESS": "lots"}, "LOGIN_LIMIT_PER_ADDRESS='lots' is not a rate limit"),
        ({"LOGIN_LIMIT_PER_ACCOUNT": "5 per fortnight"}, "LOGIN_LIMIT_PER_ACCOUNT="),
        ({"SESSION_IDLE_MINUTES": "0"}, "SESSION_IDLE_MINUTES must be at least 1"),
        ({"SESSION_IDLE_MINUTES": "half an hour"}, "SESSION_IDLE_MINUTES='half an hour'"),
        ({"TRUSTED_PROXIES": "-1"}, "TRUSTED_PROXIES is a number of proxies"),
        ({"REDIS_URL": "cache:6379"}, "must be a redis://"),
    ],
)
def test_bad_security_settings_stop_start_up(monkeypatch, env, problem):
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError, match=re.escape(problem)):
        create_app(BASE_CONFIG)


def test_redis_needs_its_client_library(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)

    with pytest.raises(ConfigError, match="the redis package is not installed"):
        create_app(BASE_CONFIG)
