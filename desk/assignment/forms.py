from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField


class AssignForm(FlaskForm):
    """To an agent, to a team's queue, or both (choices filled by the view)."""

    agent_id = SelectField(_l("Agente"), coerce=int, choices=[])
    team_id = SelectField(_l("Equipo"), coerce=int, choices=[])


class ClaimForm(FlaskForm):
    """Only the CSRF token."""


class AvailabilityForm(FlaskForm):
    """Only the CSRF token: the view flips the agent's availability."""
