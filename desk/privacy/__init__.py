"""The aviso de privacidad the assistant links to: public, no login."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)

from desk.privacy import routes  # noqa: E402,F401
