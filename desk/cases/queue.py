"""The agents' queue: views (mine, unassigned, my team, all, done), filters, search."""

from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask_login import current_user

from desk.assignment import sla
from desk.cases import bp, search
from desk.db import get_session, utcnow
from desk.models import case as c
from desk.permissions import WORK_CASES, requires


@bp.get("/")
@requires(WORK_CASES)
def queue() -> str:
    """A view of the cases, filtered and searched; the soonest due first by default."""
    try:
        filters = search.parse_filters(request.args)
    except search.InvalidQuery as error:
        abort(400, str(error))
    session = get_session()
    now = utcnow()
    viewer = search.Viewer(agent_id=current_user.id, team_id=current_user.team_id)
    page = search.queue_page(
        session, viewer, filters, now=now, per_page=current_app.config["CASES_PER_PAGE"]
    )
    return render_template(
        "cases/queue.html",
        filters=filters,
        result=page,
        counts=search.view_counts(session, viewer, now),
        now=now,
        is_overdue=sla.is_overdue,
        views=search.VIEWS,
        sorts=search.SORTS,
        filter_channels=search.CHANNELS,
        view_statuses=search.DONE_STATUSES if filters.view == search.DONE else c.STATUSES,
    )
