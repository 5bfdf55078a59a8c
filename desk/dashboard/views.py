"""The supervisors' dashboard: a page of numbers and charts, and the CSV of cases."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _

from desk import permissions
from desk.dashboard import bp, services
from desk.dashboard.forms import PeriodForm
from desk.db import get_session, utcnow
from desk.permissions import SEE_PHONES, VIEW_DASHBOARD, can, requires

permissions.add_nav("dashboard.index", "Tablero", VIEW_DASHBOARD)


@bp.get("/")
@requires(VIEW_DASHBOARD)
def index() -> Any:
    """Headline numbers, charts and their tables for a period (last 30 days by default)."""
    form = PeriodForm(formdata=request.args)
    period, error = _period(form)
    if period is None:
        return render_template("dashboard/index.html", form=form, error=error), 400
    # The dates in force, defaults included, shown in the fields.
    form.start.raw_data, form.start.data = [], period.first
    form.end.raw_data, form.end.data = [], period.last
    board = services.dashboard(get_session(), period, now=utcnow())
    return render_template(
        "dashboard/index.html",
        form=form,
        board=board,
        chart_data=chart_data(board),
        csv_url=url_for(
            "dashboard.cases_csv",
            **{"from": period.first.isoformat(), "to": period.last.isoformat()},
        ),
        duration=format_duration,
        percent=format_percent,
    )


@bp.get("/cases.csv")
@requires(VIEW_DASHBOARD)
def cases_csv() -> Response:
    """The period's cases, streamed: a large export never sits in memory at once."""
    period, error = _period(PeriodForm(formdata=request.args))
    if period is None:
        abort(400, error)
    chunks = services.export_chunks(
        get_session(), period, now=utcnow(), show_phones=can(SEE_PHONES)
    )
    name = f"casos_{period.first.isoformat()}_{period.last.isoformat()}.csv"

    def body() -> Any:
        # A byte-order mark: Excel, which most supervisors open it with, reads the
        # accents right only with it.
        yield "\ufeff"
        yield from chunks

    return Response(
        stream_with_context(body()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _period(form: PeriodForm) -> tuple[services.Period | None, str]:
    if not form.validate():
        return None, form.first_error()
    try:
        today = services.local_today(utcnow())
        return services.make_period(form.start.data, form.end.data, today=today), ""
    except services.InvalidPeriod as error:
        return None, str(error)


def chart_data(board: services.Dashboard) -> dict[str, Any]:
    """What desk/static/dashboard.js draws, series names already translated."""
    return {
        "daily": {
            "labels": [day.day.isoformat() for day in board.days],
            "series": [
                {"label": _("Mensajes recibidos"), "data": [d.inbound for d in board.days]},
                {"label": _("Mensajes enviados"), "data": [d.outbound for d in board.days]},
                {"label": _("Conversaciones"), "data": [d.conversations for d in board.days]},
            ],
        },
        "topics": {
            "labels": [tally.label for tally in board.topics],
            "series": [{"label": _("Casos"), "data": [tally.count for tally in board.topics]}],
        },
        "csat": {
            "labels": [str(score) for score in board.csat.distribution],
            "series": [{"label": _("Respuestas"), "data": list(board.csat.distribution.values())}],
        },
        "agents": {
            "labels": [load.name for load in board.load.agents],
            "series": [
                {"label": _("Casos activos"), "data": [a.active for a in board.load.agents]},
                {
                    "label": _("Resueltos en el periodo"),
                    "data": [a.resolved for a in board.load.agents],
                },
            ],
        },
    }


def format_duration(seconds: float | None) -> str:
    """12 s, 7 min, 2 h 05 min, 3 d 4 h: as long as it needs to be, no longer."""
    if seconds is None:
        return "—"
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    minutes = total // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def format_percent(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction * 100:.1f} %"
