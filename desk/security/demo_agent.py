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
# The embedded default shows every role: one demo account each, all with DEMO_PASSWORD.
DEMO_ACCOUNTS = {
    DEMO_EMAIL: ("Agente Demo", "agent"),
    "supervisora@demo.local": ("Supervisora Demo", "supervisor"),
    "admin@demo.local": ("Admin Demo", "admin"),
    "entrenador@demo.local": ("Entrenador Demo", "trainer"),
}


def refused(config: Mapping[str, Any], email: str | None) -> bool:
    """Whether this e-mail is a demo account while Twilio is configured."""
    return not config["TWILIO_SANDBOX"] and (email or "").strip().lower() in DEMO_ACCOUNTS


def retire(session: Session, agent: Agent) -> bool:
    """Deactivate the demo agent and end its sessions (in the caller's transaction)."""
    if not agent.active:
        return False
    agent.deactivate()
    audit.record(
        session, "agent.deactivated", actor="system", agent=agent, reason="demo_agent_with_twilio"
    )
    log.warning("the demo account %s was deactivated: Twilio is configured", agent.email)
    return True


def retire_at_start_up(app: Flask) -> None:
    if not app.config["TWILIO_SANDBOX"]:
        try:
            with app.extensions["desk.db"]() as session, session.begin():
                for agent in session.scalars(
                    sa.select(Agent).where(Agent.email.in_(list(DEMO_ACCOUNTS)))
                ):
                    retire(session, agent)
        except sa.exc.SQLAlchemyError as error:
            # Before the first migration there is no agents table; the login and the
            # session check refuse the demo agent anyway.
            log.warning("could not look for the demo agent at start-up: %s", error)
