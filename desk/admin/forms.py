"""The admins' forms, and the agent's own profile. Labels and messages are lazy: the
forms are defined once, and each admin reads them in their own language."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)
from wtforms.widgets import CheckboxInput, ListWidget

from desk.admin.services import MAX_PASSWORD, MIN_PASSWORD
from desk.models import agent as a
from desk.models import case as c
from desk.services import settings

# The role and priority names are translated where they are shown (templates), so
# the choices carry the Spanish msgids.
ROLE_NAMES = {
    a.AGENT: _("Agente"),
    a.SUPERVISOR: _("Supervisor"),
    a.TRAINER: _("Entrenador"),
    a.ADMIN: _("Admin"),
}
# Each language in its own words: someone who cannot read the current one finds theirs.
LANGUAGE_NAMES = {"es": "Español", "en": "English"}
DAYS = [
    _("Lunes"),
    _("Martes"),
    _("Miércoles"),
    _("Jueves"),
    _("Viernes"),
    _("Sábado"),
    _("Domingo"),
]
MAX_CAP = 999
MAX_MINUTES = 365 * 24 * 60
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def _lower(value: str | None) -> str | None:
    return value.strip().lower() if value else value


def _strip(value: str | None) -> str | None:
    return value.strip() if value else value


def choices(names: dict[Any, Any]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in names.items()]


def _optional_int(value: Any) -> int | None:
    return None if value in (None, "", "None") else int(value)


def _password(label: Any, *, required: bool = True) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(_("Escribe la contraseña.")) if required else Optional(),
            Length(
                min=MIN_PASSWORD,
                max=MAX_PASSWORD,
                message=_(
                    "La contraseña debe tener entre %(min)d y %(max)d caracteres.",
                    min=MIN_PASSWORD,
                    max=MAX_PASSWORD,
                ),
            ),
        ],
    )


class _AgentFields(FlaskForm):
    """What an admin sets on any account. The view fills the team choices."""

    name = StringField(
        _("Nombre"),
        filters=[_strip],
        validators=[DataRequired(_("Escribe el nombre.")), Length(max=120)],
    )
    role = SelectField(
        _("Rol"),
        choices=choices(ROLE_NAMES),
        default=a.AGENT,
        invalid_choice_message=_("Elige un rol de la lista."),
    )
    team_id = SelectField(_("Equipo"), coerce=_optional_int, choices=[], validate_choice=False)
    language = SelectField(
        _("Idioma de la interfaz"),
        choices=choices(LANGUAGE_NAMES),
        default="es",
        invalid_choice_message=_("Elige un idioma de la lista."),
    )
    max_active_cases = IntegerField(
        _("Tope de casos activos"),
        default=8,
        validators=[
            InputRequired(_("Escribe un número.")),
            NumberRange(min=0, max=MAX_CAP, message=_("Un número de 0 a %(max)d.", max=MAX_CAP)),
        ],
        description=_("La asignación automática no le da más casos que estos (0: ninguno)."),
    )


class NewAgentForm(_AgentFields):
    email = EmailField(
        _("Correo"),
        filters=[_lower],
        validators=[
            DataRequired(_("Escribe el correo.")),
            Length(max=254),
            Regexp(r"^[^@\s]+@[^@\s]+$", message=_("Ese correo no es válido.")),
        ],
    )
    password = _password(_("Contraseña inicial"))


class EditAgentForm(_AgentFields):
    new_password = _password(_("Nueva contraseña (opcional)"), required=False)


class ActionForm(FlaskForm):
    """Only the CSRF token: buttons that deactivate, reactivate or delete."""


class TeamForm(FlaskForm):
    name = StringField(
        _("Nombre del equipo"),
        filters=[_strip],
        validators=[DataRequired(_("Escribe el nombre del equipo.")), Length(max=80)],
    )


def sla_form(targets: dict[str, tuple[int, int]]) -> FlaskForm:
    """Two fields per priority: ``<priority>_first`` and ``<priority>_resolution``."""

    class SlaForm(FlaskForm):
        pass

    for priority in c.PRIORITIES:
        first, resolution = targets[priority]
        setattr(SlaForm, f"{priority}_first", _minutes(_("Primera respuesta"), first))
        setattr(SlaForm, f"{priority}_resolution", _minutes(_("Resolución"), resolution))
    return SlaForm()


def _minutes(label: Any, default: int) -> IntegerField:
    return IntegerField(
        label,
        default=default,
        validators=[
            InputRequired(_("Escribe un número de minutos.")),
            NumberRange(
                min=1,
                max=MAX_MINUTES,
                message=_("Un número de minutos de 1 a %(max)d.", max=MAX_MINUTES),
            ),
        ],
    )


class DaysField(SelectMultipleField):
    """Checkboxes, one per weekday."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def settings_form(values: dict[str, Any]) -> FlaskForm:
    """One field per setting of desk.services.settings.DEFAULTS, by its kind."""

    class SettingsForm(FlaskForm):
        pass

    for key, (_default, kind, label) in settings.DEFAULTS.items():
        setattr(SettingsForm, key, setting_field(key, kind, label))
    return SettingsForm(data=values)


def setting_field(key: str, kind: type, label: str) -> Field:
    # The labels live in desk.services.settings; scripts/update-translations adds
    # them to the catalog.
    text = _(label)
    if key == "business_days":
        return DaysField(
            text,
            coerce=int,
            choices=choices(dict(enumerate(DAYS))),
            invalid_choice_message=_("Elige días de la lista."),
        )
    if kind is bool:
        return BooleanField(text)
    if kind is int:
        return IntegerField(
            text,
            validators=[
                InputRequired(_("Escribe un número.")),
                NumberRange(min=0, message=_("Un número de 0 en adelante.")),
            ],
        )
    if kind is str and key.endswith(("_start", "_end")):
        return StringField(
            text,
            filters=[_strip],
            validators=[
                InputRequired(_("Escribe la hora.")),
                Regexp(HHMM, message=_("Escribe la hora como HH:MM (por ejemplo 09:00).")),
            ],
            render_kw={"type": "time"},
        )
    if kind is str:
        return StringField(text, filters=[_strip], validators=[InputRequired()])
    raise TypeError(f"no form field for setting {key!r} of kind {kind.__name__}")


class LanguageForm(FlaskForm):
    language = SelectField(
        _("Idioma de la interfaz"),
        choices=choices(LANGUAGE_NAMES),
        invalid_choice_message=_("Elige un idioma de la lista."),
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        _("Contraseña actual"),
        validators=[DataRequired(_("Escribe tu contraseña actual.")), Length(max=MAX_PASSWORD)],
    )
    new_password = _password(_("Nueva contraseña"))
    confirm = PasswordField(
        _("Repite la nueva contraseña"),
        validators=[EqualTo("new_password", message=_("Las dos contraseñas no coinciden."))],
    )
