"""A supervisor answers a citizen's privacy request: look the number up, see what is
stored, then export it or erase it. The number travels in POST bodies only, never in a
URL (URLs end up in access logs and browser history)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, make_response, render_template
from flask_babel import gettext as _
from flask_login import current_user

from desk.db import get_session
from desk.labels import EVENTS
from desk.permissions import PRIVACY_REQUESTS, requires
from desk.privacy import bp, phones, services
from desk.privacy.forms import EraseForm, ExportForm, LookupForm
from desk.privacy.report import IMAGE_TYPES, as_json

NO_STORE = {"Cache-Control": "no-store"}
EVENT_NAMES = {
    **EVENTS,
    "conversation.opted_out": "Pidió no recibir mensajes (BAJA)",
    "conversation.opted_in": "Pidió volver a recibir mensajes (ALTA)",
    "message.failed": "Un mensaje no se pudo enviar",
}


@bp.route("/privacidad/solicitudes", methods=["GET", "POST"])
@requires(PRIVACY_REQUESTS)
def lookup() -> Any:
    """Type a number and see everything stored about it, before acting."""
    form = LookupForm()
    if not form.is_submitted():
        return _page(form)
    if not form.validate():
        return _page(form), 400
    try:
        phone = phones.normalize(form.phone.data or "")
    except phones.InvalidPhone as error:
        form.phone.errors = [str(error)]
        return _page(form), 400
    return _page(form, services.find(get_session(), phone))


@bp.post("/privacidad/solicitudes/exportar")
@requires(PRIVACY_REQUESTS)
def export() -> Any:
    """Everything stored about the number: a JSON download or a printable page."""
    form = ExportForm()
    if not form.validate_on_submit():
        abort(400, _("Falta el número o el formato de la exportación."))
    found = services.find(get_session(), _phone_or_400(form.phone.data))
    try:
        document = services.export(
            get_session(),
            found,
            agent=current_user,
            secret=current_app.config["SECRET_KEY"],
            shape=form.shape.data,
        )
    except services.NothingStored:
        abort(404, _("No hay nada guardado con ese número."))
    if form.shape.data == "json":
        name = f"datos-personales-{document['generated_at']:%Y%m%d-%H%M}.json"
        return Response(
            as_json(document),
            mimetype="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}"', **NO_STORE},
        )
    page = render_template(
        "privacy/export.html",
        document=document,
        inline_types=IMAGE_TYPES,
        event_names=EVENT_NAMES,
    )
    return make_response(page, 200, NO_STORE)


@bp.post("/privacidad/solicitudes/borrar")
@requires(PRIVACY_REQUESTS)
def erase() -> Any:
    """Erase what identifies the citizen, once the number is typed again."""
    form = EraseForm()
    phone = _phone_or_400(form.phone.data)
    found = services.find(get_session(), phone)
    lookup_form = LookupForm(formdata=None, phone=phone)
    if not form.validate_on_submit():
        return _page(lookup_form, found, erase_form=form), 400
    if not _same_number(form.confirmation.data or "", phone):
        form.confirmation.errors = [_("No es el mismo número: no se borró nada.")]
        return _page(lookup_form, found, erase_form=form), 400
    try:
        erasure = services.erase(
            get_session(),
            found,
            agent=current_user,
            secret=current_app.config["SECRET_KEY"],
            bot=services.bot_for(current_app.config),
        )
    except services.NothingStored:
        abort(404, _("No hay nada guardado con ese número."))
    except services.ActiveCases:
        return _page(lookup_form, found, erase_form=form), 409
    return render_template("privacy/erased.html", erasure=erasure)


def _page(
    form: LookupForm, found: services.Found | None = None, erase_form: EraseForm | None = None
) -> str:
    phone = found.phone if found else ""
    return render_template(
        "privacy/requests.html",
        form=form,
        found=found,
        export_form=ExportForm(formdata=None, phone=phone),
        erase_form=erase_form or EraseForm(formdata=None, phone=phone),
    )


def _phone_or_400(raw: str | None) -> str:
    try:
        return phones.normalize(raw or "")
    except phones.InvalidPhone as error:
        abort(400, str(error))


def _same_number(typed: str, phone: str) -> bool:
    try:
        return phones.same_number(phones.normalize(typed), phone)
    except phones.InvalidPhone:
        return False
