"""The composer's endpoints (send a reply, find canned replies) and the admin pages for
canned replies and WhatsApp templates."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from desk.db import get_or_404, get_session
from desk.models import CannedReply, Case, WhatsAppTemplate
from desk.permissions import MANAGE_DESK, WORK_CASES, add_nav, requires
from desk.replies import bp, library
from desk.replies.forms import (
    LANGUAGE_LABELS,
    PURPOSE_LABELS,
    CannedReplyForm,
    ReplyForm,
    TemplateForm,
    ToggleForm,
)
from desk.replies.rendering import (
    TemplateError,
    canned_text,
    search_canned,
    template_message,
)
from desk.replies.window import window_of
from desk.services import cases

add_nav("replies.canned_admin", "Respuestas", MANAGE_DESK)

QUERY_MAX = 80


# --- the composer -----------------------------------------------------------------------


@bp.post("/cases/<int:case_id>/reply")
@requires(WORK_CASES)
def reply(case_id: int) -> str | Response | tuple[str, int]:
    """Send the agent's answer: free text while WhatsApp's window is open (always on
    SMS), else the chosen approved template with its fields filled in."""
    session = get_session()
    case = get_or_404(Case, case_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _again(case, form, 400)
    try:
        if form.template_id.data:
            template = session.get(WhatsAppTemplate, form.template_id.data)
            if template is None or not template.active:
                form.template_id.errors.append(_("Esa plantilla no existe o está desactivada."))
                return _again(case, form, 400)
            # A name used twice has one input, at its first position.
            extra: dict[str, str] = {}
            for position, name in enumerate(template.variables, start=1):
                if form.variable(template.id, position).strip():
                    extra.setdefault(name, form.variable(template.id, position))
            try:
                body, variables = template_message(template, case, current_user, extra)
            except TemplateError as error:
                form.template_id.errors.append(str(error))
                return _again(case, form, 400)
            cases.reply(
                session,
                case,
                current_user,
                body,
                wait_for_citizen=form.wait_for_citizen.data,
                content_sid=template.content_sid,
                content_variables=variables,
            )
        else:
            if not window_of(case.conversation).open:
                form.body.errors.append(
                    _(
                        "La ventana de 24 horas de WhatsApp está cerrada: solo se pueden "
                        "enviar plantillas aprobadas."
                    )
                )
                return _again(case, form, 409)
            if not (form.body.data or "").strip():
                form.body.errors.append(_("Escribe la respuesta."))
                return _again(case, form, 400)
            cases.reply(
                session,
                case,
                current_user,
                form.body.data,
                wait_for_citizen=form.wait_for_citizen.data,
            )
    except cases.CaseClosed as error:
        session.rollback()
        flash(str(error), "error")
        return _again(case, form, 409)
    except ValueError as error:  # a body Twilio would refuse (too long, empty)
        session.rollback()
        form.body.errors.append(str(error))
        return _again(case, form, 400)
    flash(_("Respuesta en camino."), "ok")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.get("/replies/canned")
@requires(WORK_CASES)
def canned() -> dict[str, Any]:
    """Active canned replies matching ``q`` (after the composer's "/"), already filled
    for case ``case`` in its conversation's language."""
    case_id = request.args.get("case", type=int)
    if case_id is None:
        abort(400, "case=<id> is required")
    case = get_or_404(Case, case_id)
    query = request.args.get("q", "")[:QUERY_MAX]
    found = search_canned(library.active_canned(get_session()), query)
    return {
        "replies": [
            {
                "id": reply.id,
                "shortcut": reply.shortcut,
                "title": reply.title,
                "text": canned_text(reply, case, current_user),
            }
            for reply in found
        ]
    }


def templates_for(case: Case) -> list[WhatsAppTemplate]:
    """Active templates, the conversation's language first."""
    return list(
        get_session().scalars(
            sa.select(WhatsAppTemplate)
            .where(WhatsAppTemplate.active.is_(True))
            .order_by(
                (WhatsAppTemplate.language == case.conversation.language).desc(),
                WhatsAppTemplate.name,
            )
        )
    )


def _again(case: Case, form: ReplyForm, status: int) -> tuple[str, int]:
    from desk.cases.routes import render_detail

    return render_detail(case, reply_form=form), status


# --- admin: canned replies --------------------------------------------------------------


@bp.get("/replies/canned/admin")
@requires(MANAGE_DESK)
def canned_admin() -> str:
    """Every canned reply, active first."""
    return render_template(
        "replies/canned_list.html",
        replies=library.canned_replies(get_session()),
        toggle_form=ToggleForm(formdata=None),
    )


@bp.route("/replies/canned/admin/new", methods=["GET", "POST"])
@requires(MANAGE_DESK)
def canned_new() -> str | Response | tuple[str, int]:
    return _canned_form(None)


@bp.route("/replies/canned/admin/<int:reply_id>", methods=["GET", "POST"])
@requires(MANAGE_DESK)
def canned_edit(reply_id: int) -> str | Response | tuple[str, int]:
    reply = get_session().get(CannedReply, reply_id)
    if reply is None:
        abort(404, f"no canned reply {reply_id}")
    return _canned_form(reply)


@bp.post("/replies/canned/admin/<int:reply_id>/active")
@requires(MANAGE_DESK)
def canned_toggle(reply_id: int) -> Response:
    """Deactivate (no longer offered in the composer) or reactivate."""
    session = get_session()
    reply = session.get(CannedReply, reply_id)
    if reply is None:
        abort(404, f"no canned reply {reply_id}")
    if not ToggleForm().validate_on_submit():
        abort(400, "the form expired; reload the page")
    library.set_active(session, current_user, reply, not reply.active)
    flash(
        _("/%(shortcut)s reactivada.", shortcut=reply.shortcut)
        if reply.active
        else _("/%(shortcut)s desactivada: ya no aparece al responder.", shortcut=reply.shortcut),
        "ok",
    )
    return redirect(url_for("replies.canned_admin"))


def _canned_form(reply: CannedReply | None) -> str | Response | tuple[str, int]:
    session = get_session()
    form = CannedReplyForm(obj=reply)
    if request.method == "POST":
        if not form.validate_on_submit():
            return _canned_page(form, reply), 400
        try:
            saved = library.save_canned(
                session,
                current_user,
                reply,
                shortcut=form.shortcut.data,
                title=form.title.data.strip(),
                body_es=form.body_es.data.strip(),
                body_en=(form.body_en.data or "").strip(),
            )
        except library.Taken:
            session.rollback()
            form.shortcut.errors.append(_("Ya hay una respuesta con ese atajo."))
            return _canned_page(form, reply), 400
        flash(_("Respuesta /%(shortcut)s guardada.", shortcut=saved.shortcut), "ok")
        return redirect(url_for("replies.canned_admin"))
    return _canned_page(form, reply)


def _canned_page(form: CannedReplyForm, reply: CannedReply | None) -> str:
    return render_template(
        "replies/canned_form.html", form=form, reply=reply, toggle_form=ToggleForm(formdata=None)
    )


# --- admin: WhatsApp templates ----------------------------------------------------------


@bp.get("/replies/templates/admin")
@requires(MANAGE_DESK)
def templates_admin() -> str:
    """Every WhatsApp template, active first."""
    return render_template(
        "replies/template_list.html",
        templates=library.whatsapp_templates(get_session()),
        purposes=PURPOSE_LABELS,
        languages=LANGUAGE_LABELS,
        toggle_form=ToggleForm(formdata=None),
    )


@bp.route("/replies/templates/admin/new", methods=["GET", "POST"])
@requires(MANAGE_DESK)
def template_new() -> str | Response | tuple[str, int]:
    return _template_form(None)


@bp.route("/replies/templates/admin/<int:template_id>", methods=["GET", "POST"])
@requires(MANAGE_DESK)
def template_edit(template_id: int) -> str | Response | tuple[str, int]:
    template = get_session().get(WhatsAppTemplate, template_id)
    if template is None:
        abort(404, f"no template {template_id}")
    return _template_form(template)


@bp.post("/replies/templates/admin/<int:template_id>/active")
@requires(MANAGE_DESK)
def template_toggle(template_id: int) -> Response:
    """Deactivate (no longer offered nor used for notices) or reactivate."""
    session = get_session()
    template = session.get(WhatsAppTemplate, template_id)
    if template is None:
        abort(404, f"no template {template_id}")
    if not ToggleForm().validate_on_submit():
        abort(400, "the form expired; reload the page")
    library.set_active(session, current_user, template, not template.active)
    flash(
        _("Plantilla %(name)s reactivada.", name=template.name)
        if template.active
        else _("Plantilla %(name)s desactivada.", name=template.name),
        "ok",
    )
    return redirect(url_for("replies.templates_admin"))


def _template_form(template: WhatsAppTemplate | None) -> str | Response | tuple[str, int]:
    session = get_session()
    form = TemplateForm(obj=template)
    if request.method == "GET" and template is not None:
        form.variables.data = ", ".join(template.variables)
    if request.method == "POST":
        if not form.validate_on_submit():
            return _template_page(form, template), 400
        try:
            saved = library.save_template(
                session,
                current_user,
                template,
                name=form.name.data.strip(),
                content_sid=form.content_sid.data,
                language=form.language.data,
                body=form.body.data.strip(),
                variables=form.variable_names(),
                purpose=form.purpose.data,
            )
        except library.Taken:
            session.rollback()
            form.name.errors.append(_("Ya hay una plantilla con ese nombre."))
            return _template_page(form, template), 400
        flash(_("Plantilla %(name)s guardada.", name=saved.name), "ok")
        return redirect(url_for("replies.templates_admin"))
    return _template_page(form, template)


def _template_page(form: TemplateForm, template: WhatsAppTemplate | None) -> str:
    return render_template(
        "replies/template_form.html",
        form=form,
        template=template,
        toggle_form=ToggleForm(formdata=None),
    )
