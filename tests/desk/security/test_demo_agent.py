"""The sandbox's demo agent (agente@demo.local, a password printed by `make run`)
never works where Twilio is configured: refused and deactivated at login and at
start-up, and its sessions end."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from desk import create_app
from desk.db import get_session
from desk.models import Agent, AuditEvent
from desk.security import sessions
from desk.security.demo_agent import DEMO_ACCOUNTS, DEMO_EMAIL, DEMO_PASSWORD
from tests.desk.conftest import BASE_CONFIG
from tests.desk.security.conftest import TWILIO, add_agent


def demo_in(app) -> Agent:
    with app.app_context():
        return get_session().scalars(sa.select(Agent).filter_by(email=DEMO_EMAIL)).one()


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(get_session().scalars(sa.select(AuditEvent).filter_by(action=action)))


def sign_in_as_demo(client):
    return client.post("/login", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})


def test_in_the_sandbox_the_demo_agent_signs_in(make_app):
    app = make_app()
    add_agent(app, DEMO_EMAIL, DEMO_PASSWORD)

    assert sign_in_as_demo(app.test_client()).status_code == 302
    assert demo_in(app).active


def test_with_twilio_the_demo_agent_is_refused_like_any_failure_and_deactivated(make_app):
    app = make_app(**TWILIO)
    add_agent(app, DEMO_EMAIL, DEMO_PASSWORD)  # seeded after start-up, say, by hand
    client = app.test_client()

    response = sign_in_as_demo(client)

    assert response.status_code == 401
    assert "Correo o contraseña incorrectos." in response.get_data(as_text=True)
    assert client.get("/cases/").status_code == 302
    assert not demo_in(app).active
    [deactivated] = events(app, "agent.deactivated")
    assert deactivated.actor == "system"
    assert deactivated.details == {"reason": "demo_agent_with_twilio"}
    [failed] = events(app, "auth.login_failed")
    assert failed.details["reason"] == "demo_agent_with_twilio"


@pytest.mark.parametrize("settings, still_open", [({}, True), (TWILIO, False)])
def test_a_demo_session_opened_in_the_sandbox_ends_once_twilio_is_configured(
    make_app, settings, still_open
):
    app = make_app(**settings)
    add_agent(app, DEMO_EMAIL, DEMO_PASSWORD)
    with app.app_context():  # the session the sandbox's login opened
        db = get_session()
        demo = db.scalars(sa.select(Agent).filter_by(email=DEMO_EMAIL)).one()
        token = demo.start_session()
        db.commit()
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(
            {"_user_id": str(demo.id), sessions.TOKEN: token, sessions.LAST_SEEN: int(time.time())}
        )

    assert (client.get("/cases/").status_code == 200) is still_open


def test_with_twilio_the_demo_agent_is_deactivated_at_start_up(fresh_database_url, tmp_path):
    sandbox = create_app(BASE_CONFIG | {"DATABASE_URL": fresh_database_url})
    with sandbox.app_context():
        result = sandbox.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    sandbox.extensions["desk.db"].kw["bind"].dispose()

    with_twilio = create_app(BASE_CONFIG | TWILIO | {"DATABASE_URL": fresh_database_url})

    try:
        assert not demo_in(with_twilio).active
        # Every demo account, one per role.
        assert [e.details for e in events(with_twilio, "agent.deactivated")] == [
            {"reason": "demo_agent_with_twilio"}
        ] * len(DEMO_ACCOUNTS)
        again = create_app(BASE_CONFIG | TWILIO | {"DATABASE_URL": fresh_database_url})
        # Once, not at every start.
        assert len(events(again, "agent.deactivated")) == len(DEMO_ACCOUNTS)
        again.extensions["desk.db"].kw["bind"].dispose()
    finally:
        with_twilio.extensions["desk.db"].kw["bind"].dispose()


def test_start_up_with_twilio_on_a_database_not_yet_migrated_still_works(tmp_path):
    app = create_app(BASE_CONFIG | TWILIO | {"DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})

    assert app.config["TWILIO_SANDBOX"] is False
    app.extensions["desk.db"].kw["bind"].dispose()


def test_seed_demo_refuses_outside_the_sandbox(make_app):
    app = make_app(**TWILIO)

    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed-demo"])

    assert result.exit_code != 0
    assert "only with the sandbox" in result.output
    with app.app_context():
        assert get_session().scalars(sa.select(Agent)).all() == []
