"""The action server holds the desk's API token: only Rasa, with its own token, may call it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from bot.endpoints import endpoints

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def action_server():
    port = free_port()
    env = {**os.environ, "ACTION_SERVER_TOKEN": "the-token", "DESK_API_TOKEN": "x"}
    env.pop("SANIC_HOST", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.action_server", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.2)
    else:
        process.kill()
        raise AssertionError("the action server did not start")
    yield url
    process.terminate()
    process.wait(timeout=20)


CALL = {
    "next_action": "action_show_menu",
    "sender_id": "x",
    "tracker": {
        "sender_id": "x",
        "slots": {},
        "latest_message": {"text": "menu", "intent": {"name": "help_menu"}},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    },
    "domain": {},
    "version": "3.6.2",
}


def test_a_call_without_the_token_is_refused(action_server):
    assert requests.post(f"{action_server}/webhook", json=CALL, timeout=10).status_code == 401
    forged = {"Authorization": "Bearer guess"}
    answer = requests.post(f"{action_server}/webhook", json=CALL, headers=forged, timeout=10)
    assert answer.status_code == 401
    assert requests.get(f"{action_server}/actions", timeout=10).status_code == 401


def test_rasa_with_the_token_gets_its_answer(action_server):
    headers = {"Authorization": "Bearer the-token"}

    answer = requests.post(f"{action_server}/webhook", json=CALL, headers=headers, timeout=30)

    assert answer.status_code == 200
    assert any("1 Llave MX" in said["text"] for said in answer.json()["responses"])


def test_it_listens_on_this_machine_only_by_default(action_server):
    port = int(action_server.rsplit(":", 1)[1])
    others = [
        address
        for *_rest, (address, *_port) in socket.getaddrinfo(socket.gethostname(), None)
        if not address.startswith("127.") and ":" not in address
    ]
    for address in others:
        with socket.socket() as sock, pytest.raises(OSError):
            sock.settimeout(1)
            sock.connect((address, port))


def test_rasa_is_told_the_token_and_the_shared_stores():
    config = endpoints(
        {
            "ACTION_SERVER_TOKEN": "t0k",
            "TRACKER_DATABASE_URL": "postgresql+psycopg://rasa@db:5432/v?options=-csearch_path%3Drasa",
            "REDIS_URL": "redis://:pw@cache:6380/2",
        }
    )

    assert config["action_endpoint"]["headers"] == {"Authorization": "Bearer t0k"}
    assert config["tracker_store"] == {
        "type": "SQL",
        "url": "postgresql://rasa@db:5432/v?options=-csearch_path%3Drasa",
    }
    assert config["lock_store"] == {
        "type": "redis",
        "url": "cache",
        "port": 6380,
        "db": 2,
        "key_prefix": "ventanilla",
        "password": "pw",
    }


def test_without_redis_there_is_no_lock_store_section_and_sqlite_by_default():
    config = endpoints({"ACTION_SERVER_TOKEN": "t0k"})

    assert "lock_store" not in config
    assert config["tracker_store"]["url"].startswith("sqlite:///")


def test_without_a_token_rasa_is_not_configured_at_all():
    with pytest.raises(SystemExit):
        endpoints({})


def test_rasa_pulls_the_live_model_from_the_desk_when_a_model_server_is_set():
    written = endpoints(
        {
            "ACTION_SERVER_TOKEN": "a",
            "MODEL_SERVER_URL": "http://desk:5000/models/live",
            "MODEL_SERVER_TOKEN": "m",
            "MODEL_PULL_SECONDS": "15",
        }
    )

    assert written["models"] == {
        "url": "http://desk:5000/models/live",
        "wait_time_between_pulls": 15,
        "headers": {"Authorization": "Bearer m"},
    }


def test_without_a_model_server_rasa_keeps_the_model_it_started_with():
    assert "models" not in endpoints({"ACTION_SERVER_TOKEN": "a"})


@pytest.mark.parametrize(
    "settings",
    [
        {"MODEL_SERVER_URL": "http://desk:5000/models/live"},  # no token: every pull refused
        {"MODEL_SERVER_URL": "http://d/m", "MODEL_SERVER_TOKEN": "m", "MODEL_PULL_SECONDS": "0"},
    ],
)
def test_a_model_server_rasa_could_not_use_stops_the_start(settings):
    with pytest.raises(SystemExit):
        endpoints({"ACTION_SERVER_TOKEN": "a", **settings})
