"""Who works a case: claiming, assigning, automatic assignment among available agents,
and handing back the cases of an agent who went away.

Automatic assignment gives the oldest unassigned new case to the available agent with
the fewest active cases (ties: the one who got a case longest ago), never above the
agent's cap. It runs when a case opens, when an agent becomes available, and from
the worker's periodic housekeeping.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.models import Agent, Case, Team
from desk.models import agent as a
from desk.models import case as c
from desk.services import audit, settings

# Roles that answer citizens and so can be given cases.
WORKING_ROLES = (a.AGENT, a.SUPERVISOR, a.ADMIN)


class AssignmentError(ValueError):
    """The case cannot go to that person or team; the message says why."""


def claim(session: Session, case: Case, agent: Agent, *, now: datetime | None = None) -> None:
    """The agent takes the case. Adds to the caller's transaction."""
    _give(session, case, agent, by=agent, action="case.claimed", now=now)


def assign(
    session: Session,
    case: Case,
    *,
    by: Agent | None,
    agent: Agent | None = None,
    team: Team | None = None,
    now: datetime | None = None,
) -> None:
    """Give the case to an agent, or to a team's queue (no agent). Adds to the transaction."""
    if team is not None and team.id != case.team_id:
        case.team = team
        audit.record(
            session,
            "case.team_changed",
            actor="agent" if by else "system",
            agent=by,
            case=case,
            team=team.name,
        )
    if agent is None:
        if case.assignee_id is not None:
            _unassign(session, case, by=by, why="reassigned to a team")
        return
    _give(session, case, agent, by=by, action="case.assigned", now=now)


def _give(
    session: Session,
    case: Case,
    agent: Agent,
    *,
    by: Agent | None,
    action: str,
    now: datetime | None,
) -> None:
    if not case.is_active:
        raise AssignmentError(f"el caso {case.folio} ya no está activo")
    if not agent.active or agent.role not in WORKING_ROLES:
        raise AssignmentError(f"{agent.name} no puede atender casos")
    previous = case.assignee
    case.assignee = agent
    case.assignee_id = agent.id
    case.assigned_at = now or utcnow()
    if by is agent:
        agent.last_seen_at = case.assigned_at  # taking a case is being here
    if case.status == c.NEW:
        case.status = c.OPEN
    audit.record(
        session,
        action,
        actor="agent" if by else "system",
        agent=by,
        case=case,
        assignee=agent.name,
        assignee_id=agent.id,
        previous=previous.name if previous else None,
    )


def _unassign(session: Session, case: Case, *, by: Agent | None, why: str) -> None:
    previous = case.assignee
    case.assignee = None
    case.assignee_id = None
    case.assigned_at = None
    if case.status == c.OPEN and case.first_response_at is None:
        case.status = c.NEW
    audit.record(
        session,
        "case.unassigned",
        actor="agent" if by else "system",
        agent=by,
        case=case,
        previous=previous.name if previous else None,
        why=why,
    )


def active_load(session: Session) -> dict[int, int]:
    """Active cases per assigned agent."""
    rows = session.execute(
        sa.select(Case.assignee_id, sa.func.count())
        .where(Case.status.in_(c.ACTIVE), Case.assignee_id.is_not(None))
        .group_by(Case.assignee_id)
    )
    return {agent_id: count for agent_id, count in rows}


def auto_assign(session: Session, *, now: datetime | None = None, limit: int = 100) -> int:
    """Give unassigned new cases, oldest first, to available agents. Returns how many.

    Adds to the caller's transaction. Two desks running this at once on PostgreSQL
    lock the cases they take (SKIP LOCKED), so a case goes to one agent only.
    """
    if not settings.get(session, "auto_assign"):
        return 0
    now = now or utcnow()
    agents = list(
        session.scalars(
            sa.select(Agent).where(
                Agent.active.is_(True),
                Agent.available.is_(True),
                Agent.role.in_(WORKING_ROLES),
            )
        )
    )
    if not agents:
        return 0
    load = active_load(session)
    waiting = session.scalars(
        sa.select(Case)
        .where(Case.status == c.NEW, Case.assignee_id.is_(None))
        .order_by(Case.opened_at, Case.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    given = 0
    for case in waiting:
        candidates = [
            agent
            for agent in agents
            if load.get(agent.id, 0) < agent.max_active_cases
            and (case.team_id is None or agent.team_id == case.team_id)
        ]
        if not candidates:
            continue
        chosen = min(
            candidates,
            key=lambda agent: (load.get(agent.id, 0), _last_given(session, agent), agent.id),
        )
        _give(session, case, chosen, by=None, action="case.assigned", now=now)
        load[chosen.id] = load.get(chosen.id, 0) + 1
        given += 1
    return given


def _last_given(session: Session, agent: Agent) -> datetime:
    latest = session.scalar(
        sa.select(sa.func.max(Case.assigned_at)).where(Case.assignee_id == agent.id)
    )
    return latest or datetime.min.replace(tzinfo=utcnow().tzinfo)


def set_available(
    session: Session, agent: Agent, available: bool, *, now: datetime | None = None
) -> None:
    """The agent starts or stops taking cases. Adds to the caller's transaction."""
    if agent.available == available:
        return
    agent.available = available
    agent.available_changed_at = now or utcnow()
    audit.record(
        session, "agent.available" if available else "agent.away", actor="agent", agent=agent
    )


def hand_back_from_away(session: Session, *, now: datetime | None = None) -> int:
    """Cases nobody has answered yet, held by agents away longer than the setting,
    go back to the queue. Returns how many. Adds to the caller's transaction."""
    now = now or utcnow()
    minutes = settings.get(session, "offline_handback_minutes")
    cutoff = now - timedelta(minutes=minutes)
    # Available but gone: the browser closed without a goodbye. The desk's pages say
    # the agent is there (last_seen_at) every minute or so.
    gone = session.scalars(
        sa.select(Agent).where(Agent.available.is_(True), Agent.last_seen_at < cutoff)
    ).all()
    for agent in gone:
        agent.available = False
        agent.available_changed_at = agent.last_seen_at
        audit.record(session, "agent.away", actor="system", agent=agent, why="not seen")
    # Away: deactivated, said so long enough ago, or no page of theirs has been open
    # for as long (the browser closed). An agent who never said they were available
    # keeps what they took while they are there.
    away = sa.or_(
        Agent.active.is_(False),
        sa.and_(Agent.available.is_(False), Agent.available_changed_at <= cutoff),
        Agent.last_seen_at < cutoff,
    )
    stranded = session.scalars(
        sa.select(Case)
        .join(Agent, Case.assignee_id == Agent.id)
        .where(Case.status.in_((c.NEW, c.OPEN)), Case.first_response_at.is_(None), away)
    ).all()
    for case in stranded:
        _unassign(session, case, by=None, why="agent away")
    return len(stranded)
