"""Login rate limits (Flask-Limiter): per client address and per account tried.

Each POST to the login counts against both, successful or not: by default 10 a
minute from one address (``LOGIN_LIMIT_PER_ADDRESS``) and 5 a minute for one e-mail
from anywhere (``LOGIN_LIMIT_PER_ACCOUNT``), so that neither one address trying many
accounts nor many addresses trying one account get far. Over a limit the answer is
429 with a page in Spanish and ``Retry-After``.

Counters live in Redis when ``REDIS_URL`` is set, otherwise in the desk's database
(``desk.security.rate_limit_storage``): all web processes share them either way.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, render_template, request
from flask_limiter import Limiter, RateLimitExceeded

from desk.security import rate_limit_storage

F = TypeVar("F", bound=Callable[..., Any])

TOO_MANY_ATTEMPTS = (
    "Demasiados intentos de inicio de sesión. Por seguridad, espera un momento "
    "antes de volver a intentarlo."
)


def client_address() -> str:
    """The client's address: the socket's peer, or what ProxyFix took from the trusted
    proxies' X-Forwarded-For (``TRUSTED_PROXIES``); never the header on its own."""
    return "address:" + (request.remote_addr or "unknown")


def account_tried() -> str:
    """The e-mail typed in the login form, normalized as the form does (hashed: the
    table keeps no e-mails, and a long one still fits the key)."""
    email = (request.form.get("email") or "").strip().lower()
    return "account:" + hashlib.sha256(email.encode()).hexdigest()[:32]


limiter = Limiter(key_func=client_address, strategy="fixed-window")


def storage_uri(config: dict[str, Any]) -> str:
    """Redis when configured, else the desk's database."""
    return config.get("REDIS_URL") or f"{rate_limit_storage.SCHEME}://"


def login_limits(view: F) -> F:
    """Both login limits, on POST only (showing the form is free)."""
    per_address = limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
        key_func=client_address,
        scope="address",
        methods=["POST"],
        error_message=TOO_MANY_ATTEMPTS,
    )
    per_account = limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
        key_func=account_tried,
        scope="account",
        methods=["POST"],
        error_message=TOO_MANY_ATTEMPTS,
    )
    return per_address(per_account(view))  # type: ignore[return-value]


def init_app(app: Flask) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = storage_uri(app.config)
    # The extension keeps "enabled" on itself, from the last app's config: say it each time.
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _too_many_attempts)


def _too_many_attempts(error: RateLimitExceeded) -> Any:
    wait = 60
    if limiter.current_limit is not None:
        wait = max(1, int(limiter.current_limit.reset_at - time.time()))
    page = render_template("auth/too_many_attempts.html", message=error.description, wait=wait)
    return page, 429, {"Retry-After": str(wait)}
