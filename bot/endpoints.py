"""Writes the Rasa server's endpoints file from the environment:
``python -m bot.endpoints instance/endpoints.yml``.

One file serves the embedded default and production. Rasa's own ``${VAR}``
substitution cannot leave out a section (the Redis lock store when there is no Redis),
and its tracker store needs a URL in parts, so the file is written at start-up:

- ``TRACKER_DATABASE_URL``: where Rasa keeps conversations. Default: SQLite in the
  instance folder. In production, PostgreSQL with the tracker in its own schema or
  database (Rasa's table is called ``events``), e.g.
  ``postgresql://rasa@db:5432/ventanilla?options=-csearch_path%3Drasa``: every Rasa
  server shares it, so any of them can carry on a conversation.
- ``REDIS_URL``: Rasa's Redis lock store, needed as soon as two Rasa servers run (the
  in-memory default locks only within one process).
- ``ACTION_SERVER_URL`` and ``ACTION_SERVER_TOKEN``: the action server, and the bearer
  token Rasa sends it (bot/action_server.py refuses calls without it).
- ``MODEL_SERVER_URL``, ``MODEL_SERVER_TOKEN`` and ``MODEL_PULL_SECONDS`` (default 10):
  the desk's model server (``<desk>/models/live``), which every Rasa server asks for the
  published model that often; publishing or rolling back in the desk reaches them all
  without a restart. Unset URL: the server keeps the model it started with.
- ``RASA_REPLICA``: this server's number (0, 1, 2…) among several, or ``random``. Each
  number waits a different whole number of seconds between pulls, within 20% of
  MODEL_PULL_SECONDS, so the servers' pulls drift apart instead of loading a new model
  (and pausing their answers) on the same beat. Unset: exactly MODEL_PULL_SECONDS.
"""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

DEFAULT_TRACKER = "sqlite:///instance/rasa_tracker.db"
DEFAULT_ACTIONS = "http://127.0.0.1:5055/webhook"
# A published model is live everywhere within this many seconds; each look that finds
# nothing new is one small request answered 304.
DEFAULT_PULL_SECONDS = 10
# How far a replica's wait may stray from MODEL_PULL_SECONDS (RASA_REPLICA).
PULL_JITTER = 0.2


def endpoints(environ: Mapping[str, str]) -> dict[str, Any]:
    token = environ.get("ACTION_SERVER_TOKEN", "")
    if not token:
        raise SystemExit("ACTION_SERVER_TOKEN is not set: Rasa could not call the action server")
    tracker = environ.get("TRACKER_DATABASE_URL") or DEFAULT_TRACKER
    # Rasa's SQLAlchemy 1.4 speaks to PostgreSQL through psycopg2, its default driver.
    tracker = tracker.replace("postgresql+psycopg://", "postgresql://", 1)
    tracker = tracker.replace("postgres://", "postgresql://", 1)
    config: dict[str, Any] = {
        "action_endpoint": {
            "url": environ.get("ACTION_SERVER_URL") or DEFAULT_ACTIONS,
            "headers": {"Authorization": f"Bearer {token}"},
        },
        # A full URL as "url": Rasa's SQL tracker store then uses it as it is.
        "tracker_store": {"type": "SQL", "url": tracker},
    }
    models = model_server(environ)
    if models:
        config["models"] = models
    redis_url = environ.get("REDIS_URL")
    if redis_url:
        parts = urlsplit(redis_url)
        lock: dict[str, Any] = {
            "type": "redis",
            "url": parts.hostname or "127.0.0.1",
            "port": parts.port or 6379,
            "db": int(parts.path.strip("/") or 0),
            "key_prefix": "ventanilla",
        }
        if parts.password:
            lock["password"] = parts.password
        config["lock_store"] = lock
    return config


def model_server(environ: Mapping[str, str]) -> dict[str, Any] | None:
    """Rasa's ``models:`` endpoint, when the desk's model server is configured."""
    url = environ.get("MODEL_SERVER_URL", "").strip()
    if not url:
        return None
    token = environ.get("MODEL_SERVER_TOKEN", "").strip()
    if not token:
        raise SystemExit(
            "MODEL_SERVER_URL is set but MODEL_SERVER_TOKEN is not: the desk would refuse "
            "every pull (set the same token as the desk's MODEL_SERVER_TOKEN)"
        )
    raw = environ.get("MODEL_PULL_SECONDS", "").strip() or str(DEFAULT_PULL_SECONDS)
    try:
        seconds = int(raw)
    except ValueError:
        raise SystemExit(f"MODEL_PULL_SECONDS={raw!r} is not a whole number of seconds") from None
    if seconds < 1:
        # Rasa reads 0 as "pull once at start": a publication would never arrive.
        raise SystemExit("MODEL_PULL_SECONDS must be at least 1")
    return {
        "url": url,
        "wait_time_between_pulls": pull_seconds(seconds, environ.get("RASA_REPLICA", "")),
        "headers": {"Authorization": f"Bearer {token}"},
    }


def pull_seconds(base: int, replica: str, choose: Callable[[list[int]], int] | None = None) -> int:
    """This server's wait between pulls. Rasa schedules pulls every that many whole
    seconds from its start, so servers started together pull together: different waits
    move them apart. Replica 0 keeps ``base``; then base+1, base-1, base+2… within
    PULL_JITTER of it, round again past the last."""
    replica = replica.strip()
    if not replica:
        return base
    spread = max(1, round(base * PULL_JITTER))
    waits = [base]
    for step in range(1, spread + 1):
        waits += [wait for wait in (base + step, base - step) if wait >= 1]
    if replica == "random":
        return (choose or random.SystemRandom().choice)(waits)
    try:
        number = int(replica)
    except ValueError:
        raise SystemExit(f"RASA_REPLICA={replica!r} is neither a number nor 'random'") from None
    if number < 0:
        raise SystemExit("RASA_REPLICA must be 0 or more")
    return waits[number % len(waits)]


def write(path: Path, environ: Mapping[str, str]) -> None:
    text = yaml.safe_dump(endpoints(environ), sort_keys=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The file holds the action and model servers' tokens: readable by its owner only.
    descriptor = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
    os.replace(path.with_suffix(".tmp"), path)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    write(Path(argv[1]), os.environ)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
