"""The inbox's filters (in the URL) and a trainer's verdict on one message.

Intents are plain text checked against the domain's, not a select: the page offers them
in a datalist, so a trainer types a few letters and picks one with the keyboard.
"""

from __future__ import annotations

from collections.abc import Collection

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, ValidationError

from desk.dashboard.forms import PeriodForm

CHANNELS = ("whatsapp", "sms")


class InboxFilters(PeriodForm):
    """Read from the URL, so a filtered inbox can be bookmarked; it only reads. The dates
    (?from=…&to=…) are the dashboard's period, read the same way.
    """

    intent = StringField(_l("Intent"), validators=[Optional(), Length(max=80)])
    channel = StringField(
        _l("Canal"),
        validators=[Optional(), AnyOf(CHANNELS, message=_l("Canal desconocido."))],
    )
    model = StringField(_l("Modelo"), validators=[Optional(), Length(max=64)])
    procedure = StringField(_l("Trámite"), validators=[Optional(), Length(max=64)])


class ReviewForm(FlaskForm):
    """Confirm (the intent, and the procedure as it is written in the message) or dismiss."""

    intent = StringField(
        _l("Intent correcto"),
        validators=[DataRequired(message=_l("Escribe o elige el intent."))],
    )
    procedure = StringField(
        _l("Trámite, tal como aparece en el mensaje"),
        validators=[Optional(), Length(max=200)],
    )

    def __init__(self, *args: object, intents: Collection[str] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.intents = intents

    def validate_intent(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        if field.data not in self.intents:
            raise ValidationError(_l("Ese intent no está en el dominio del asistente."))
