"""Security headers on every response: pages, JSON answers, static files and errors.

The Content-Security-Policy allows scripts and styles only from the desk's own files
(desk/static/): no inline ``<script>``, ``<style>`` or ``style=""`` anywhere in the
templates (tests/desk/security/test_templates.py checks). HSTS is sent only when the
desk's public address is https: over plain http it would be ignored, and a
development machine must not pin itself to https.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Response

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
STRICT_TRANSPORT_SECURITY = "max-age=31536000"  # a year; this host only


def init_app(app: Flask) -> None:
    headers = dict(HEADERS)
    if app.config["PUBLIC_BASE_URL"].startswith("https://"):
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.update(headers)
        return response
