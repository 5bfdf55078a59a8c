"""Who works each case: claiming, assigning, automatic assignment, SLA due times."""

from flask import Blueprint

bp = Blueprint("assignment", __name__, url_prefix="/cases")

from desk.assignment import views  # noqa: E402,F401
