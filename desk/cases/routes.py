from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from desk.assignment import sla
from desk.assignment.forms import AssignForm, ClaimForm
from desk.cases import bp
from desk.cases.forms import DetailsForm, NoteForm, PendingForm, ResolveForm
from desk.db import get_or_404, get_session, utcnow
from desk.models import Agent, Case, Team
from desk.permissions import WORK_CASES, requires
from desk.replies.forms import ReplyForm
from desk.replies.window import sms_segments, window_of
from desk.services import cases


@bp.get("/<int:case_id>")
@requires(WORK_CASES)
def detail(case_id: int) -> str:
    """A case: the conversation, the composer, notes, the timeline and the citizen."""
    return render_detail(get_or_404(Case, case_id))


@bp.post("/<int:case_id>/notes")
@requires(WORK_CASES)
def add_note(case_id: int) -> str | Response:
    """An internal note, never sent to the citizen."""
    case = get_or_404(Case, case_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return render_detail(case, note_form=form), 400  # type: ignore[return-value]
    try:
        cases.add_note(get_session(), case, current_user, form.body.data)
    except cases.InvalidChange as error:
        form.body.errors.append(str(error))
        return render_detail(case, note_form=form), 400  # type: ignore[return-value]
    flash(_("Nota guardada (solo la ve el equipo)."), "ok")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.post("/<int:case_id>/details")
@requires(WORK_CASES)
def update_details(case_id: int) -> str | Response:
    """Priority, topic and tags."""
    case = get_or_404(Case, case_id)
    form = DetailsForm()
    if not form.validate_on_submit():
        return render_detail(case, details_form=form), 400  # type: ignore[return-value]
    try:
        cases.update_details(
            get_session(),
            case,
            current_user,
            priority=form.priority.data,
            topic=form.topic.data or "",
            tags=(form.tags.data or "").split(","),
        )
    except cases.InvalidChange as error:
        get_session().rollback()
        form.tags.errors.append(str(error))
        return render_detail(case, details_form=form), 400  # type: ignore[return-value]
    flash(_("Datos del caso actualizados."), "ok")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.post("/<int:case_id>/pending")
@requires(WORK_CASES)
def mark_pending(case_id: int) -> Response:
    """Waiting for the citizen's answer."""
    case = get_or_404(Case, case_id)
    if not PendingForm().validate_on_submit():
        abort(400, "the form expired; reload the page")
    try:
        cases.mark_pending(get_session(), case, current_user)
    except cases.CaseClosed as error:
        flash(str(error), "error")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.post("/<int:case_id>/resolve")
@requires(WORK_CASES)
def resolve(case_id: int) -> Response:
    """Close the case and hand the conversation back to the assistant."""
    case = get_or_404(Case, case_id)
    if not ResolveForm().validate_on_submit():
        abort(400, "the form expired; reload the page")
    try:
        cases.resolve(get_session(), case, current_user)
    except cases.CaseClosed as error:
        flash(str(error), "error")
        return redirect(url_for("cases.detail", case_id=case.id))
    flash(_("Caso %(folio)s resuelto; el asistente vuelve a atender.", folio=case.folio), "ok")
    return redirect(url_for("cases.queue"))


def render_detail(case: Case, **forms: Any) -> str:
    from desk.replies.views import templates_for

    session = get_session()
    details = forms.pop("details_form", None) or DetailsForm(
        formdata=None,
        priority=case.priority,
        topic=case.topic or "",
        tags=", ".join(case.tags or []),
    )
    assign_form = AssignForm(formdata=None)
    assign_form.agent_id.choices = [(0, "—")] + [
        (a.id, a.name)
        for a in session.scalars(
            sa.select(Agent).where(Agent.active.is_(True)).order_by(Agent.name)
        )
    ]
    assign_form.team_id.choices = [SelectChoice(0, "—")] + [
        SelectChoice(t.id, t.name) for t in session.scalars(sa.select(Team).order_by(Team.name))
    ]
    now = utcnow()
    conversation = case.conversation
    past_cases = [
        other
        for other in session.scalars(
            sa.select(Case)
            .where(Case.conversation.has(phone=conversation.phone))
            .order_by(Case.opened_at.desc())
        )
        if other.id != case.id
    ]
    return render_template(
        "cases/detail.html",
        case=case,
        messages=cases.transcript(session, case),
        notes=cases.notes(session, case),
        timeline=cases.timeline(session, case),
        past_cases=past_cases,
        window=window_of(conversation, now),
        now=now,
        overdue=sla.is_overdue(case, now),
        templates=templates_for(case),
        sms_segments=sms_segments,
        reply_form=forms.pop("reply_form", None) or ReplyForm(formdata=None),
        note_form=forms.pop("note_form", None) or NoteForm(formdata=None),
        details_form=details,
        assign_form=assign_form,
        claim_form=ClaimForm(formdata=None),
        pending_form=PendingForm(formdata=None),
        resolve_form=ResolveForm(formdata=None),
    )
