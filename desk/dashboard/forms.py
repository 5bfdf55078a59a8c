"""The dashboard's period: two local dates in the query string (?from=…&to=…)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import Optional

DATE_FORMAT = "%Y-%m-%d"


class PeriodForm(FlaskForm):
    """Read from the URL, so a period can be bookmarked and shared; nothing to protect
    with a CSRF token (it only reads)."""

    class Meta:
        csrf = False

    start = DateField(
        _l("Desde"),
        name="from",
        format=DATE_FORMAT,
        validators=[Optional()],
        invalid_value_message=_l("La fecha inicial no es válida: usa el formato AAAA-MM-DD."),
    )
    end = DateField(
        _l("Hasta"),
        name="to",
        format=DATE_FORMAT,
        validators=[Optional()],
        invalid_value_message=_l("La fecha final no es válida: usa el formato AAAA-MM-DD."),
    )

    def first_error(self) -> str:
        return next(str(error) for errors in self.errors.values() for error in errors)
