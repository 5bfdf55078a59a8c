"""The client's address behind reverse proxies, trusted only as far as configured.

``X-Forwarded-For`` is whatever the client wants it to be unless a proxy we run wrote
it. With ``TRUSTED_PROXIES=n`` (the number of proxies in front of the desk) werkzeug's
ProxyFix takes the address the n-th proxy from the end saw, and the scheme it was
called with; with 0, the default, the headers are ignored and the socket's peer is the
client.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    trusted = app.config["TRUSTED_PROXIES"]
    if trusted:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted)  # type: ignore[method-assign]
