"""A trainer's edit of one catalog section: both languages, the flag, a new source.

The schema (data/procedures/schema.json) has the last word on lengths and shapes; these
fields only catch what a person gets wrong in a form (a source without its reliability).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from desk.content.services import RELIABILITIES

FREE_CHOICES = [
    SelectChoice("no", _l("Tiene costo")),
    SelectChoice("yes", _l("Gratis")),
    SelectChoice("unknown", _l("Las fuentes no lo dicen")),
]
FREE_VALUES = {"yes": True, "no": False, "unknown": None}


class SectionForm(FlaskForm):
    version = HiddenField()
    es = TextAreaField(
        _l("Español"), validators=[DataRequired(message=_l("Escribe el texto en español."))]
    )
    en = TextAreaField(
        _l("Inglés"), validators=[DataRequired(message=_l("Escribe el texto en inglés."))]
    )
    uncertain = BooleanField(_l("Incierto: el asistente pide confirmar en el sitio oficial"))
    source_ref = StringField(
        _l("Fuente nueva: nombre y fecha"),
        description=_l("Como en el archivo de hechos: «dof 2026-01-02», «consulmex (sin fecha)»."),
        validators=[Optional(), Length(min=2, max=120)],
    )
    source_url = StringField(
        _l("Dirección de la fuente"),
        validators=[
            Optional(),
            Length(max=300),
            Regexp(
                r"^https?://\S+$", message=_l("Una dirección que empiece con http:// o https://.")
            ),
        ],
    )
    source_reliability = SelectField(
        _l("Confiabilidad"),
        choices=[SelectChoice("", "—"), *[SelectChoice(value, value) for value in RELIABILITIES]],
        default="",
    )
    confirm_figures = BooleanField(_l("Confirmo que estas cifras vienen de una fuente"))
    # One checkbox per source the section has now; the view sets the choices.
    remove_sources = SelectMultipleField(
        _l("Quitar estas fuentes"),
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,  # a ref gone from the file is the service's to explain
    )

    def validate(self, extra_validators: object = None) -> bool:
        valid = super().validate(extra_validators)  # type: ignore[arg-type]
        ref = (self.source_ref.data or "").strip()
        if (self.source_url.data or self.source_reliability.data) and not ref:
            self.source_ref.errors = [
                *self.source_ref.errors,
                _l("Falta el nombre y la fecha de la fuente."),
            ]
            valid = False
        if ref and not self.source_reliability.data:
            self.source_reliability.errors = [
                *self.source_reliability.errors,
                _l("Elige la confiabilidad de la fuente."),
            ]
            valid = False
        return valid


class CostForm(SectionForm):
    """The cost also says whether the procedure is free, and the year of its amounts."""

    free = SelectField(_l("¿Cuesta?"), choices=FREE_CHOICES)
    year = IntegerField(
        _l("Año de los montos"),
        validators=[
            Optional(),
            NumberRange(min=2000, max=2100, message=_l("Un año entre 2000 y 2100.")),
        ],
    )
