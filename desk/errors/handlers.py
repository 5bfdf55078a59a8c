from __future__ import annotations

import logging

from flask import Flask, g, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

MACHINE_PREFIXES = ("/api/", "/channels/", "/simulator/api/")


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _wants_json() -> bool:
    if request.path.startswith(MACHINE_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json"


def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
    code = error.code or 500
    if _wants_json():
        return {"error": error.name, "message": error.description}, code
    return render_template("errors/error.html", error=error), code


def _unexpected(error: Exception):  # type: ignore[no-untyped-def]
    log.exception("unhandled error on %s %s", request.method, request.path)
    session = g.get("db_session")
    if session is not None:
        session.rollback()
    return _http_error(InternalServerError())
