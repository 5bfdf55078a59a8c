"""Agents sign in with a hashed password; everything else needs a session. A failed
login says nothing about which part was wrong, not even by its timing, and is audited.

(Rate limits, sessions and the demo agent: tests/desk/security/.)"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash

import desk.auth.credentials
import desk.models.agent
from desk.auth import credentials
from desk.models import AuditEvent
from tests.desk.conftest import csrf_token


def test_the_case_queue_sends_anonymous_visitors_to_the_login(client):
    response = client.get("/cases/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_an_agent_signs_in_and_lands_on_the_queue(client, agent):
    response = client.post(
        "/login", data={"email": "ANA@cab.gob.mx ", "password": "contraseña-segura"}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200


FAILURES = {
    "wrong password": ("ana@cab.gob.mx", "otra-contraseña"),
    "unknown e-mail": ("nadie@cab.gob.mx", "contraseña-segura"),
    "deactivated agent": ("baja@cab.gob.mx", "contraseña-segura"),
}


@pytest.mark.parametrize("email, password", FAILURES.values(), ids=FAILURES.keys())
def test_wrong_credentials_are_refused_without_saying_which(
    client, agent, make_agent, email, password
):
    make_agent(email="baja@cab.gob.mx", password="contraseña-segura", active=False)

    response = client.post("/login", data={"email": email, "password": password})

    assert response.status_code == 401
    assert "Correo o contraseña incorrectos." in response.get_data(as_text=True)


def test_every_failure_gets_the_very_same_page(client, agent, make_agent):
    make_agent(email="baja@cab.gob.mx", password="contraseña-segura", active=False)
    pages = set()
    for email, password in FAILURES.values():
        response = client.post("/login", data={"email": email, "password": password})
        pages.add((response.status_code, response.get_data(as_text=True).replace(email, "…")))

    assert len(pages) == 1


@pytest.fixture
def hashes(monkeypatch):
    """Every password hash the login computes: (hash checked against, password)."""
    checked: list[tuple[str, str]] = []

    def spy(pwhash: str, password: str) -> bool:
        checked.append((pwhash, password))
        return check_password_hash(pwhash, password)

    monkeypatch.setattr(desk.auth.credentials, "check_password_hash", spy)
    monkeypatch.setattr(desk.models.agent, "check_password_hash", spy)
    return checked


def test_an_unknown_email_is_checked_against_a_dummy_hash(client, agent, hashes):
    client.post("/login", data={"email": "nadie@cab.gob.mx", "password": "un-intento"})

    assert hashes == [(credentials.DUMMY_HASH, "un-intento")]


def test_the_dummy_hash_is_made_like_an_agent_hash(agent):
    method = agent.password_hash.split("$", 1)[0]

    assert credentials.DUMMY_HASH.split("$", 1)[0] == method
    assert not check_password_hash(credentials.DUMMY_HASH, "")


@pytest.mark.parametrize(
    "email, password",
    [*FAILURES.values(), ("ana@cab.gob.mx", "contraseña-segura")],
    ids=[*FAILURES.keys(), "success"],
)
def test_every_attempt_computes_exactly_one_password_hash(
    client, agent, make_agent, hashes, email, password
):
    make_agent(email="baja@cab.gob.mx", password="contraseña-segura", active=False)
    hashes.clear()

    client.post("/login", data={"email": email, "password": password})

    assert len(hashes) == 1


def test_a_failed_login_is_audited_with_the_email_and_address_but_never_the_password(
    client, db, agent
):
    client.post(
        "/login",
        data={"email": "Nadie@cab.gob.mx", "password": "secreto-intentado"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )

    [event] = db.scalars(sa.select(AuditEvent).filter_by(action="auth.login_failed")).all()
    assert event.actor == "anonymous"
    assert event.agent_id is None
    assert event.details == {
        "email": "nadie@cab.gob.mx",
        "address": "198.51.100.7",
        "reason": "unknown_email",
    }
    assert "secreto-intentado" not in json.dumps(event.details)


@pytest.mark.parametrize(
    "email, password, reason",
    [
        ("ana@cab.gob.mx", "otra-contraseña", "wrong_password"),
        ("nadie@cab.gob.mx", "contraseña-segura", "unknown_email"),
        ("baja@cab.gob.mx", "contraseña-segura", "inactive"),
    ],
)
def test_every_failed_login_is_audited_with_its_reason(
    client, db, agent, make_agent, email, password, reason
):
    make_agent(email="baja@cab.gob.mx", password="contraseña-segura", active=False)

    client.post("/login", data={"email": email, "password": password})

    [event] = db.scalars(sa.select(AuditEvent).filter_by(action="auth.login_failed")).all()
    assert event.details["reason"] == reason
    assert event.details["email"] == email
    assert password not in json.dumps(event.details)


def test_a_successful_login_and_the_logout_are_audited(client, db, agent):
    client.post(
        "/login",
        data={"email": agent.email, "password": "contraseña-segura"},
        environ_base={"REMOTE_ADDR": "198.51.100.8"},
    )
    client.post("/logout", environ_base={"REMOTE_ADDR": "198.51.100.8"})

    events = db.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor, e.agent_id) for e in events] == [
        ("auth.login", "agent", agent.id),
        ("auth.logout", "agent", agent.id),
    ]
    assert events[0].details == {"address": "198.51.100.8"}
    assert "contraseña-segura" not in json.dumps([e.details for e in events])


def test_a_deactivated_agent_cannot_sign_in(client, make_agent):
    make_agent(email="baja@cab.gob.mx", password="contraseña-segura", active=False)

    response = client.post(
        "/login", data={"email": "baja@cab.gob.mx", "password": "contraseña-segura"}
    )

    assert response.status_code == 401


def test_passwords_are_stored_hashed(agent):
    assert "contraseña-segura" not in agent.password_hash
    assert agent.check_password("contraseña-segura")


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/x", "//evil.example/x", "/\\evil.example/x", "/\tevil", "cases/"],
)
def test_login_never_redirects_to_another_site(client, agent, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": agent.email, "password": "contraseña-segura"},
    )

    assert response.headers["Location"] == "/cases/"


def test_login_returns_to_the_page_asked_for(client, agent):
    response = client.post(
        "/login?next=/cases/%3Fpage%3D2",
        data={"email": agent.email, "password": "contraseña-segura"},
    )

    assert response.headers["Location"] == "/cases/?page=2"


def test_forms_without_the_csrf_token_are_refused(app, client, agent):
    app.config["WTF_CSRF_ENABLED"] = True

    refused = client.post("/login", data={"email": agent.email, "password": "contraseña-segura"})
    token = csrf_token(client.get("/login").get_data(as_text=True))
    accepted = client.post(
        "/login", data={"email": agent.email, "password": "contraseña-segura", "csrf_token": token}
    )

    assert refused.status_code == 400
    assert accepted.status_code == 302


def test_logout_ends_the_session(client, logged_in):
    client.post("/logout")

    assert client.get("/cases/").status_code == 302
