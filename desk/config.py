"""Settings read from the environment, checked once at start-up.

Every key is documented in README.md. A test passes its own mapping to
``create_app(config)``; it wins over the environment.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


# name -> (default, parser). A default of None means "not set".
_INT = int
_FLOAT = float


def _str(value: str) -> str:
    return value.strip()


SETTINGS: dict[str, tuple[Any, Any]] = {
    "DATABASE_URL": (None, _str),  # default: SQLite in the instance folder
    "PUBLIC_BASE_URL": ("http://127.0.0.1:5000", _str),
    "SECRET_KEY": (None, _str),  # default: generated once into the instance folder
    "TWILIO_ACCOUNT_SID": (None, _str),
    "TWILIO_AUTH_TOKEN": (None, _str),  # sandbox default: generated, like SECRET_KEY
    "TWILIO_API_BASE_URL": (None, _str),
    "RASA_URL": ("http://127.0.0.1:5005", _str),
    "RASA_TOKEN": (None, _str),
    "DESK_API_TOKEN": (None, _str),
    "RASA_TIMEOUT_SECONDS": (20.0, _FLOAT),
    # How long a message may wait for the assistant before the citizen gets an
    # apology and a case; Twilio-side patience is not the limit, the citizen's is.
    "BOT_GIVE_UP_SECONDS": (120, _INT),
    "SEND_GIVE_UP_SECONDS": (3600, _INT),
    # SQLite has no LISTEN/NOTIFY: the worker polls (an indexed query); PostgreSQL wakes it.
    "WORKER_POLL_SECONDS": (0.2, _FLOAT),
    "CASES_PER_PAGE": (25, _INT),
}


def from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """Parse the known keys present in ``environ``; a bad value stops start-up."""
    parsed: dict[str, Any] = {}
    for name, (_default, parse) in SETTINGS.items():
        raw = environ.get(name)
        if raw is None or raw.strip() == "":
            continue
        try:
            parsed[name] = parse(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a valid {parse.__name__}") from None
    return parsed


def defaults() -> dict[str, Any]:
    return {name: default for name, (default, _parse) in SETTINGS.items()}


def finalize(config: dict[str, Any], instance_path: Path) -> None:
    """Fill derived defaults in place and reject inconsistent settings."""
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{instance_path / 'ventanilla.db'}"
    config["DATABASE_URL"] = _normalize_database_url(config["DATABASE_URL"])

    base = urlparse(config["PUBLIC_BASE_URL"])
    if base.scheme not in ("http", "https") or not base.netloc:
        raise ConfigError(
            f"PUBLIC_BASE_URL={config['PUBLIC_BASE_URL']!r} must be an absolute http(s) URL, "
            "the address Twilio calls (for example https://ventanilla.example.gob.mx)"
        )
    config["PUBLIC_BASE_URL"] = config["PUBLIC_BASE_URL"].rstrip("/")

    config["TWILIO_SANDBOX"] = not config.get("TWILIO_ACCOUNT_SID")
    if not config["TWILIO_SANDBOX"] and not config.get("TWILIO_AUTH_TOKEN"):
        raise ConfigError("TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is not")

    # Secrets: real deployments set them; the embedded default generates them once
    # so that a fresh clone runs with the signature check still switched on.
    for name in ("SECRET_KEY", "TWILIO_AUTH_TOKEN"):
        if not config.get(name):
            config[name] = _instance_secret(instance_path, name.lower())
    for name in ("DESK_API_TOKEN", "RASA_TOKEN"):
        if not config.get(name):
            raise ConfigError(
                f"{name} is not set. It is shared with the Rasa side; `make run` generates "
                "one into instance/dev.env, a deployment sets it in the environment."
            )


def _normalize_database_url(url: str) -> str:
    # psycopg 3 is the driver; accept the plain scheme operators usually write.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret(instance_path: Path, name: str) -> str:
    path = instance_path / f"{name}.secret"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    # Written aside and linked into place: when the web server and the worker
    # start together, the first secret wins and nobody reads a half-written file.
    tmp = instance_path / f".{name}.{os.getpid()}.tmp"
    tmp.write_text(secrets.token_urlsafe(32))
    tmp.chmod(0o600)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()
