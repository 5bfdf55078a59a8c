"""The assistant's models: the gate's comparison, publishing, rolling back, and the
model server every Rasa server pulls the live model from.

The trainers' pages join the training blueprint. The model server is a blueprint of its
own (``server_bp``): Rasa calls it with a bearer token, not a session, so it sits with
the desk's other machine endpoints, outside login and CSRF.
"""

from __future__ import annotations

import hmac
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from desk.bot_client import rasa_urls
from desk.db import get_session
from desk.extensions import csrf
from desk.models import AssistantModel, Review
from desk.models import review as r
from desk.permissions import TRAIN_ASSISTANT, requires
from desk.training import gate, models
from desk.training.views import bp, shown_reason

# How many reviewed messages the model page lists.
REVIEWED_SHOWN = 50


@bp.get("/models")
@requires(TRAIN_ASSISTANT)
def model_list() -> Any:
    """Every model with its figures and gate verdict, the live one, and each Rasa server's."""
    session = get_session()
    found = session.scalars(sa.select(AssistantModel).order_by(AssistantModel.id.desc())).all()
    live = models.running_model(session)
    replicas = models.replicas(
        _rasa_servers(), timeout=current_app.config["READY_RASA_TIMEOUT_SECONDS"]
    )
    by_rasa_id = {model.rasa_model_id: model for model in found if model.rasa_model_id}
    return render_template(
        "training/models.html",
        models=found,
        live=live,
        replicas=[(replica, by_rasa_id.get(replica.model_id or "")) for replica in replicas],
        can_roll_back=len(models.live_line(session)) >= 2,
    )


@bp.get("/models/<int:model_id>")
@requires(TRAIN_ASSISTANT)
def model_detail(model_id: int) -> Any:
    """One model against the live one, intent by intent, and the reviewed messages whose
    intent it now understands better."""
    session = get_session()
    model = _model(model_id)
    live = models.running_model(session)
    compared_with = live if live is not None and live.id != model.id else None
    rows = gate.compare(model.per_intent, compared_with.per_intent if compared_with else None)
    improved = [row.intent for row in rows if row.delta is not None and row.delta > 0]
    return render_template(
        "training/model.html",
        model=model,
        live=live,
        compared_with=compared_with,
        rows=rows,
        reviewed=_reviewed(improved),
    )


@bp.post("/models/<int:model_id>/publish")
@requires(TRAIN_ASSISTANT)
def publish_model(model_id: int) -> Any:
    """Put the model live on every Rasa server (each pulls it at its next look)."""
    model = _model(model_id)
    if not FlaskForm().validate():
        abort(400)
    try:
        models.publish(get_session(), model, current_user._get_current_object())
    except models.Refused as refusal:
        flash(_refusal(refusal), "error")
    else:
        flash(
            _("Modelo %(id)s publicado; cada servidor lo cargará en segundos.", id=model.id), "ok"
        )
    return redirect(url_for("training.model_list"))


@bp.post("/models/rollback")
@requires(TRAIN_ASSISTANT)
def rollback_model() -> Any:
    """Put back the model that was live before the current one."""
    if not FlaskForm().validate():
        abort(400)
    try:
        publication = models.rollback(get_session(), current_user._get_current_object())
    except models.Refused as refusal:
        flash(_refusal(refusal), "error")
    else:
        flash(_("De vuelta al modelo %(id)s.", id=publication.model_id), "ok")
    return redirect(url_for("training.model_list"))


def _refusal(refusal: models.Refused) -> str:
    """The refusal in the reader's language, the gate's reasons included."""
    params = {
        name: " ".join(shown_reason(item) for item in value) if isinstance(value, list) else value
        for name, value in refusal.params.items()
    }
    return _(refusal.reason, **params)


def _model(model_id: int) -> AssistantModel:
    return get_session().get(AssistantModel, model_id) or abort(404)


def _reviewed(intents: list[str]) -> list[Review]:
    if not intents:
        return []
    return list(
        get_session().scalars(
            sa.select(Review)
            .where(Review.status == r.CONFIRMED, Review.intent.in_(intents))
            .order_by(Review.reviewed_at.desc())
            .limit(REVIEWED_SHOWN)
        )
    )


def _rasa_servers() -> list[str]:
    try:
        return rasa_urls(current_app.config["RASA_URL"] or "")
    except ValueError:
        return []


# --- the model server ------------------------------------------------------------------

server_bp = Blueprint("model_server", __name__)
# Rasa authenticates with a bearer token, not cookies, so CSRF does not apply.
csrf.exempt(server_bp)


@server_bp.get("/models/live")
def live() -> Any:
    """Rasa's model server protocol: 304 while the replica has the live model (its
    If-None-Match is our ETag, the archive's SHA-256), else the archive."""
    expected = current_app.config.get("MODEL_SERVER_TOKEN") or ""
    if not expected:
        abort(404)  # the model server is off
    header = request.headers.get("Authorization", "")
    given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        abort(401, "a valid model server token is required (Authorization: Bearer …)")
    served = models.served(get_session())
    if served is None:
        abort(404)
    path, sha256 = served
    etag = f'"{sha256}"'
    if sha256 in _fingerprints(request.headers.get("If-None-Match", "")):
        return "", 304, {"ETag": etag}
    response = send_file(path, mimetype="application/gzip", conditional=False, etag=False)
    response.headers["ETag"] = etag
    # Rasa saves the archive under this name; the hash keeps two models apart.
    response.headers["filename"] = f"{sha256[:12]}.tar.gz"
    response.headers["Cache-Control"] = "no-store"
    return response


def _fingerprints(header: str) -> set[str]:
    """If-None-Match's tags, quoted or not (Rasa sends back what our ETag said)."""
    return {tag.strip().removeprefix("W/").strip('"') for tag in header.split(",") if tag.strip()}
