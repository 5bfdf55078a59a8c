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


_REPOSITORY = Path(__file__).resolve().parent.parent  # the checkout the desk runs from

SETTINGS: dict[str, tuple[Any, Any]] = {
    "DATABASE_URL": (None, _str),  # default: SQLite in the instance folder
    "PUBLIC_BASE_URL": ("http://127.0.0.1:5000", _str),
    "SECRET_KEY": (None, _str),  # default: generated once into the instance folder
    # Agents' web security (desk/security): login attempts allowed per client address and
    # per account tried ("10 per minute", "100/hour"…), minutes without a request before a
    # session ends, how many reverse proxies' X-Forwarded-For to believe, and Redis for the
    # login counters (without it they are kept in the database).
    "LOGIN_LIMIT_PER_ADDRESS": ("10 per minute", _str),
    "LOGIN_LIMIT_PER_ACCOUNT": ("5 per minute", _str),
    "SESSION_IDLE_MINUTES": (30, _INT),
    "TRUSTED_PROXIES": (0, _INT),
    "REDIS_URL": (None, _str),
    "TWILIO_ACCOUNT_SID": (None, _str),
    "TWILIO_AUTH_TOKEN": (None, _str),  # sandbox default: generated, like SECRET_KEY
    "TWILIO_API_BASE_URL": (None, _str),
    # One Rasa server, or several separated by commas: each conversation keeps to one.
    "RASA_URL": ("http://127.0.0.1:5005", _str),
    "RASA_TOKEN": (None, _str),
    "DESK_API_TOKEN": (None, _str),
    # Below the worker's two-minute lease, so a turn never outlives its claim.
    "RASA_TIMEOUT_SECONDS": (20.0, _FLOAT),
    "TWILIO_TIMEOUT_SECONDS": (15.0, _FLOAT),
    # How long a message may wait for the assistant before the citizen gets an
    # apology and a case; Twilio-side patience is not the limit, the citizen's is.
    "BOT_GIVE_UP_SECONDS": (120, _INT),
    "SEND_GIVE_UP_SECONDS": (3600, _INT),
    # New work wakes the worker at once (NOTIFY on PostgreSQL, its socket on SQLite); it
    # also looks every so often, for retries whose time has come and missed wake-ups.
    "WORKER_POLL_SECONDS": (1.0, _FLOAT),
    # Messages in progress at once, per worker process: Rasa and Twilio are network waits.
    "WORKER_INBOUND_THREADS": (16, _INT),
    "WORKER_OUTBOUND_THREADS": (16, _INT),
    # The worker lowers its CPU priority by this much (os.nice): where it shares a
    # machine with the web process, a webhook Twilio is waiting on goes first, and a
    # reply waits a few milliseconds more. 0 leaves it as it started.
    "WORKER_NICE": (10, _INT),
    # A message whose worker stopped before finishing it this many times (or that failed
    # in a way retrying cannot fix) goes to a person instead of blocking its conversation.
    "MESSAGE_MAX_ATTEMPTS": (5, _INT),
    # How long a claimed message is a worker's alone; past it, a worker that died or
    # hung loses it to another. Longer than any call to Rasa (RASA_TIMEOUT_SECONDS).
    "WORKER_LEASE_SECONDS": (120, _INT),
    "CASES_PER_PAGE": (25, _INT),
    # The trainers' review inbox (desk/training): the repository whose data/nlu, tests/nlu
    # and bot/domain confirmed examples are written into (default: the one the desk runs
    # from), and the assistant's confidence below which a message waits for review.
    "TRAINING_DATA_ROOT": (str(_REPOSITORY), _str),
    # The training runner (desk/training/runner.py): the commands it runs in
    # TRAINING_DATA_ROOT (empty: the bot environment's `rasa train`, `rasa test nlu` and
    # `rasa test core`;
    # {out} {name} {model} {results} are filled in), and how long a running job may go
    # without a sign of life from its runner before it is failed.
    "TRAINING_COMMAND": ("", _str),
    "TRAINING_TEST_COMMAND": ("", _str),
    "TRAINING_STORIES_COMMAND": ("", _str),
    "TRAINING_JOB_STALE_SECONDS": (600, _INT),
    # The training runner, and the `rasa train` and `rasa test` it starts, lower their CPU
    # priority by this much: a retrain on the machine that answers citizens takes both
    # cores for minutes, and the citizens' answers go first. 0 leaves it.
    "TRAINING_NICE": (15, _INT),
    "REVIEW_CONFIDENCE_BELOW": (0.6, _FLOAT),
    # What the model server hands Rasa while no model was ever published in the desk:
    # the model the assistant shipped with (make train).
    "MODEL_FALLBACK_PATH": (str(_REPOSITORY / "models" / "ventanilla.tar.gz"), _str),
    # The token every Rasa server sends to pull the live model from /models/live (the
    # same value in their MODEL_SERVER_TOKEN). Unset: the model server is off (404).
    "MODEL_SERVER_TOKEN": (None, _str),
    # Citizens' attachments (desk/media): where the copies are kept (default: the
    # instance folder's media/), the largest file taken, and the longest download.
    "MEDIA_FOLDER": (None, _str),
    "MEDIA_MAX_BYTES": (10 * 1024 * 1024, _INT),
    "MEDIA_FETCH_SECONDS": (60.0, _FLOAT),
    # Live updates (desk/live, docs/live-updates.md): how often each web process looks
    # for changes while pages listen, how long a stream lasts before the page opens the
    # next, and how often a quiet stream says it is alive (proxies close silent ones).
    "LIVE_POLL_SECONDS": (1.0, _FLOAT),
    "LIVE_STREAM_SECONDS": (300.0, _FLOAT),
    "LIVE_HEARTBEAT_SECONDS": (15.0, _FLOAT),
    # How often the worker looks for periodic jobs that are due (desk/jobs.py).
    "WORKER_JOBS_SECONDS": (5.0, _FLOAT),
    # The largest request body, in bytes: Twilio's webhooks are a few KB. Flask answers 413
    # past it, and a chunked body (no Content-Length) is cut off there while it is read.
    "MAX_CONTENT_LENGTH": (64 * 1024, _INT),
    # Operations (desk/ops): how often a worker says it is alive, how old the freshest
    # beat may be for /readyz, and how long /readyz waits for each Rasa server.
    "WORKER_HEARTBEAT_SECONDS": (5.0, _FLOAT),
    "WORKER_HEARTBEAT_MAX_AGE_SECONDS": (30.0, _FLOAT),
    "READY_RASA_TIMEOUT_SECONDS": (2.0, _FLOAT),
    # Unset: single-process metrics. Set (in the environment of every desk process):
    # all processes' metrics in one directory; see desk/ops/metrics.py.
    "PROMETHEUS_MULTIPROC_DIR": (None, _str),
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
    # The sandbox is for when neither Twilio variable is set. A token alone would turn
    # the unauthenticated simulator on, signing with what is likely the real token.
    # (A test's own mapping may still give the sandbox a known token to sign with.)
    if config["TWILIO_SANDBOX"] and (os.environ.get("TWILIO_AUTH_TOKEN") or "").strip():
        raise ConfigError(
            "TWILIO_AUTH_TOKEN is set but TWILIO_ACCOUNT_SID is not. Set both to use "
            "Twilio, or neither for the sandbox (it generates its own development token)."
        )

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
    # A call to Rasa that outlived the worker's lease would let a second worker run the
    # same turn beside it: the timeout stays well inside the lease.
    if config["RASA_TIMEOUT_SECONDS"] * 2 > config["WORKER_LEASE_SECONDS"]:
        raise ConfigError(
            f"RASA_TIMEOUT_SECONDS={config['RASA_TIMEOUT_SECONDS']} must be at most half of "
            f"WORKER_LEASE_SECONDS={config['WORKER_LEASE_SECONDS']}"
        )

    # Web security (desk/security).
    import importlib.util
    from datetime import timedelta

    from limits import parse_many

    for name in ("LOGIN_LIMIT_PER_ADDRESS", "LOGIN_LIMIT_PER_ACCOUNT"):
        try:
            parse_many(str(config[name]))
        except ValueError:
            raise ConfigError(
                f"{name}={config[name]!r} is not a rate limit; write it like '10 per minute'"
            ) from None
    if config["SESSION_IDLE_MINUTES"] < 1:
        raise ConfigError("SESSION_IDLE_MINUTES must be at least 1")
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=config["SESSION_IDLE_MINUTES"])
    if config["TRUSTED_PROXIES"] < 0:
        raise ConfigError("TRUSTED_PROXIES is a number of proxies: 0 (none, the default) or more")
    if config.get("REDIS_URL"):
        if urlparse(config["REDIS_URL"]).scheme not in ("redis", "rediss", "redis+unix"):
            raise ConfigError(
                f"REDIS_URL={config['REDIS_URL']!r} must be a redis://, rediss:// or "
                "redis+unix:// URL"
            )
        if importlib.util.find_spec("redis") is None:
            raise ConfigError(
                "REDIS_URL is set but the redis package is not installed in this "
                "environment (pip install redis), or unset REDIS_URL to keep the login "
                "counters in the database"
            )


def _normalize_database_url(url: str) -> str:
    # psycopg 3 is the driver; accept the plain scheme operators usually write.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret(instance_path: Path, name: str) -> str:
    from desk.security.secret_files import create_private_file

    path = instance_path / f"{name}.secret"
    if not path.exists():
        # Created 0600 under a temporary name and linked into place: when the web
        # server and the worker start together, the first secret wins, nobody reads a
        # half-written file, and it is never readable by others, not even for a moment.
        create_private_file(path, secrets.token_urlsafe(32))
    return path.read_text().strip()
