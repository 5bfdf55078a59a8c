from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from desk.models.case import PRIORITIES
from desk.services.cases import NOTE_MAX, TOPIC_MAX

PRIORITY_LABELS = {
    "low": _l("Baja"),
    "normal": _l("Normal"),
    "high": _l("Alta"),
    "urgent": _l("Urgente"),
}


class NoteForm(FlaskForm):
    body = TextAreaField(
        _l("Nota interna"),
        validators=[
            DataRequired(_l("Escribe la nota.")),
            Length(max=NOTE_MAX, message=_l("Máximo %(n)d caracteres.", n=NOTE_MAX)),
        ],
    )


class DetailsForm(FlaskForm):
    priority = SelectField(
        _l("Prioridad"), choices=[SelectChoice(p, PRIORITY_LABELS[p]) for p in PRIORITIES]
    )
    topic = StringField(_l("Tema"), validators=[Length(max=TOPIC_MAX)])
    tags = StringField(_l("Etiquetas (separadas por comas)"), validators=[Length(max=400)])


class ResolveForm(FlaskForm):
    """Only the CSRF token: resolving takes no input."""


class PendingForm(FlaskForm):
    """Only the CSRF token."""
