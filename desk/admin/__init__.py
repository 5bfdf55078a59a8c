"""Running the desk from the desk: people and roles, teams, SLA targets, settings."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

from desk.admin import views  # noqa: E402,F401
