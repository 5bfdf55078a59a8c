"""A phone in the browser, for the sandbox only: it posts signed webhooks to the same
inbound route Twilio uses, so what it tests is the real path."""

from flask import Blueprint

bp = Blueprint("simulator", __name__, url_prefix="/simulator")

from desk.simulator import routes  # noqa: E402,F401
