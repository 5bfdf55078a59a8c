"""The supervisors' dashboard: volumes, containment, response times, SLA, CSAT, load."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates")

from desk.dashboard import views  # noqa: E402,F401
