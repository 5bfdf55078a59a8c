"""Reading the running desk's database and acting as an agent in its web UI."""

from __future__ import annotations

import re

import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session

from desk.models import Conversation
from tests.e2e.stack import Stack


def fresh(db: Session, statement):
    db.expire_all()
    db.rollback()
    return db.scalars(statement)


def conversation_of(db: Session, phone: str, channel: str = "whatsapp") -> Conversation:
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    return fresh(db, sa.select(Conversation).filter_by(citizen_address=prefix + phone)).one()


def agent_session(stack: Stack) -> requests.Session:
    browser = requests.Session()
    login = browser.get(f"{stack.desk_url}/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login.text).group(1)
    signed_in = browser.post(
        f"{stack.desk_url}/login",
        allow_redirects=False,
        data={"email": "ana@cab.gob.mx", "password": "contraseña-segura", "csrf_token": token},
    )
    assert signed_in.status_code == 302
    return browser


def form_token(browser: requests.Session, url: str) -> str:
    page = browser.get(url)
    assert page.status_code == 200
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)


def let_the_reopen_window_pass(db: Session, case_id: int) -> None:
    """As if the resolution were older than the reopen window (72 h by default): the
    citizen's next message is the assistant's again, not the case's."""
    from datetime import timedelta

    from desk.models import Case

    db.rollback()
    case = db.get(Case, case_id)
    case.resolved_at = case.resolved_at - timedelta(days=30)
    if case.csat_asked_at is not None:
        case.csat_asked_at = case.csat_asked_at - timedelta(days=30)
    db.commit()
