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
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

DEFAULT_TRACKER = "sqlite:///instance/rasa_tracker.db"
DEFAULT_ACTIONS = "http://127.0.0.1:5055/webhook"


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


def write(path: Path, environ: Mapping[str, str]) -> None:
    text = yaml.safe_dump(endpoints(environ), sort_keys=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The file holds the action server's token: readable by its owner only, from the start.
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
