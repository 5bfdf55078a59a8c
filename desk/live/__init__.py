"""Live updates: queue and case pages change as messages arrive, without a reload."""

from flask import Blueprint

bp = Blueprint("live", __name__, url_prefix="/live")

from desk.live import views  # noqa: E402,F401
