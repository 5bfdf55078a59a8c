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
