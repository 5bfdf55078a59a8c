"""Checking an agent's e-mail and password without telling which part was wrong.

Every attempt computes exactly one password hash: the agent's, or — when no agent has
that e-mail — a dummy one made the same way. So an unknown e-mail takes as long as a
wrong password, and the answer's timing does not reveal which e-mails exist. Every
failure gets the same message and status from the view; only the audit trail keeps
the reason.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from desk.models import Agent
from desk.security import demo_agent

# Made like every agent's hash (set_password), for a password nobody knows.
DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(32))

UNKNOWN_EMAIL = "unknown_email"
WRONG_PASSWORD = "wrong_password"
INACTIVE = "inactive"
DEMO_AGENT = "demo_agent_with_twilio"


@dataclass(frozen=True)
class Attempt:
    agent: Agent | None  # set only when the login succeeds
    failure: str | None  # why it failed, for the audit trail only


def authenticate(session: Session, email: str, password: str, config: Mapping[str, Any]) -> Attempt:
    """Check the credentials; the demo agent is retired here when Twilio is configured
    (the caller commits)."""
    agent = session.scalars(sa.select(Agent).filter_by(email=email)).first()
    if agent is None:
        check_password_hash(DUMMY_HASH, password)
        return Attempt(None, UNKNOWN_EMAIL)
    password_ok = agent.check_password(password)
    if demo_agent.refused(config, agent.email):
        demo_agent.retire(session, agent)
        return Attempt(None, DEMO_AGENT)
    if not password_ok:
        return Attempt(None, WRONG_PASSWORD)
    if not agent.active:
        return Attempt(None, INACTIVE)
    return Attempt(agent, None)
