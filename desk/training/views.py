"""The trainers' review inbox: what the assistant was unsure about, one message at a time.

Keyboard-first: the message page focuses the intent, Enter confirms, and every verdict
leads on to the next waiting message.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from desk.db import get_session
from desk.models import Message, Review
from desk.models.case import LOCAL_TZ
from desk.permissions import TRAIN_ASSISTANT, add_nav, requires
from desk.training import gate, inbox, nlu_data, reasons, scrub, services
from desk.training.forms import CHANNELS, InboxFilters, ReviewForm


def N_(text: str) -> str:
    """Marks a msgid for extraction; it is translated when shown."""
    return text


bp = Blueprint("training", __name__, url_prefix="/training", template_folder="templates")
add_nav("training.index", N_("Revisión"), TRAIN_ASSISTANT)

REASON_LABELS = {
    inbox.FALLBACK: N_("No entendido"),
    inbox.LOW_CONFIDENCE: N_("Confianza baja"),
    inbox.BEFORE_HANDOFF: N_("Antes de pasar a una persona"),
    inbox.LOW_CSAT: N_("Satisfacción baja"),
}


@bp.get("/")
@requires(TRAIN_ASSISTANT)
def index() -> Any:
    """The waiting messages, filtered, with how many wait."""
    session = get_session()
    form = InboxFilters(formdata=request.args)
    status = 200 if form.validate() else 400
    filters = _filters(form) if status == 200 else {}
    below = _threshold()
    rows = inbox.waiting(session, below=below, **filters) if status == 200 else []
    return render_template(
        "training/index.html",
        form=form,
        rows=rows,
        waiting_count=inbox.count_waiting(session, below, **filters),
        reason_labels=REASON_LABELS,
        intents=sorted(_domain().intents),
        models=inbox.models(session),
        procedures=inbox.procedures(session),
        channels=CHANNELS,
        carried=_carried(form) if status == 200 else {},
    ), status


@bp.get("/messages/<int:message_id>")
@requires(TRAIN_ASSISTANT)
def message(message_id: int) -> Any:
    """One message in its turn, the scrubbed preview and the verdict form."""
    found = _message(message_id)
    # What NLU found is offered as the mark; the trainer clears it when it is wrong.
    data = {"intent": found.intent or "", "procedure": services.predicted_procedure(found) or ""}
    form = ReviewForm(intents=_trainable(), data=data)
    return _message_page(found, form)


@bp.post("/messages/<int:message_id>/confirm")
@requires(TRAIN_ASSISTANT)
def confirm(message_id: int) -> Any:
    """Write the scrubbed example, then on to the next waiting message."""
    session = get_session()
    found = _message(message_id)
    form = ReviewForm(intents=_trainable())
    if not form.validate():
        return _message_page(found, form), 400
    span = None
    if form.procedure.data:
        span = services.locate(found.body, form.procedure.data)
        if span is None:
            form.procedure.errors = [_("Ese texto no aparece en el mensaje.")]
            return _message_page(found, form), 400
    try:
        done = services.review(
            session,
            found,
            intent=form.intent.data,
            span=span,
            reviewer=current_user._get_current_object(),
            root=Path(current_app.config["TRAINING_DATA_ROOT"]),
        )
    except services.NotWritten as error:
        form.procedure.errors = [shown_reason(error.reason)]
        return _message_page(found, form), 400
    except services.AlreadyReviewed:
        flash(_("Alguien más ya revisó ese mensaje."), "error")
        return _next()
    if done.destination == "test":
        flash(
            _(
                "Ejemplo guardado en el conjunto de prueba: mide al asistente y no se le "
                "enseña, así que puede seguir leyéndolo mal después de entrenar."
            ),
            "ok",
        )
    elif done.destination == "training":
        flash(
            _(
                "Ejemplo guardado en los datos de entrenamiento: el asistente lo aprenderá "
                "en el próximo entrenamiento."
            ),
            "ok",
        )
    else:
        reason = shown_reason(done.refused_reason or "")
        flash(_("No se escribió el ejemplo: %(reason)s", reason=reason), "error")
        return redirect(url_for("training.message", message_id=found.id, **_carried_args()))
    return _next()


@bp.post("/messages/<int:message_id>/dismiss")
@requires(TRAIN_ASSISTANT)
def dismiss(message_id: int) -> Any:
    """Take the message out of the inbox, writing nothing."""
    found = _message(message_id)
    if not FlaskForm().validate():
        abort(400)
    try:
        services.dismiss(get_session(), found, reviewer=current_user._get_current_object())
    except services.AlreadyReviewed:
        flash(_("Alguien más ya revisó ese mensaje."), "error")
        return _next()
    flash(_("Mensaje descartado."), "ok")
    return _next()


def _message_page(found: Message, form: ReviewForm) -> str:
    session = get_session()
    before, after = inbox.context(session, found)
    scrubbed = scrub.scrub(found.body)
    return render_template(
        "training/message.html",
        message=found,
        form=form,
        before=before,
        after=after,
        preview=scrub.segments(found.body, scrubbed.findings),
        findings=scrubbed.findings,
        review=session.scalar(sa.select(Review).filter_by(message_id=found.id)),
        waiting=inbox.is_waiting(session, found, _threshold()),
        to_test=services.goes_to_test(found),
        intents=sorted(_trainable()),
        carried=_carried_args(),
    )


def shown_reason(text: str) -> str:
    """Why an example was refused or a model failed the gate, in the reader's language.

    Plain text, escaped where it is shown: it quotes the citizen's words and file names.
    """
    return reasons.translated(text, (*services.REASONS, *gate.MESSAGES), _)


@bp.context_processor
def _shown_reasons() -> dict[str, Any]:
    return {"shown_reason": shown_reason}


def _message(message_id: int) -> Message:
    found = get_session().get(Message, message_id)
    if found is None or found.direction != "inbound":
        abort(404)
    return found


def _next() -> Any:
    """The next message waiting under the filters the trainer had on the inbox (they
    travel in the message page's query string), or the inbox when none is left."""
    form = InboxFilters(formdata=request.args)
    filters, carried = (_filters(form), _carried(form)) if form.validate() else ({}, {})
    upcoming = inbox.next_waiting(get_session(), _threshold(), **filters)
    if upcoming is None:
        return redirect(url_for("training.index", **carried))
    return redirect(url_for("training.message", message_id=upcoming.id, **carried))


def _filters(form: InboxFilters) -> dict[str, Any]:
    """A validated InboxFilters as inbox.waiting's keyword arguments."""
    return {
        "intent": form.intent.data or None,
        "channel": form.channel.data or None,
        "model": form.model.data or None,
        "procedure": form.procedure.data or None,
        "since": _local_midnight(form.start.data),
        "until": _local_midnight(form.end.data + timedelta(days=1) if form.end.data else None),
    }


def _carried(form: InboxFilters) -> dict[str, str]:
    """The filters set, as the query string spells them, to carry from page to page."""
    names = {field.name for field in form}
    return {name: value for name, value in request.args.items() if name in names and value}


def _carried_args() -> dict[str, str]:
    """The request's inbox filters, when they are valid, to carry on."""
    form = InboxFilters(formdata=request.args)
    return _carried(form) if form.validate() else {}


def _threshold() -> float:
    return float(current_app.config["REVIEW_CONFIDENCE_BELOW"])


def _domain() -> nlu_data.Domain:
    return nlu_data.load_domain(Path(current_app.config["TRAINING_DATA_ROOT"]))


def _trainable() -> frozenset[str]:
    return _domain().intents - nlu_data.NOT_TRAINABLE


def _local_midnight(day: date | None) -> datetime | None:
    """The start of a day in Mexico City, which is what a trainer means by a date."""
    return None if day is None else datetime.combine(day, time(), tzinfo=LOCAL_TZ)
