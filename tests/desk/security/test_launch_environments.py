"""`make run` gives each Procfile process only the settings it needs
(desk.launch.PROCESS_SETTINGS); nothing is started here."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk import launch

ROOT = Path(__file__).resolve().parents[3]
DESK_ONLY = ("SECRET_KEY", "DATABASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")
EVERYTHING = {
    # the desk's settings
    "DATABASE_URL": "postgresql://desk:pw@db/ventanilla",
    "SECRET_KEY": "s",
    "TWILIO_ACCOUNT_SID": "AC1",
    "TWILIO_AUTH_TOKEN": "t",
    "TWILIO_API_BASE_URL": "http://127.0.0.1:8099",
    "PUBLIC_BASE_URL": "https://cab.example.gob.mx",
    "RASA_URL": "http://127.0.0.1:5005",
    "RASA_TOKEN": "r",
    "DESK_API_TOKEN": "d",
    "REDIS_URL": "redis://cache:6379/0",
    "BOT_GIVE_UP_SECONDS": "120",
    "MODEL_SERVER_TOKEN": "m",
    "TRAINING_DATA_ROOT": "/srv/ventanilla",
    # the bot side's
    "ACTION_SERVER_TOKEN": "a",
    "TRACKER_DATABASE_URL": "postgresql://rasa:pw@db/tracker",
    "DESK_URL": "http://127.0.0.1:5000",
    # not secret
    "PATH": "/usr/bin:/bin",
    "HOME": "/home/ana",
    "PORT": "5000",
    "HOST": "127.0.0.1",
    "RASA_TELEMETRY_ENABLED": "false",
    "DESK_INSTANCE_PATH": "/srv/instance",
    "HTTP_PROXY": "http://proxy:3128",
    # secrets nobody declared
    "AWS_SECRET_ACCESS_KEY": "x",
    "GITHUB_TOKEN": "y",
    "SENTRY_DSN": "https://key:secret@sentry.example/1",
}
NOT_SECRET = {
    "PATH",
    "HOME",
    "PORT",
    "HOST",
    "RASA_TELEMETRY_ENABLED",
    "DESK_INSTANCE_PATH",
    "HTTP_PROXY",
}


def seen_by(process: str) -> set[str]:
    return set(launch.process_environment(process, EVERYTHING))


@pytest.mark.parametrize("process", ["desk", "worker"])
def test_the_desk_and_its_worker_get_the_desk_settings(process):
    expected = {
        "DATABASE_URL", "SECRET_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
        "TWILIO_API_BASE_URL", "PUBLIC_BASE_URL", "RASA_URL", "RASA_TOKEN", "DESK_API_TOKEN",
        "REDIS_URL", "BOT_GIVE_UP_SECONDS", "MODEL_SERVER_TOKEN", "TRAINING_DATA_ROOT",
    }  # fmt: skip

    assert seen_by(process) == expected | NOT_SECRET


def test_rasa_gets_its_tokens_redis_and_its_tracker_but_none_of_the_desk_secrets():
    assert seen_by("rasa") == {
        "RASA_TOKEN", "ACTION_SERVER_TOKEN", "REDIS_URL", "TRACKER_DATABASE_URL",
        "MODEL_SERVER_TOKEN",  # to pull the live model from the desk
    } | NOT_SECRET  # fmt: skip
    assert not seen_by("rasa") & {"SECRET_KEY", "DESK_API_TOKEN", "DATABASE_URL"}
    assert not {name for name in seen_by("rasa") if name.startswith("TWILIO_")}


def test_the_action_server_gets_only_what_it_needs_to_call_the_desk():
    assert seen_by("actions") == {"DESK_API_TOKEN", "DESK_URL", "ACTION_SERVER_TOKEN"} | NOT_SECRET


def test_the_desk_secrets_reach_only_the_desk_and_its_worker():
    for process in launch.PROCESS_SETTINGS:
        if process not in ("desk", "worker", "trainer"):
            assert not seen_by(process) & set(DESK_ONLY), process


def test_the_training_runner_gets_the_database_and_its_own_settings_only():
    assert seen_by("trainer") == {"DATABASE_URL", "TRAINING_DATA_ROOT"} | NOT_SECRET


def test_undeclared_secrets_reach_no_process():
    for process in launch.PROCESS_SETTINGS:
        assert not seen_by(process) & {"AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "SENTRY_DSN"}


def test_values_are_passed_unchanged():
    assert launch.process_environment("actions", EVERYTHING)["DESK_API_TOKEN"] == "d"
    assert launch.process_environment("rasa", EVERYTHING)["PATH"] == "/usr/bin:/bin"


def test_a_procfile_process_missing_from_the_table_is_refused():
    with pytest.raises(KeyError, match="PROCESS_SETTINGS"):
        launch.processes(EVERYTHING, "metrics: ./export-metrics\n")


def test_every_process_of_the_real_procfile_has_its_environment():
    started = launch.processes(EVERYTHING, (ROOT / "Procfile").read_text())

    names = [params.name for params in started]
    assert names == ["desk.1", "worker.1", "trainer.1", "rasa.1", "actions.1"]
    by_name = {params.name.removesuffix(".1"): params for params in started}
    for name, params in by_name.items():
        expected = seen_by(name) | {"HONCHO_PROCESS_NAME"}
        assert set(params.env) == expected, name
    assert "SECRET_KEY" not in by_name["actions"].env


def test_ports_are_assigned_as_honcho_start_does():
    started = {
        p.name: p.env["PORT"]
        for p in launch.processes(EVERYTHING | {"PORT": "8000"}, "desk: a\nworker: b\n")
    }

    assert started == {"desk.1": "8000", "worker.1": "8100"}


def test_the_desk_settings_follow_the_settings_table():
    from desk.config import SETTINGS

    assert set(launch.PROCESS_SETTINGS["desk"]) == set(SETTINGS)
    assert set(launch.PROCESS_SETTINGS["worker"]) == set(SETTINGS)


def test_on_make_run_rasa_pulls_the_published_model_from_the_desk(tmp_path, monkeypatch):
    """A trainer's publication reaches the assistant of `make run` as in production:
    one generated token on both sides, and the desk's own model server."""
    monkeypatch.chdir(tmp_path)
    for name in ("MODEL_SERVER_TOKEN", "MODEL_SERVER_URL", "PORT"):
        monkeypatch.delenv(name, raising=False)
    env = launch.environment()

    desk = launch.process_environment("desk", env)
    rasa = launch.process_environment("rasa", env)

    assert desk["MODEL_SERVER_TOKEN"] == rasa["MODEL_SERVER_TOKEN"]
    assert len(rasa["MODEL_SERVER_TOKEN"]) >= 32
    assert rasa["MODEL_SERVER_URL"] == "http://127.0.0.1:5000/models/live"
