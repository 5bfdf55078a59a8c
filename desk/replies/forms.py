"""The composer's form and the admin forms for canned replies and WhatsApp templates."""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from desk.models.reply_template import CASE_RESOLVED, CSAT, GENERAL, PURPOSES
from desk.replies.rendering import AUTOMATIC, TEMPLATE_MAX, numbered_placeholders
from desk.services.outbound import MAX_BODY

# The composer's template inputs are named var_<template id>_<position>.
VARIABLE_INPUT = re.compile(r"^var_(\d+)_(\d+)$")


class ReplyForm(FlaskForm):
    """Free text inside the window (or on SMS), or an approved template outside it."""

    body = TextAreaField(
        _l("Respuesta"),
        # Browsers send a textarea's line breaks as CRLF; Twilio would count two.
        filters=[lambda text: text.replace("\r\n", "\n") if text else text],
        validators=[
            Optional(),
            Length(max=MAX_BODY, message=_l("Máximo %(max)d caracteres (límite de Twilio).")),
        ],
    )
    template_id = IntegerField(_l("Plantilla"), validators=[Optional()])
    wait_for_citizen = BooleanField(_l("Esperar respuesta del ciudadano"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What the agent typed in the template's fields, to show it again after an error.
        submitted = kwargs.get("formdata", request.form if request.method == "POST" else None)
        self.variable_values: dict[str, str] = {
            key: value for key, value in (submitted or {}).items() if VARIABLE_INPUT.match(key)
        }

    def variable(self, template_id: int, position: int) -> str:
        return self.variable_values.get(f"var_{template_id}_{position}", "")


PURPOSE_LABELS = {
    GENERAL: _l("General (la eligen los agentes)"),
    CASE_RESOLVED: _l("Aviso de caso resuelto"),
    CSAT: _l("Pregunta de satisfacción"),
}
LANGUAGE_LABELS = {"es": _l("Español"), "en": _l("Inglés")}
# The desk's own notices are sent with no agent and nobody to fill a field.
NOTICE_VARIABLES = ("nombre", "folio")
FREE_LABEL = re.compile(r"^\w[\w ./-]{0,39}$")
CANNED_BRACES = re.compile(r"\{[^{}]*\}")


class CannedReplyForm(FlaskForm):
    shortcut = StringField(
        _l("Atajo (lo que se escribe después de «/»)"),
        validators=[
            DataRequired(_l("Escribe el atajo.")),
            Length(max=40),
            Regexp(
                r"^[a-z0-9-]+$",
                message=_l("Solo minúsculas sin acentos, números y guiones (p. ej. horario-curp)."),
            ),
        ],
    )
    title = StringField(
        _l("Título"), validators=[DataRequired(_l("Escribe el título.")), Length(max=120)]
    )
    body_es = TextAreaField(
        _l("Texto en español"),
        validators=[DataRequired(_l("Escribe el texto en español.")), Length(max=MAX_BODY)],
    )
    body_en = TextAreaField(_l("Texto en inglés (opcional)"), validators=[Length(max=MAX_BODY)])

    def validate_body_es(self, field: StringField) -> None:
        _only_known_placeholders(field.data or "")

    def validate_body_en(self, field: StringField) -> None:
        _only_known_placeholders(field.data or "")


def _only_known_placeholders(text: str) -> None:
    unknown = [found for found in CANNED_BRACES.findall(text) if found[1:-1] not in AUTOMATIC]
    if unknown:
        raise ValidationError(
            _(
                "%(unknown)s no se puede llenar: usa {nombre}, {folio} o {agente}.",
                unknown=", ".join(unknown),
            )
        )


class TemplateForm(FlaskForm):
    name = StringField(
        _l("Nombre de la plantilla"),
        validators=[DataRequired(_l("Escribe el nombre.")), Length(max=80)],
    )
    content_sid = StringField(
        _l("Content SID de Twilio"),
        validators=[
            DataRequired(_l("Escribe el Content SID.")),
            Regexp(
                r"^HX[0-9a-fA-F]{32}$",
                message=_l("Un Content SID es «HX» seguido de 32 dígitos hexadecimales."),
            ),
        ],
    )
    language = SelectField(
        _l("Idioma"),
        choices=[SelectChoice(code, label) for code, label in LANGUAGE_LABELS.items()],
    )
    body = TextAreaField(
        _l("Texto aprobado, con {{1}}, {{2}}… donde van las variables"),
        validators=[DataRequired(_l("Escribe el texto aprobado.")), Length(max=TEMPLATE_MAX)],
    )
    variables = StringField(
        _l("Qué lleva cada variable, en orden, separadas por comas"),
        description=_l(
            "nombre, folio y agente se llenan solos; cualquier otra etiqueta (p. ej. "
            "«fecha de la cita») la escribe el agente al enviar."
        ),
        validators=[Length(max=400)],
    )
    purpose = SelectField(
        _l("Uso"),
        choices=[SelectChoice(purpose, PURPOSE_LABELS[purpose]) for purpose in PURPOSES],
    )

    def variable_names(self) -> list[str]:
        """The variables as typed: nombre, folio and agente in lower case."""
        raw = (self.variables.data or "").strip()
        if not raw:
            return []
        names = [" ".join(part.split()) for part in raw.split(",")]
        return [name.lower() if name.lower() in AUTOMATIC else name for name in names]

    def validate_variables(self, field: StringField) -> None:
        names = self.variable_names()
        if any(not name for name in names):
            raise ValidationError(_("Hay una variable vacía entre dos comas."))
        bad = [name for name in names if not FREE_LABEL.match(name)]
        if bad:
            raise ValidationError(
                _(
                    "«%(name)s» no sirve de etiqueta: hasta 40 letras, números, espacios "
                    "o guiones.",
                    name=bad[0],
                )
            )
        if self.purpose.data in (CASE_RESOLVED, CSAT):
            others = [name for name in names if name not in NOTICE_VARIABLES]
            if others:
                raise ValidationError(
                    _(
                        "Los avisos automáticos solo pueden llevar nombre y folio "
                        "(nadie llena «%(name)s»).",
                        name=others[0],
                    )
                )
        numbers = numbered_placeholders(self.body.data or "")
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValidationError(
                _("Las variables del texto deben ser {{1}}, {{2}}, {{3}}… sin saltos.")
            )
        if len(numbers) != len(names):
            raise ValidationError(
                _(
                    "El texto tiene %(placeholders)d variable(s) y aquí hay %(names)d.",
                    placeholders=len(numbers),
                    names=len(names),
                )
            )


class ToggleForm(FlaskForm):
    """Deactivate or reactivate: nothing but the CSRF token."""
