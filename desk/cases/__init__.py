from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")

from desk.cases import cli, queue, routes  # noqa: E402,F401
