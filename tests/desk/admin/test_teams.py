"""Teams are created, renamed and deleted from the desk; a team still in use stays."""

from __future__ import annotations

import sqlalchemy as sa

from desk.models import AuditEvent, Case, Team
from desk.models import case as c


def team(db, name: str = "Pensiones") -> Team:
    created = Team(name=name)
    db.add(created)
    db.commit()
    return created


def actions(db) -> list[str]:
    return list(db.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_an_admin_creates_a_team(client, db, admin):
    response = client.post("/admin/teams", data={"name": "  Pensiones   del Bienestar "})

    assert response.status_code == 302
    assert db.scalars(sa.select(Team.name)).all() == ["Pensiones del Bienestar"]
    assert "team.created" in actions(db)
    assert "Pensiones del Bienestar" in client.get("/admin/teams").get_data(as_text=True)


def test_a_team_name_already_taken_is_an_error_next_to_the_field(client, db, admin):
    team(db, "Pensiones")

    response = client.post("/admin/teams", data={"name": "pensiones"})

    assert response.status_code == 400
    assert "Ya existe un equipo con ese nombre." in response.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(Team)) == 1


def test_a_team_needs_a_name(client, db, admin):
    response = client.post("/admin/teams", data={"name": "   "})

    assert response.status_code == 400
    assert "Escribe el nombre del equipo." in response.get_data(as_text=True)


def test_an_admin_renames_a_team(client, db, admin):
    pensions = team(db)

    response = client.post(
        f"/admin/teams/{pensions.id}/rename", data={f"team{pensions.id}-name": "Adultos mayores"}
    )

    assert response.status_code == 302
    db.refresh(pensions)
    assert pensions.name == "Adultos mayores"
    [event] = db.scalars(sa.select(AuditEvent).filter_by(action="team.renamed"))
    assert event.details["previous"] == "Pensiones" and event.agent_id == admin.id


def test_renaming_to_another_teams_name_is_refused(client, db, admin):
    pensions, passports = team(db, "Pensiones"), team(db, "Pasaportes")

    response = client.post(
        f"/admin/teams/{passports.id}/rename", data={f"team{passports.id}-name": "Pensiones"}
    )

    assert response.status_code == 400
    assert "Ya existe un equipo con ese nombre." in response.get_data(as_text=True)
    db.refresh(passports)
    assert passports.name == "Pasaportes" and pensions.name == "Pensiones"


def test_an_empty_team_is_deleted(client, db, admin):
    pensions = team(db)

    response = client.post(f"/admin/teams/{pensions.id}/delete")

    assert response.status_code == 302
    assert db.scalars(sa.select(Team)).all() == []
    assert "team.deleted" in actions(db)


def test_a_team_with_agents_is_not_deleted(client, db, admin, make_agent):
    pensions = team(db)
    make_agent(email="ana@cab.gob.mx", team_id=pensions.id)

    response = client.post(f"/admin/teams/{pensions.id}/delete")

    assert response.status_code == 409
    assert "1 agentes pertenecen a este equipo" in response.get_data(as_text=True)
    assert db.get(Team, pensions.id) is not None


def test_a_team_with_active_cases_is_not_deleted(client, db, admin, make_case):
    pensions = team(db)
    case = make_case()
    case.team_id = pensions.id
    db.commit()

    response = client.post(f"/admin/teams/{pensions.id}/delete")

    assert response.status_code == 409
    assert "el equipo tiene 1 casos activos" in response.get_data(as_text=True)
    assert db.get(Team, pensions.id) is not None


def test_finished_cases_lose_the_deleted_team_and_keep_the_rest(client, db, admin, make_case):
    pensions = team(db)
    case = make_case()
    case.team_id, case.status = pensions.id, c.CLOSED
    db.commit()

    response = client.post(f"/admin/teams/{pensions.id}/delete")

    assert response.status_code == 302
    db.expire_all()
    assert db.get(Case, case.id).team_id is None
    assert db.get(Case, case.id).status == c.CLOSED


def test_an_unknown_team_is_a_404(client, admin):
    assert client.post("/admin/teams/999999/delete").status_code == 404
    assert client.post("/admin/teams/999999/rename", data={}).status_code == 404
