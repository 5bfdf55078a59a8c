"""Admins create accounts, change them, and switch them off and on; the desk always
keeps one active admin, and every change leaves an audit event without passwords."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from desk.models import Agent, AuditEvent, Team
from desk.models import agent as a

NEW = {
    "email": "  Beto@CAB.gob.mx ",
    "name": "Beto Bienestar",
    "role": a.SUPERVISOR,
    "team_id": "",
    "password": "una-clave-larga",
    "language": "en",
    "max_active_cases": "5",
}


def events(db, action: str) -> list[AuditEvent]:
    return list(db.scalars(sa.select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)))


def edit(agent: Agent, **changes: Any) -> dict[str, Any]:
    data = {
        "name": agent.name,
        "role": agent.role,
        "team_id": str(agent.team_id or ""),
        "language": agent.language,
        "max_active_cases": str(agent.max_active_cases),
    }
    return data | changes


def test_the_list_shows_every_account_with_its_role_and_state(client, admin, make_agent):
    make_agent(email="gone@cab.gob.mx", name="Gina Gone", active=False)

    page = client.get("/admin/users").get_data(as_text=True)

    assert "Alma Admin" in page and "admin@cab.gob.mx" in page
    assert "Gina Gone" in page and "Desactivada" in page


def test_an_admin_creates_an_account_that_can_sign_in(client, db, admin, sign_in):
    team = Team(name="Pensiones")
    db.add(team)
    db.commit()

    response = client.post("/admin/users/new", data=NEW | {"team_id": str(team.id)})

    assert response.status_code == 302
    beto = db.scalars(sa.select(Agent).filter_by(email="beto@cab.gob.mx")).one()
    assert (beto.name, beto.role, beto.team_id, beto.language, beto.max_active_cases) == (
        "Beto Bienestar",
        a.SUPERVISOR,
        team.id,
        "en",
        5,
    )
    assert beto.active and beto.check_password("una-clave-larga")
    sign_in(beto, "una-clave-larga")


def test_creating_an_account_is_audited_without_the_password(client, db, admin):
    client.post("/admin/users/new", data=NEW)

    [event] = events(db, "agent.created")
    assert event.agent.email == "beto@cab.gob.mx"
    assert event.details["by"] == admin.id and event.details["role"] == a.SUPERVISOR
    assert "una-clave-larga" not in repr(event.details)
    assert not any("password" in key for key in event.details)


def test_a_taken_email_is_an_error_next_to_the_field(client, db, admin, make_agent):
    make_agent(email="beto@cab.gob.mx")

    response = client.post("/admin/users/new", data=NEW)

    assert response.status_code == 400
    assert "Ya existe una cuenta con ese correo." in response.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(Agent)) == 2


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("corta", "entre 10 y 200 caracteres"),
        ("123456789", "entre 10 y 200 caracteres"),
        (" " * 12, "Escribe la contraseña."),
        ("", "Escribe la contraseña."),
    ],
)
def test_a_weak_password_is_refused(client, db, admin, password, message):
    response = client.post("/admin/users/new", data=NEW | {"password": password})

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.scalars(sa.select(Agent).filter_by(email="beto@cab.gob.mx")).first() is None


def test_a_role_outside_the_list_is_refused(client, db, admin):
    response = client.post("/admin/users/new", data=NEW | {"role": "superuser"})

    assert response.status_code == 400
    assert "Elige un rol de la lista." in response.get_data(as_text=True)
    assert db.scalars(sa.select(Agent).filter_by(email="beto@cab.gob.mx")).first() is None


def test_a_team_that_does_not_exist_is_refused(client, db, admin):
    response = client.post("/admin/users/new", data=NEW | {"team_id": "999999"})

    assert response.status_code == 400
    assert "Ese equipo no existe." in response.get_data(as_text=True)


def test_a_negative_cap_is_refused(client, db, admin):
    response = client.post("/admin/users/new", data=NEW | {"max_active_cases": "-1"})

    assert response.status_code == 400
    assert db.scalars(sa.select(Agent).filter_by(email="beto@cab.gob.mx")).first() is None


def test_an_admin_changes_role_team_language_and_cap(client, db, admin, make_agent):
    team = Team(name="Pasaportes")
    db.add(team)
    agent = make_agent(email="ana@cab.gob.mx")

    response = client.post(
        f"/admin/users/{agent.id}",
        data=edit(agent, role=a.TRAINER, team_id=str(team.id), language="en", max_active_cases="3"),
    )

    assert response.status_code == 302
    db.refresh(agent)
    assert (agent.role, agent.team_id, agent.language, agent.max_active_cases) == (
        a.TRAINER,
        team.id,
        "en",
        3,
    )
    [event] = events(db, "agent.updated")
    assert event.agent_id == agent.id and event.details["by"] == admin.id
    assert event.details["changes"]["role"] == [a.AGENT, a.TRAINER]


def test_the_edit_form_shows_the_account_as_it_is(client, admin, make_agent):
    agent = make_agent(email="ana@cab.gob.mx", name="Ana Agente", max_active_cases=4)

    page = client.get(f"/admin/users/{agent.id}").get_data(as_text=True)

    assert 'value="Ana Agente"' in page and 'value="4"' in page


def test_an_admin_sets_a_new_password_and_the_agents_sessions_end(
    client, db, admin, make_agent, sign_in
):
    agent = make_agent(email="ana@cab.gob.mx")
    sign_in(agent)
    sign_in(admin)
    token = db.get(Agent, agent.id).session_token

    client.post(f"/admin/users/{agent.id}", data=edit(agent, new_password="otra-clave-larga"))

    db.refresh(agent)
    assert agent.check_password("otra-clave-larga") and agent.session_token != token
    [event] = events(db, "agent.password_reset")
    assert "otra-clave-larga" not in repr(event.details)


def test_deactivation_ends_the_agents_session(app, client, db, admin, make_agent, sign_in):
    agent = make_agent(email="ana@cab.gob.mx")
    other = app.test_client()
    login = {"email": agent.email, "password": "contraseña-segura"}
    assert other.post("/login", data=login).status_code == 302
    assert other.get("/admin/me").status_code == 200

    response = client.post(f"/admin/users/{agent.id}/deactivate")

    assert response.status_code == 302
    db.refresh(agent)
    assert not agent.active and not agent.available
    after = other.get("/admin/me")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")
    [event] = events(db, "agent.deactivated")
    assert event.agent_id == agent.id and event.details["by"] == admin.id


def test_a_deactivated_account_cannot_sign_in_until_reactivated(client, db, admin, make_agent):
    agent = make_agent(email="ana@cab.gob.mx", active=False)
    login = {"email": agent.email, "password": "contraseña-segura"}
    visitor = client.application.test_client()
    assert visitor.post("/login", data=login).status_code == 401

    response = client.post(f"/admin/users/{agent.id}/reactivate")

    assert response.status_code == 302
    assert visitor.post("/login", data=login).status_code == 302
    assert [event.agent_id for event in events(db, "agent.reactivated")] == [agent.id]


def test_the_last_active_admin_cannot_deactivate_themselves(client, db, admin):
    response = client.post(f"/admin/users/{admin.id}/deactivate")

    assert response.status_code == 409
    assert "No puedes desactivar al último admin activo." in response.get_data(as_text=True)
    db.refresh(admin)
    assert admin.active
    assert events(db, "agent.deactivated") == []


def test_the_last_active_admin_cannot_demote_themselves(client, db, admin):
    response = client.post(f"/admin/users/{admin.id}", data=edit(admin, role=a.SUPERVISOR))

    assert response.status_code == 400
    assert "No puedes quitar el rol de admin al último admin activo." in response.get_data(
        as_text=True
    )
    db.refresh(admin)
    assert admin.role == a.ADMIN


def test_an_inactive_admin_does_not_count_as_another_admin(client, db, admin, make_agent):
    make_agent(email="old-admin@cab.gob.mx", role=a.ADMIN, active=False)

    response = client.post(f"/admin/users/{admin.id}/deactivate")

    assert response.status_code == 409


def test_with_another_active_admin_an_admin_may_step_down(client, db, admin, make_agent):
    make_agent(email="otra@cab.gob.mx", role=a.ADMIN)

    response = client.post(f"/admin/users/{admin.id}", data=edit(admin, role=a.SUPERVISOR))

    assert response.status_code == 302
    db.refresh(admin)
    assert admin.role == a.SUPERVISOR
    # No longer an admin: the next admin page is refused.
    assert client.get("/admin/users").status_code == 403


def test_an_unknown_account_is_a_404(client, admin):
    assert client.get("/admin/users/999999").status_code == 404
    assert client.post("/admin/users/999999/deactivate").status_code == 404
