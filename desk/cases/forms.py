from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from desk.models.case import PRIORITIES
from desk.services.cases import NOTE_MAX, TOPIC_MAX

PRIORITY_LABELS = {"low": "Baja", "normal": "Normal", "high": "Alta", "urgent": "Urgente"}


class NoteForm(FlaskForm):
    body = TextAreaField(
        "Nota interna",
        validators=[
            DataRequired("Escribe la nota."),
            Length(max=NOTE_MAX, message=f"Máximo {NOTE_MAX} caracteres."),
        ],
    )


class DetailsForm(FlaskForm):
    priority = SelectField(
        "Prioridad", choices=[SelectChoice(p, PRIORITY_LABELS[p]) for p in PRIORITIES]
    )
    topic = StringField("Tema", validators=[Length(max=TOPIC_MAX)])
    tags = StringField("Etiquetas (separadas por comas)", validators=[Length(max=400)])


class ResolveForm(FlaskForm):
    """Only the CSRF token: resolving takes no input."""


class PendingForm(FlaskForm):
    """Only the CSRF token."""
