"""What the composer shows for a case, worked out once for the template
(replies/composer.html) and, through data attributes, for desk/static/composer.js."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from desk.db import utcnow
from desk.models import Case, WhatsAppTemplate
from desk.replies.forms import ReplyForm
from desk.replies.rendering import fields_of, template_preview, values_for
from desk.replies.window import Segments, Window, sms_segments, time_left
from desk.services.outbound import MAX_BODY

# Message formats shared with composer.js (read from data attributes), so that what
# the page says before and after the first keystroke is the same sentence.
FORMATS = {
    "sms": "%(units)d caracteres · %(count)d SMS (%(encoding)s) · quedan %(remaining)d",
    "ucs2": "Hay caracteres fuera de GSM-7 (como á, í, ó, ú o emojis): cada SMS lleva "
    "70 caracteres en vez de 160.",
    "chars": "%(length)d/%(max)d caracteres",
    "left": "Ventana de WhatsApp abierta: quedan %(left)s (cierra %(closes)s).",
    "hours": "%(hours)d h %(minutes)02d min",
    "minutes": "%(minutes)d min",
    "under_minute": "menos de 1 min",
    "closed": "La ventana de 24 horas de WhatsApp se cerró: solo puedes enviar una "
    "plantilla aprobada.",
    "results": "%(count)d respuestas preparadas; flechas para elegir, Enter para insertar.",
    "no_results": "Ninguna respuesta preparada coincide.",
}


@dataclass(frozen=True)
class TemplateInput:
    input_id: str
    input_name: str
    name: str
    value: str


@dataclass(frozen=True)
class TemplateChoice:
    template: WhatsAppTemplate
    inputs: list[TemplateInput]
    preview: str
    selected: bool
    # For composer.js's live preview: what each {{n}} holds, and what the desk fills.
    names_json: str
    values_json: str


@dataclass(frozen=True)
class ComposerView:
    channel: str
    window: Window
    body: str
    time_left: str
    segments: Segments
    counter: str
    ucs2_hint: bool
    templates: list[TemplateChoice]
    canned_url: str
    formats: dict[str, str]

    @property
    def is_sms(self) -> bool:
        return self.channel == "sms"


def composer_view(
    case: Case,
    templates: list[WhatsAppTemplate],
    form: ReplyForm,
    window: Window,
    now: datetime | None = None,
) -> ComposerView:
    now = now or utcnow()
    body = form.body.data or ""
    segments = sms_segments(body)
    channel = case.conversation.channel
    if channel == "sms":
        counter = _(
            FORMATS["sms"],
            units=segments.units,
            count=segments.count,
            encoding=segments.encoding,
            remaining=segments.remaining,
        )
    else:
        counter = _(FORMATS["chars"], length=len(body), max=MAX_BODY)
    remaining = window.remaining(now)
    chosen = form.template_id.data or (templates[0].id if templates else None)
    automatic = values_for(case, current_user)
    choices = []
    for template in templates:
        inputs = [
            TemplateInput(
                input_id=f"var-{template.id}-{field.position}",
                input_name=f"var_{template.id}_{field.position}",
                name=field.name,
                value=form.variable(template.id, field.position),
            )
            for field in fields_of(template, case, current_user)
        ]
        choices.append(
            TemplateChoice(
                template=template,
                inputs=inputs,
                preview=template_preview(
                    template, case, current_user, {item.name: item.value for item in inputs}
                ),
                selected=template.id == chosen,
                names_json=json.dumps(list(template.variables), ensure_ascii=False),
                values_json=json.dumps(
                    {name: value for name, value in automatic.items() if value},
                    ensure_ascii=False,
                ),
            )
        )
    return ComposerView(
        channel=channel,
        window=window,
        body=body,
        time_left=time_left(remaining) if remaining is not None else "",
        segments=segments,
        counter=counter,
        ucs2_hint=channel == "sms" and segments.encoding == "UCS-2",
        templates=choices,
        canned_url=url_for("replies.canned", case=case.id),
        formats={key: _(text) for key, text in FORMATS.items()},
    )
