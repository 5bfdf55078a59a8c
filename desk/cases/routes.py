from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from desk.cases import bp
from desk.cases.forms import ReplyForm, ResolveForm
from desk.db import get_session
from desk.models import Case
from desk.services import cases


@bp.get("/")
@login_required
def queue() -> str:
    """Open cases, newest first."""
    page = request.args.get("page", 1, type=int)
    if page < 1:
        abort(400, "page must be 1 or more")
    per_page = current_app.config["CASES_PER_PAGE"]
    open_cases, total = cases.open_cases_page(get_session(), page, per_page)
    pages = max(1, -(-total // per_page))
    return render_template(
        "cases/queue.html", cases=open_cases, page=page, pages=pages, total=total
    )


@bp.get("/<int:case_id>")
@login_required
def detail(case_id: int) -> str:
    """A case with the whole conversation, a reply box and the Resolve button."""
    case = _get_case(case_id)
    return _render_detail(case, ReplyForm())


@bp.post("/<int:case_id>/reply")
@login_required
def reply(case_id: int) -> str | Response:
    """Send the agent's answer to the citizen."""
    case = _get_case(case_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _render_detail(case, form), 400  # type: ignore[return-value]
    try:
        cases.reply(get_session(), case, current_user, form.body.data)
    except (cases.CaseClosed, ValueError) as error:
        flash(str(error), "error")
        return _render_detail(case, form), 409  # type: ignore[return-value]
    flash("Respuesta en camino.", "ok")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.post("/<int:case_id>/resolve")
@login_required
def resolve(case_id: int) -> Response:
    """Close the case and hand the conversation back to the assistant."""
    case = _get_case(case_id)
    if not ResolveForm().validate_on_submit():
        abort(400, "the form expired; reload the page")
    try:
        cases.resolve(get_session(), case, current_user)
    except cases.CaseClosed as error:
        flash(str(error), "error")
        return redirect(url_for("cases.detail", case_id=case.id))
    flash(f"Caso {case.folio} resuelto; el asistente vuelve a atender.", "ok")
    return redirect(url_for("cases.queue"))


def _get_case(case_id: int) -> Case:
    case = get_session().get(Case, case_id)
    if case is None:
        abort(404, f"no case {case_id}")
    return case


def _render_detail(case: Case, form: ReplyForm) -> str:
    messages = cases.transcript(get_session(), case)
    return render_template(
        "cases/detail.html", case=case, messages=messages, form=form, resolve_form=ResolveForm()
    )
