"""/healthz says the process is up; /readyz says whether it can do its work."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desk import create_app
from desk.db import utcnow
from desk.ops import heartbeat
from tests.desk.conftest import BASE_CONFIG


@pytest.fixture
def ready(app, db, rasa_server):
    """Everything /readyz looks at is up: one Rasa server, a worker that just beat."""
    rasa = rasa_server()
    app.config["RASA_URL"] = rasa.url
    heartbeat.beat(db, "worker-a")
    return rasa


def test_healthz_answers_ok_without_a_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_the_existing_health_route_still_answers(client):
    assert client.get("/health").get_json() == {"status": "ok"}


def test_healthz_does_not_touch_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_INSTANCE_PATH", str(tmp_path))
    down = "postgresql://desk:s3cret-pw@127.0.0.1:1/ventanilla"
    app = create_app(BASE_CONFIG | {"DATABASE_URL": down})

    assert app.test_client().get("/healthz").status_code == 200
    assert app.test_client().get("/readyz").status_code == 503


def test_readyz_is_200_when_the_database_rasa_and_a_worker_are_up(client, ready):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {
            "database": {"ok": True, "state": "ok"},
            "rasa": {"ok": True, "state": "ok", "servers": [{"server": 1, "state": "ok"}]},
            "worker": {"ok": True, "state": "ok", "age_seconds": 0},
        },
    }
    assert ready.paths == ["/webhooks/desk/"]


def test_readyz_asks_every_rasa_server_and_fails_when_one_is_down(
    app, client, ready, closed_port_url
):
    app.config["RASA_URL"] = f"{ready.url}, {closed_port_url}/"

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not ready"
    assert body["checks"]["rasa"] == {
        "ok": False,
        "state": "1 of 2 unreachable",
        "servers": [{"server": 1, "state": "ok"}, {"server": 2, "state": "unreachable"}],
    }
    assert body["checks"]["database"]["ok"] and body["checks"]["worker"]["ok"]


def test_a_rasa_server_that_answers_an_error_is_not_ready(app, client, ready, rasa_server):
    app.config["RASA_URL"] = rasa_server(status=503).url

    rasa = client.get("/readyz").get_json()["checks"]["rasa"]

    assert rasa["ok"] is False
    assert rasa["servers"] == [{"server": 1, "state": "http 503"}]


def test_a_slow_rasa_server_times_out_within_the_setting(app, client, ready, rasa_server):
    app.config["READY_RASA_TIMEOUT_SECONDS"] = 0.2
    app.config["RASA_URL"] = ",".join(rasa_server(delay=1.0).url for _ in range(3))

    response = client.get("/readyz")

    assert response.status_code == 503
    servers = response.get_json()["checks"]["rasa"]["servers"]
    assert [server["state"] for server in servers] == ["timeout"] * 3


def test_the_default_wait_for_rasa_is_two_seconds(app):
    assert app.config["READY_RASA_TIMEOUT_SECONDS"] == 2.0
    assert app.config["WORKER_HEARTBEAT_MAX_AGE_SECONDS"] == 30.0


def test_readyz_fails_when_no_worker_ever_beat(client, app, rasa_server):
    app.config["RASA_URL"] = rasa_server().url

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["checks"]["worker"] == {"ok": False, "state": "no worker"}


def test_readyz_fails_when_the_freshest_heartbeat_is_older_than_the_setting(
    client, app, db, rasa_server
):
    app.config["RASA_URL"] = rasa_server().url
    heartbeat.beat(db, "worker-a", now=utcnow() - timedelta(seconds=45))
    heartbeat.beat(db, "worker-b", now=utcnow() - timedelta(seconds=31))

    response = client.get("/readyz")

    assert response.status_code == 503
    worker = response.get_json()["checks"]["worker"]
    assert (worker["ok"], worker["state"]) == (False, "stale")
    assert 31 <= worker["age_seconds"] <= 33

    app.config["WORKER_HEARTBEAT_MAX_AGE_SECONDS"] = 60
    assert client.get("/readyz").status_code == 200


def test_a_worker_that_retired_no_longer_makes_the_desk_ready(client, db, ready):
    heartbeat.retire(db, "worker-a")

    assert client.get("/readyz").status_code == 503


def test_readyz_names_each_failing_check_and_shows_no_secret_or_trace(
    tmp_path, monkeypatch, caplog, closed_port_url
):
    monkeypatch.setenv("DESK_INSTANCE_PATH", str(tmp_path))
    rasa = closed_port_url.replace("http://", "http://rasa-user:rasa-pw@")
    app = create_app(
        BASE_CONFIG
        | {
            "DATABASE_URL": "postgresql://desk:s3cret-pw@127.0.0.1:1/ventanilla",
            "RASA_URL": rasa,
        }
    )

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.get_json() == {
        "status": "not ready",
        "checks": {
            "database": {"ok": False, "state": "unavailable"},
            "rasa": {
                "ok": False,
                "state": "1 of 1 unreachable",
                "servers": [{"server": 1, "state": "unreachable"}],
            },
            "worker": {"ok": False, "state": "unknown"},
        },
    }
    for secret in ("s3cret-pw", "rasa-pw", "rasa-user", "127.0.0.1", "Traceback"):
        assert secret not in response.get_data(as_text=True)
        assert secret not in caplog.text
