"""Operations: liveness (/healthz), readiness (/readyz) and Prometheus metrics (/metrics).

No login: probes and the scraper call them. Nothing personal goes into their answers.
"""

from flask import Blueprint

bp = Blueprint("ops", __name__)

from desk.ops import routes  # noqa: E402,F401
