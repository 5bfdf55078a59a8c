"""Running the desk: people and their roles, teams, SLA targets and settings.

Every function adds to the caller's transaction and never commits: the view commits
once the whole change (and its audit event) is in. Refusals raise ``AdminError``
subclasses whose message is meant for the admin's screen; ``field`` names the form
field the message belongs next to, when there is one.

Audit events about an account ("agent.*") name that account in ``agent``, as the rest
of the desk does, and the admin who made the change in ``by``; the other events
("team.*", "sla.*", "setting.*") name the admin in ``agent``. No event holds a password.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from desk.assignment import services as assignment
from desk.assignment.sla import BusinessHours
from desk.models import Agent, Case, SlaTarget, Team
from desk.models import agent as a
from desk.models import case as c
from desk.services import audit, settings

MIN_PASSWORD = 10
MAX_PASSWORD = 200


class AdminError(ValueError):
    """A change the desk refuses; the message says why, for the admin to read."""

    field: str | None = None

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field


class DuplicateEmail(AdminError):
    field = "email"


class LastAdmin(AdminError):
    """The change would leave the desk without an active admin, and nobody could run it."""


class TeamInUse(AdminError):
    pass


class DuplicateTeam(AdminError):
    field = "name"


# --- people ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentDetails:
    """What an admin sets on an account (the e-mail and password only at creation)."""

    name: str
    role: str
    team_id: int | None
    language: str
    max_active_cases: int


def create_agent(
    session: Session, by: Agent, *, email: str, password: str, details: AgentDetails
) -> Agent:
    """A new account that can sign in at once with ``password``."""
    email = email.strip().lower()
    _check_details(session, details)
    check_password(password, field="password")
    if session.scalar(sa.select(Agent.id).where(sa.func.lower(Agent.email) == email)):
        raise DuplicateEmail(_("Ya existe una cuenta con ese correo."))
    agent = Agent(email=email, active=True, **_fields(details))
    agent.set_password(password)
    session.add(agent)
    session.flush()  # the id, for the audit event
    _audit_agent(session, "agent.created", agent, by, email=email, **_fields(details))
    return agent


def update_agent(session: Session, by: Agent, agent: Agent, details: AgentDetails) -> list[str]:
    """Change an account's name, role, team, language or cap; returns what changed."""
    _check_details(session, details)
    if agent.role == a.ADMIN and details.role != a.ADMIN and agent.active:
        _keep_an_admin(
            session, agent, _("No puedes quitar el rol de admin al último admin activo.")
        )
    changes: dict[str, list[Any]] = {}
    for field, value in _fields(details).items():
        if getattr(agent, field) != value:
            changes[field] = [getattr(agent, field), value]
            setattr(agent, field, value)
    if changes:
        _audit_agent(session, "agent.updated", agent, by, changes=changes)
    return sorted(changes)


def reset_password(session: Session, by: Agent, agent: Agent, password: str) -> None:
    """A new password set by an admin (the agent forgot theirs): their sessions end."""
    check_password(password, field="new_password")
    agent.set_password(password)
    agent.end_sessions()
    _audit_agent(session, "agent.password_reset", agent, by)


def deactivate_agent(session: Session, by: Agent, agent: Agent) -> None:
    """The account can no longer sign in; its open sessions end now, and automatic
    assignment stops giving it cases."""
    if not agent.active:
        return
    if agent.role == a.ADMIN:
        _keep_an_admin(session, agent, _("No puedes desactivar al último admin activo."))
    assignment.set_available(session, agent, False)
    agent.deactivate()
    _audit_agent(session, "agent.deactivated", agent, by)


def reactivate_agent(session: Session, by: Agent, agent: Agent) -> None:
    """The account can sign in again (with its existing password)."""
    if agent.active:
        return
    agent.active = True
    _audit_agent(session, "agent.reactivated", agent, by)


def check_password(password: str, *, field: str) -> None:
    """Long enough to resist guessing; the same rule as `flask create-agent`."""
    if len(password) < MIN_PASSWORD or not password.strip():
        raise AdminError(
            _("La contraseña debe tener al menos %(count)d caracteres.", count=MIN_PASSWORD),
            field=field,
        )
    if len(password) > MAX_PASSWORD:
        raise AdminError(
            _("La contraseña puede tener hasta %(count)d caracteres.", count=MAX_PASSWORD),
            field=field,
        )


def _check_details(session: Session, details: AgentDetails) -> None:
    if not details.name.strip():
        raise AdminError(_("Escribe el nombre."), field="name")
    if details.role not in a.ROLES:
        raise AdminError(_("Elige un rol de la lista."), field="role")
    if details.language not in a.LANGUAGES:
        raise AdminError(_("Elige un idioma de la lista."), field="language")
    if details.max_active_cases < 0:
        raise AdminError(_("El tope no puede ser negativo."), field="max_active_cases")
    if details.team_id is not None and session.get(Team, details.team_id) is None:
        raise AdminError(_("Ese equipo no existe."), field="team_id")


def _fields(details: AgentDetails) -> dict[str, Any]:
    return {
        "name": details.name.strip(),
        "role": details.role,
        "team_id": details.team_id,
        "language": details.language,
        "max_active_cases": details.max_active_cases,
    }


def _keep_an_admin(session: Session, leaving: Agent, message: str) -> None:
    """Refuse if ``leaving`` is the only active admin.

    The rows are locked (PostgreSQL), so two admins demoting each other at the same
    moment cannot both pass the check; SQLite's write lock already serializes them.
    """
    admins = session.scalars(
        sa.select(Agent.id).where(Agent.role == a.ADMIN, Agent.active.is_(True)).with_for_update()
    ).all()
    if set(admins) <= {leaving.id}:
        raise LastAdmin(message)


def _audit_agent(session: Session, action: str, agent: Agent, by: Agent, **details: Any) -> None:
    audit.record(
        session, action, actor="agent", agent=agent, by=by.id, by_email=by.email, **details
    )


# --- teams ----------------------------------------------------------------------------


def create_team(session: Session, by: Agent, name: str) -> Team:
    name = _team_name(session, name)
    team = Team(name=name)
    session.add(team)
    session.flush()
    audit.record(session, "team.created", actor="agent", agent=by, team_id=team.id, name=name)
    return team


def rename_team(session: Session, by: Agent, team: Team, name: str) -> None:
    previous = team.name
    if name.strip() == previous:
        return
    team.name = _team_name(session, name, keep=team)
    audit.record(
        session,
        "team.renamed",
        actor="agent",
        agent=by,
        team_id=team.id,
        previous=previous,
        name=team.name,
    )


def delete_team(session: Session, by: Agent, team: Team) -> None:
    """Refused while agents or active cases belong to the team. Finished cases keep
    their history in the audit trail and simply lose the team."""
    members = session.scalar(sa.select(sa.func.count()).where(Agent.team_id == team.id)) or 0
    if members:
        raise TeamInUse(
            _(
                "No se puede borrar: %(count)d agentes pertenecen a este equipo. "
                "Cámbialos de equipo primero.",
                count=members,
            )
        )
    active = (
        session.scalar(
            sa.select(sa.func.count()).where(Case.team_id == team.id, Case.status.in_(c.ACTIVE))
        )
        or 0
    )
    if active:
        raise TeamInUse(
            _(
                "No se puede borrar: el equipo tiene %(count)d casos activos.",
                count=active,
            )
        )
    session.execute(sa.update(Case).where(Case.team_id == team.id).values(team_id=None))
    audit.record(session, "team.deleted", actor="agent", agent=by, team_id=team.id, name=team.name)
    session.delete(team)


def _team_name(session: Session, name: str, keep: Team | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise AdminError(_("Escribe el nombre del equipo."), field="name")
    if len(name) > 80:
        raise AdminError(_("El nombre puede tener hasta 80 caracteres."), field="name")
    clash = session.scalar(sa.select(Team.id).where(sa.func.lower(Team.name) == name.lower()))
    if clash is not None and (keep is None or clash != keep.id):
        raise DuplicateTeam(_("Ya existe un equipo con ese nombre."))
    return name


# --- SLA targets ----------------------------------------------------------------------


def sla_targets(session: Session) -> dict[str, tuple[int, int]]:
    """(first response, resolution) minutes for every priority, saved or default."""
    return {priority: settings.sla_minutes(session, priority) for priority in c.PRIORITIES}


def set_sla(session: Session, by: Agent, priority: str, first: int, resolution: int) -> bool:
    """Save one priority's targets; whether they changed. Cases opened from now on
    get the new due times (open cases keep theirs)."""
    if priority not in c.PRIORITIES:
        raise AdminError(_("Esa prioridad no existe."))
    if first <= 0:
        raise AdminError(_("Debe ser un número de minutos mayor que cero."), field="first")
    if resolution <= 0:
        raise AdminError(_("Debe ser un número de minutos mayor que cero."), field="resolution")
    if first > resolution:
        raise AdminError(
            _("La resolución no puede llegar antes que la primera respuesta."),
            field="resolution",
        )
    previous = settings.sla_minutes(session, priority)
    if previous == (first, resolution):
        return False
    row = session.get(SlaTarget, priority)
    if row is None:
        session.add(
            SlaTarget(
                priority=priority, first_response_minutes=first, resolution_minutes=resolution
            )
        )
    else:
        row.first_response_minutes = first
        row.resolution_minutes = resolution
    audit.record(
        session,
        "sla.updated",
        actor="agent",
        agent=by,
        priority=priority,
        previous=list(previous),
        first_response_minutes=first,
        resolution_minutes=resolution,
    )
    return True


# --- settings -------------------------------------------------------------------------

BUSINESS_KEYS = ("business_days", "business_start", "business_end")


def save_settings(session: Session, by: Agent, values: dict[str, Any]) -> list[str]:
    """Save the settings that changed; returns their keys.

    Raises ``AdminError`` with ``field`` set to the setting's key when a value is
    refused; nothing is saved then (the caller rolls back)."""
    current = settings.all_values(session)
    hours = {key: values.get(key, current[key]) for key in BUSINESS_KEYS}
    try:
        BusinessHours.parse(hours["business_days"], hours["business_start"], hours["business_end"])
    except (TypeError, ValueError) as error:
        if not hours["business_days"]:
            raise AdminError(_("Elige al menos un día de atención."), "business_days") from error
        if "start before" in str(error):
            raise AdminError(
                _("El horario debe empezar antes de terminar."), "business_end"
            ) from error
        raise AdminError(_("Escribe la hora como HH:MM."), "business_start") from error
    changed = []
    for key, value in values.items():
        if key not in settings.DEFAULTS:
            raise AdminError(_("Ese ajuste no existe."))
        if value == current[key]:
            continue
        try:
            settings.put(session, key, value)
        except settings.InvalidSetting as error:
            raise AdminError(_("Valor no válido para este ajuste."), key) from error
        audit.record(
            session,
            "setting.changed",
            actor="agent",
            agent=by,
            key=key,
            old=current[key],
            new=value,
        )
        changed.append(key)
    return changed
