"""The demo agent of the embedded default never works next to a real Twilio account.

``flask --app desk seed-demo`` creates it in the sandbox, with a password printed on
every ``make run``. When Twilio is configured (``TWILIO_ACCOUNT_SID``) the desk talks
to real citizens: the demo agent is deactivated at start-up, refused at the login
(and deactivated there too, should start-up have missed it), and its sessions end.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from desk.models import Agent
from desk.services import audit

log = logging.getLogger(__name__)

DEMO_EMAIL = "agente@demo.local"
DEMO_PASSWORD = "demo-ventanilla"


def refused(config: Mapping[str, Any], email: str | None) -> bool:
    """Whether this e-mail is the demo agent while Twilio is configured."""
    return not config["TWILIO_SANDBOX"] and (email or "").strip().lower() == DEMO_EMAIL


def retire(session: Session, agent: Agent) -> bool:
    """Deactivate the demo agent and end its sessions (in the caller's transaction)."""
    if not agent.active:
        return False
    agent.deactivate()
    audit.record(
        session, "agent.deactivated", actor="system", agent=agent, reason="demo_agent_with_twilio"
    )
    log.warning("the demo agent %s was deactivated: Twilio is configured", DEMO_EMAIL)
    return True


def retire_at_start_up(app: Flask) -> None:
    if not app.config["TWILIO_SANDBOX"]:
        try:
            with app.extensions["desk.db"]() as session, session.begin():
                agent = session.scalars(sa.select(Agent).filter_by(email=DEMO_EMAIL)).first()
                if agent is not None:
                    retire(session, agent)
        except sa.exc.SQLAlchemyError as error:
            # Before the first migration there is no agents table; the login and the
            # session check refuse the demo agent anyway.
            log.warning("could not look for the demo agent at start-up: %s", error)
