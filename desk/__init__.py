"""Ventanilla's helpdesk: owns the Twilio channel, routes each message to the
assistant or to a person, and serves the agents' desk and the JSON API."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, redirect, url_for

from desk import config as settings
from desk import db, labels
from desk.extensions import csrf, login_manager


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory. ``config`` (tests) wins over the environment."""
    app = Flask(
        __name__, instance_path=os.environ.get("DESK_INSTANCE_PATH") or str(Path.cwd() / "instance")
    )
    app.config.update(settings.defaults())
    app.config.update(SESSION_COOKIE_SAMESITE="Lax", WTF_CSRF_TIME_LIMIT=None)
    app.config.update(settings.from_environ(os.environ))
    if config:
        app.config.update(config)
    settings.finalize(app.config, Path(app.instance_path))
    if "SESSION_COOKIE_SECURE" not in (config or {}):
        # Behind https the session cookie must never travel in clear.
        app.config["SESSION_COOKIE_SECURE"] = app.config["PUBLIC_BASE_URL"].startswith("https")

    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)

    from desk import (
        admin,
        api,
        assignment,
        auth,
        cases,
        channels,
        cli,
        dashboard,
        errors,
        i18n,
        live,
        media,
        permissions,
        privacy,
        replies,
        security,
        simulator,
    )
    from desk.content.views import bp as content_bp
    from desk.ops import bp as ops_bp
    from desk.simulator import cli as simulator_cli
    from desk.training import cli as training_cli
    from desk.training import job_views, model_views  # noqa: F401  (routes of training_bp)
    from desk.training.views import bp as training_bp

    app.register_blueprint(auth.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(channels.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(privacy.bp)
    app.register_blueprint(assignment.bp)
    app.register_blueprint(replies.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(training_bp)
    app.register_blueprint(content_bp)
    app.register_blueprint(live.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(model_views.server_bp)
    if app.config["TWILIO_SANDBOX"]:
        app.register_blueprint(simulator.bp)
    errors.init_app(app)
    labels.init_app(app)
    cli.init_app(app)
    training_cli.init_app(app)
    simulator_cli.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    permissions.init_app(app)
    privacy.init_app(app)

    @app.get("/")
    def home() -> Any:
        """Each role starts where its work is: the queue, else its first section."""
        from flask_login import current_user

        if not current_user.is_authenticated or permissions.can(permissions.WORK_CASES):
            return redirect(url_for("cases.queue"))
        sections = permissions.extra_nav()
        return redirect(sections[0]["url"] if sections else url_for("admin.profile"))

    @app.get("/health")
    def health() -> dict[str, str]:
        """Liveness for process managers and the end-to-end test."""
        return {"status": "ok"}

    if not app.debug and not app.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        # twilio logs every request and header at INFO.
        logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    return app
