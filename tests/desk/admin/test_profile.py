"""Each agent's own profile: the UI language and their password."""

from __future__ import annotations

import sqlalchemy as sa

from desk.models import AuditEvent
from tests.desk.admin.conftest import PASSWORD


def test_a_language_change_applies_on_the_next_page(client, db, agent, sign_in):
    sign_in(agent)
    assert "Mi perfil" in client.get("/admin/me").get_data(as_text=True)

    response = client.post("/admin/me/language", data={"language": "en"}, follow_redirects=True)

    assert "My profile" in response.get_data(as_text=True)
    assert "Language saved." in response.get_data(as_text=True)
    db.refresh(agent)
    assert agent.language == "en"
    [event] = db.scalars(sa.select(AuditEvent).filter_by(action="agent.language_changed"))
    assert (event.details["old"], event.details["new"]) == ("es", "en")


def test_a_language_outside_the_list_is_refused(client, db, agent, sign_in):
    sign_in(agent)

    response = client.post("/admin/me/language", data={"language": "fr"})

    assert response.status_code == 400
    assert "Elige un idioma de la lista." in response.get_data(as_text=True)
    db.refresh(agent)
    assert agent.language == "es"


def test_an_agent_changes_their_password_and_keeps_this_session(app, client, db, agent, sign_in):
    sign_in(agent)
    # Someone holding a copy of this browser's cookie.
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/admin/me").status_code == 200

    response = client.post(
        "/admin/me/password",
        data={
            "current_password": PASSWORD,
            "new_password": "mi-clave-nueva-2026",
            "confirm": "mi-clave-nueva-2026",
        },
    )

    assert response.status_code == 302
    db.refresh(agent)
    assert agent.check_password("mi-clave-nueva-2026")
    assert client.get("/admin/me").status_code == 200
    assert copy.get("/admin/me").status_code == 302
    [event] = db.scalars(sa.select(AuditEvent).filter_by(action="agent.password_changed"))
    assert "mi-clave-nueva-2026" not in repr(event.details)


def test_the_current_password_must_be_right(client, db, agent, sign_in):
    sign_in(agent)

    response = client.post(
        "/admin/me/password",
        data={"current_password": "otra-cosa", "new_password": "x" * 12, "confirm": "x" * 12},
    )

    assert response.status_code == 400
    assert "Esa no es tu contraseña actual." in response.get_data(as_text=True)
    db.refresh(agent)
    assert agent.check_password(PASSWORD)


def test_the_new_password_must_be_long_and_typed_twice_alike(client, db, agent, sign_in):
    sign_in(agent)
    short = client.post(
        "/admin/me/password",
        data={"current_password": PASSWORD, "new_password": "corta", "confirm": "corta"},
    )
    mismatch = client.post(
        "/admin/me/password",
        data={"current_password": PASSWORD, "new_password": "x" * 12, "confirm": "y" * 12},
    )

    assert short.status_code == 400 and "entre 10 y 200 caracteres" in short.get_data(as_text=True)
    assert mismatch.status_code == 400
    assert "Las dos contraseñas no coinciden." in mismatch.get_data(as_text=True)
    db.refresh(agent)
    assert agent.check_password(PASSWORD)
