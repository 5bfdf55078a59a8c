"""Sessions end server-side (logout, a new login, deactivation) and after an idle time.

These tests use ``make_app``: every request gets its own app context, as in production
(the shared ``app`` fixture keeps one for the whole test, and with it Flask-Login's
cached user, which would hide what the server decides)."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from desk.db import get_session
from desk.models import Agent, Message
from desk.security import sessions
from desk.services import cases
from tests.desk.security.conftest import PASSWORD, add_agent

EMAIL = "ana@cab.gob.mx"


@pytest.fixture
def desk(make_app):
    app = make_app()
    add_agent(app, EMAIL)
    return app


def agent_in(app) -> Agent:
    with app.app_context():
        return get_session().scalars(sa.select(Agent).filter_by(email=EMAIL)).one()


def update_agent(app, change) -> None:
    with app.app_context():
        session = get_session()
        change(session.scalars(sa.select(Agent).filter_by(email=EMAIL)).one())
        session.commit()


def signed_in(app):
    client = app.test_client()
    response = client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 302
    return client


def copy_of_cookie(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def idle_for(client, seconds: int) -> None:
    with client.session_transaction() as session:
        session[sessions.LAST_SEEN] = int(time.time()) - seconds


def can_see_the_queue(client) -> bool:
    response = client.get("/cases/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_each_login_stores_a_fresh_random_token_on_the_agent_and_in_the_session(desk):
    client = signed_in(desk)
    first = agent_in(desk).session_token
    with client.session_transaction() as session:
        assert session[sessions.TOKEN] == first
    client.post("/logout")

    signed_in(desk)

    assert len(first) >= 32
    assert agent_in(desk).session_token not in (None, first)


def test_a_copied_cookie_stops_working_after_logout(desk):
    client = signed_in(desk)
    thief = copy_of_cookie(desk, client)
    assert can_see_the_queue(thief)  # the copy works while the session lives

    client.post("/logout")

    response = thief.get("/cases/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_copied_cookie_stops_working_even_if_the_copy_was_made_before_other_requests(desk):
    client = signed_in(desk)
    thief = copy_of_cookie(desk, client)
    for _ in range(3):
        assert can_see_the_queue(client)

    client.post("/logout")

    assert not can_see_the_queue(thief)
    assert not can_see_the_queue(client)


def test_logout_rotates_the_agent_token(desk):
    client = signed_in(desk)
    before = agent_in(desk).session_token

    client.post("/logout")

    assert agent_in(desk).session_token not in (None, before)


def test_a_new_login_ends_the_sessions_from_before(desk):
    first = signed_in(desk)
    second = signed_in(desk)

    assert can_see_the_queue(second)
    assert not can_see_the_queue(first)


def test_deactivating_an_agent_ends_their_sessions(desk):
    client = signed_in(desk)

    update_agent(desk, Agent.deactivate)

    assert not can_see_the_queue(client)


def test_an_inactive_agent_is_signed_out_even_with_the_current_token(desk):
    client = signed_in(desk)

    update_agent(desk, lambda agent: setattr(agent, "active", False))  # by hand, token kept

    assert not can_see_the_queue(client)


def test_a_session_without_its_token_is_refused(desk):
    client = signed_in(desk)
    with client.session_transaction() as session:
        del session[sessions.TOKEN]

    assert not can_see_the_queue(client)


def test_thirty_minutes_idle_by_default(desk):
    assert desk.config["SESSION_IDLE_MINUTES"] == 30
    assert desk.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 30 * 60


def test_an_idle_session_goes_to_the_login_with_a_message(desk):
    client = signed_in(desk)
    idle_for(client, 31 * 60)

    response = client.get("/cases/?page=2")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/cases/?page%3D2"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tu sesión se cerró por inactividad" in page
    assert not can_see_the_queue(client)  # and it stays ended


def test_each_request_refreshes_the_idle_time(desk):
    client = signed_in(desk)
    idle_for(client, 25 * 60)
    assert can_see_the_queue(client)

    with client.session_transaction() as session:
        assert time.time() - session[sessions.LAST_SEEN] < 5
    idle_for(client, 25 * 60)
    assert can_see_the_queue(client)


def test_the_idle_time_is_a_setting(make_app):
    app = make_app(SESSION_IDLE_MINUTES=5)
    add_agent(app, EMAIL)
    client = signed_in(app)
    idle_for(client, 4 * 60)
    assert can_see_the_queue(client)

    idle_for(client, 6 * 60)

    assert not can_see_the_queue(client)


def test_the_simulator_polling_does_not_keep_a_session_alive(desk):
    client = signed_in(desk)
    idle_for(client, 20 * 60)
    client.get("/simulator/api/messages?channel=sms&phone=%2B5215512345678")
    client.get("/health")
    with client.session_transaction() as session:
        assert time.time() - session[sessions.LAST_SEEN] >= 20 * 60

    idle_for(client, 31 * 60)
    client.get("/simulator/api/messages?channel=sms&phone=%2B5215512345678")

    assert not can_see_the_queue(client)


def test_an_idle_form_post_goes_to_the_login_and_does_nothing(desk, make_conversation_in):
    case_id = make_conversation_in(desk)
    client = signed_in(desk)
    idle_for(client, 31 * 60)

    response = client.post(f"/cases/{case_id}/reply", data={"body": "hola"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    with desk.app_context():
        assert get_session().scalars(sa.select(Message).filter_by(author="agent")).all() == []


def test_the_session_cookie_expires_with_the_idle_time(desk):
    client = desk.test_client()

    response = client.post("/login", data={"email": EMAIL, "password": PASSWORD})

    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.fixture
def make_conversation_in():
    from desk.models import Conversation

    def make(app) -> int:
        with app.app_context():
            session = get_session()
            conversation = Conversation(
                channel="sms", citizen_address="+5215500001111", desk_address="+525500000000"
            )
            session.add(conversation)
            case, _ = cases.open_case(session, conversation, reason="citizen_request")
            session.commit()
            return case.id

    return make
