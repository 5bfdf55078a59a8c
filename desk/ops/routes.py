from __future__ import annotations

import logging
from typing import Any

from flask import Response, current_app, request
from flask.blueprints import BlueprintSetupState

from desk.db import get_session
from desk.ops import bp, metrics, readiness

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}


@bp.record_once
def _check_metrics_directory(state: BlueprintSetupState) -> None:
    directory = state.app.config.get("PROMETHEUS_MULTIPROC_DIR")
    if directory and not metrics.writes_to(directory):
        log.warning(
            "PROMETHEUS_MULTIPROC_DIR is set in the configuration but not in this process's "
            "environment: /metrics reads the directory, this process's own metrics are not "
            "written there (see desk/ops/metrics.py)"
        )


@bp.get("/healthz")
def healthz() -> Any:
    """Liveness: the process answers. Touches nothing else, the database included."""
    return {"status": "ok"}, 200, NO_STORE


@bp.get("/readyz")
def readyz() -> Any:
    """Readiness: the database answers, every Rasa server is up, a worker beat recently."""
    ready, report = readiness.run(current_app.config, get_session())
    return report, 200 if ready else 503, NO_STORE


@bp.get("/metrics")
def prometheus_metrics() -> Response:
    """Prometheus exposition: the queue from the database, the rest from the processes."""
    body, content_type = metrics.render(
        get_session(),
        current_app.config.get("PROMETHEUS_MULTIPROC_DIR"),
        request.headers.get("Accept"),
    )
    return Response(body, headers={"Content-Type": content_type, **NO_STORE})
