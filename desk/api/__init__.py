"""JSON API for the assistant's actions (service token) — the bot changes cases only here."""

from flask import Blueprint

from desk.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Authenticated by bearer token, not cookies, so CSRF does not apply.
csrf.exempt(bp)

from desk.api import routes  # noqa: E402,F401
