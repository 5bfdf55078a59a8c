from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from desk.auth import bp
from desk.auth.credentials import authenticate
from desk.auth.forms import LoginForm
from desk.db import get_session
from desk.security import sessions
from desk.security.limiter import login_limits
from desk.services import audit

FAILED = "Correo o contraseña incorrectos."


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login() -> str | Response:
    """Sign an agent in. Every failure looks the same to the visitor; the audit trail
    keeps the e-mail tried, the address and the reason (never the password)."""
    if current_user.is_authenticated:
        return redirect(url_for("cases.queue"))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        attempt = authenticate(db, form.email.data, form.password.data, current_app.config)
        if attempt.agent is None:
            audit.record(
                db,
                "auth.login_failed",
                actor="anonymous",
                email=form.email.data,
                address=request.remote_addr,
                reason=attempt.failure,
            )
            db.commit()
            flash(FAILED, "error")
            return render_template("auth/login.html", form=form), 401  # type: ignore[return-value]
        sessions.start(attempt.agent)
        audit.record(
            db, "auth.login", actor="agent", agent=attempt.agent, address=request.remote_addr
        )
        db.commit()
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Sign out (POST, so it carries the CSRF token). The agent's session token
    rotates: a copy of this session's cookie stops working too."""
    agent = current_user._get_current_object()
    db = get_session()
    sessions.end(agent)
    audit.record(db, "auth.logout", actor="agent", agent=agent, address=request.remote_addr)
    db.commit()
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str:
    # Only paths on this site: an open redirect would hand agents to a phishing page.
    # Browsers read "//host" and "/\\host" as another site, and drop tabs and newlines.
    if (
        target
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and not any(char == "\\" or ord(char) < 0x20 for char in target)
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("cases.queue")
