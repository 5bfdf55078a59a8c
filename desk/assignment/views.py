import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from desk.assignment import bp, services
from desk.assignment.forms import AssignForm, AvailabilityForm, ClaimForm
from desk.db import get_or_404, get_session, utcnow
from desk.models import Agent, Case, Team
from desk.permissions import ASSIGN_CASES, WORK_CASES, requires


@bp.post("/<int:case_id>/claim")
@requires(WORK_CASES)
def claim(case_id: int) -> Response:
    """The signed-in agent takes the case."""
    session = get_session()
    case = get_or_404(Case, case_id)
    if not ClaimForm().validate_on_submit():
        abort(400, "the form expired; reload the page")
    if case.assignee_id not in (None, current_user.id) and not _may_assign():
        abort(403, _("El caso ya tiene agente; pide a un supervisor que lo reasigne."))
    try:
        services.claim(session, case, current_user)
    except services.AssignmentError as error:
        flash(str(error), "error")
    else:
        session.commit()
        flash(_("Tomaste el caso %(folio)s.", folio=case.folio), "ok")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.post("/<int:case_id>/assign")
@requires(ASSIGN_CASES)
def assign(case_id: int) -> Response:
    """A supervisor gives the case to an agent or a team."""
    session = get_session()
    case = get_or_404(Case, case_id)
    form = AssignForm()
    form.agent_id.choices = _choices(session, Agent)
    form.team_id.choices = _choices(session, Team)
    if not form.validate_on_submit():
        abort(400, _("Elige un agente o un equipo de la lista."))
    agent = session.get(Agent, form.agent_id.data) if form.agent_id.data else None
    team = session.get(Team, form.team_id.data) if form.team_id.data else None
    if agent is None and team is None:
        abort(400, _("Elige un agente o un equipo."))
    try:
        services.assign(session, case, by=current_user, agent=agent, team=team)
    except services.AssignmentError as error:
        session.rollback()
        flash(str(error), "error")
    else:
        session.commit()
        flash(_("Caso %(folio)s asignado.", folio=case.folio), "ok")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.post("/availability")
@requires(WORK_CASES)
def availability() -> Response:
    """The agent starts or stops taking new cases."""
    session = get_session()
    if not AvailabilityForm().validate_on_submit():
        abort(400, "the form expired; reload the page")
    now = utcnow()
    services.set_available(session, current_user, not current_user.available, now=now)
    current_user.last_seen_at = now
    if current_user.available:
        services.auto_assign(session, now=now)
    session.commit()
    flash(
        _("Disponible: recibirás casos nuevos.")
        if current_user.available
        else _("Ausente: no recibirás casos nuevos."),
        "ok",
    )
    # Back to the page the agent was on, never to another site.
    back = request.referrer or ""
    return redirect(back if back.startswith(request.host_url) else url_for("cases.queue"))


def _choices(session, model) -> list[SelectChoice]:  # type: ignore[no-untyped-def]
    rows = session.scalars(sa.select(model).order_by(model.name))
    return [SelectChoice(0, "—")] + [SelectChoice(row.id, row.name) for row in rows]


def _may_assign() -> bool:
    from desk.permissions import can

    return can(ASSIGN_CASES)
