"""A privacy request's forms: the number to look up, then export or erase it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

SHAPES = ("json", "html")


class LookupForm(FlaskForm):
    phone = StringField(
        _l("Número del ciudadano"),
        validators=[DataRequired(_l("Escribe el número.")), Length(max=40)],
    )


class ExportForm(FlaskForm):
    """The number found; the button pressed says the shape (JSON or printable page)."""

    phone = HiddenField(validators=[DataRequired(), Length(max=40)])
    shape = StringField(validators=[AnyOf(SHAPES)])  # the submit button's value


class EraseForm(FlaskForm):
    """The number found, and the same number typed again: the confirmation."""

    phone = HiddenField(validators=[DataRequired(), Length(max=40)])
    confirmation = StringField(
        _l("Escribe el número otra vez para confirmar"),
        validators=[DataRequired(_l("Escribe el número para confirmar.")), Length(max=40)],
    )
