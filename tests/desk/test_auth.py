"""Agents sign in with a hashed password; everything else needs a session."""

from __future__ import annotations

import pytest

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


@pytest.mark.parametrize(
    "email, password",
    [
        ("ana@cab.gob.mx", "otra-contraseña"),
        ("nadie@cab.gob.mx", "contraseña-segura"),
    ],
)
def test_wrong_credentials_are_refused_without_saying_which(client, agent, email, password):
    response = client.post("/login", data={"email": email, "password": password})

    assert response.status_code == 401
    assert "Correo o contraseña incorrectos." in response.get_data(as_text=True)


def test_a_deactivated_agent_cannot_sign_in(client, make_agent):
    make_agent(email="baja@cab.gob.mx", password="contraseña-segura", active=False)

    response = client.post(
        "/login", data={"email": "baja@cab.gob.mx", "password": "contraseña-segura"}
    )

    assert response.status_code == 401


def test_passwords_are_stored_hashed(agent):
    assert "contraseña-segura" not in agent.password_hash
    assert agent.check_password("contraseña-segura")


def test_login_never_redirects_to_another_site(client, agent):
    response = client.post(
        "/login?next=https://evil.example/x",
        data={"email": agent.email, "password": "contraseña-segura"},
    )

    assert response.headers["Location"] == "/cases/"


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
