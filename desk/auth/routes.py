from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from desk.auth import bp
from desk.auth.forms import LoginForm
from desk.db import get_session
from desk.models import Agent


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """Sign an agent in."""
    if current_user.is_authenticated:
        return redirect(url_for("cases.queue"))
    form = LoginForm()
    if form.validate_on_submit():
        agent = get_session().scalars(sa.select(Agent).filter_by(email=form.email.data)).first()
        if agent is None or not agent.check_password(form.password.data) or not agent.active:
            flash("Correo o contraseña incorrectos.", "error")
            return render_template("auth/login.html", form=form), 401  # type: ignore[return-value]
        login_user(agent)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Sign out (POST, so it carries the CSRF token)."""
    logout_user()
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str:
    # Only paths on this site: an open redirect would hand agents to a phishing page.
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("cases.queue")
