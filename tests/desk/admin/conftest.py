"""Admins and people of every role, signed in through the real login form."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g
from flask.testing import FlaskClient

from desk.models import Agent
from desk.models import agent as a

PASSWORD = "contraseña-segura"
CATALOGS = Path(__file__).parents[3] / "desk" / "translations"


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """What `make` does before the tests: compile each .po that is newer than its .mo
    (the .mo files are not in git), so that running pytest alone sees the English UI."""
    for po in CATALOGS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as file:
            catalog = read_po(file, locale=po.parent.parent.name)
        # Written aside and renamed: another test run may be reading it.
        handle, temporary = tempfile.mkstemp(dir=po.parent, suffix=".mo")
        with os.fdopen(handle, "wb") as file:
            write_mo(file, catalog)
        os.replace(temporary, mo)


@pytest.fixture(autouse=True)
def fresh_user_per_request(request: pytest.FixtureRequest) -> None:
    """The shared ``app`` fixture keeps one app context for the whole test, and with it
    Flask-Login's cached user; in production each request starts with a fresh ``g``.
    Without this, a second browser would be served as whoever made the last request."""
    if "app" not in request.fixturenames:
        return  # a test without the desk (the catalog's own checks)
    app: Flask = request.getfixturevalue("app")

    def forget_user() -> None:
        g.pop("_login_user", None)

    # First, before the session check reads the user.
    app.before_request_funcs.setdefault(None, []).insert(0, forget_user)


@pytest.fixture
def sign_in(client: FlaskClient) -> Callable[[Agent], Agent]:
    def sign_in(agent: Agent, password: str = PASSWORD) -> Agent:
        client.post("/logout")
        response = client.post("/login", data={"email": agent.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return agent

    return sign_in


@pytest.fixture
def admin(make_agent, sign_in) -> Agent:
    """The signed-in admin (the desk's only one unless a test adds more)."""
    return sign_in(make_agent(email="admin@cab.gob.mx", name="Alma Admin", role=a.ADMIN))
