"""Only admins run the desk: every admin route answers 403 to the other roles, and
every signed-in person reaches their own profile."""

from __future__ import annotations

import pytest
from flask import Flask

from desk.models import Team
from desk.models import agent as a

PROFILE = {"admin.profile", "admin.profile_language", "admin.profile_password"}


def admin_routes(app: Flask, agent_id: int, team_id: int) -> list[tuple[str, str]]:
    """(method, url) of every admin route but the profile's, taken from the URL map so
    that a route added later is covered without touching this test."""
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin.") or rule.endpoint in PROFILE:
                continue
            url = app.url_for(rule.endpoint, agent_id=agent_id, team_id=team_id)
            url = url.split("?")[0]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, url))
    return routes


@pytest.fixture
def team(db) -> Team:
    team = Team(name="Pensiones")
    db.add(team)
    db.commit()
    return team


def test_the_admin_routes_are_found(app, team):
    routes = admin_routes(app, 1, team.id)

    assert ("GET", "/admin/users") in routes and ("POST", "/admin/users/1/deactivate") in routes
    assert len(routes) >= 12


@pytest.mark.parametrize("role", [a.AGENT, a.SUPERVISOR, a.TRAINER])
def test_other_roles_get_403_on_every_admin_route(app, client, db, make_agent, sign_in, team, role):
    person = sign_in(make_agent(email=f"{role}@cab.gob.mx", role=role))
    target = make_agent(email="target@cab.gob.mx")

    for method, url in admin_routes(app, target.id, team.id):
        response = client.open(url, method=method, data={"name": "Otro"})
        assert response.status_code == 403, (role, method, url)

    db.refresh(target)
    assert target.active and db.get(Team, team.id).name == "Pensiones"
    assert person.role == role


def test_an_admin_gets_every_admin_page(app, client, admin, team):
    pages = [url for method, url in admin_routes(app, admin.id, team.id) if method == "GET"]

    for url in pages:
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url


def test_signed_out_visitors_are_sent_to_the_login(app, client, team):
    for method, url in admin_routes(app, 1, team.id):
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", [a.AGENT, a.SUPERVISOR, a.TRAINER, a.ADMIN])
def test_everyone_reaches_their_own_profile(client, make_agent, sign_in, role):
    sign_in(make_agent(email=f"{role}@cab.gob.mx", role=role))

    assert client.get("/admin/me").status_code == 200


def test_the_admin_link_is_in_the_top_bar_for_admins_only(client, make_agent, sign_in, admin):
    assert 'href="/admin/">Administración</a>' in client.get("/admin/me").get_data(as_text=True)

    sign_in(make_agent(email="sup@cab.gob.mx", role=a.SUPERVISOR))

    assert "Administración" not in client.get("/admin/me").get_data(as_text=True)
