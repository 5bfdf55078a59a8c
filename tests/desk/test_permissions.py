"""The permission matrix holds on every route: one place says who may do what, and a
test per role per route checks that the desk does what it says."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from desk import permissions
from desk.live.feed import Feed
from desk.live.views import FEED
from desk.models import agent as a

ROLES = a.ROLES


def guarded_rules(app: Flask):
    """Every route that needs a signed-in person, with the permission it declares."""
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rsplit(".", 1)[0] if "." in rule.endpoint else None
        if rule.endpoint in permissions.PUBLIC_ENDPOINTS or blueprint in (
            permissions.PUBLIC_BLUEPRINTS
        ):
            continue
        yield rule, app.view_functions[rule.endpoint]


def url_of(rule) -> str:
    # Any value fits the converters; a missing object answers 404, which is not 403.
    return re.sub(r"<(?:int:|path:|string:)?[^>]+>", "1", rule.rule)


def method_of(rule) -> str:
    return "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]


def test_every_route_is_public_by_name_or_declares_its_permission(app):
    undeclared = [
        rule.rule for rule, view in guarded_rules(app) if not hasattr(view, "required_permission")
    ]

    assert undeclared == []


def test_the_matrix_names_only_known_permissions_and_every_role():
    assert set(permissions.MATRIX) == set(ROLES)
    for granted in permissions.MATRIX.values():
        assert granted <= set(permissions.PERMISSIONS)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_the_routes_its_permissions_allow(app, client, make_agent, role):
    person = make_agent(email=f"{role}@cab.gob.mx", role=role)
    assert (
        client.post(
            "/login", data={"email": person.email, "password": "contraseña-segura"}
        ).status_code
        == 302
    )

    # The live stream's broadcaster would poll the test's one database connection from
    # its own thread: a feed that never starts one keeps the walk to plain requests.
    app.extensions[FEED] = Feed(app.extensions["desk.db"], autostart=False)
    wrong = []
    for rule, view in guarded_rules(app):
        needed = view.required_permission
        response = client.open(url_of(rule), method=method_of(rule))
        status = response.status_code
        response.close()  # a live stream is never read to its end
        expected_forbidden = needed is not None and not permissions.allowed(role, needed)
        if expected_forbidden != (status == 403):
            wrong.append((rule.rule, needed, status))

    assert wrong == []


def test_signed_out_visitors_are_sent_to_the_login_page(app, client):
    app.extensions[FEED] = Feed(app.extensions["desk.db"], autostart=False)
    for rule, _view in guarded_rules(app):
        response = client.open(url_of(rule), method=method_of(rule))
        response.close()
        assert response.status_code in (302, 401), rule.rule
        if response.status_code == 302:
            assert "/login" in response.headers["Location"], rule.rule


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (a.AGENT, "+5215•••••5678"),
        (a.TRAINER, "+5215•••••5678"),
        (a.SUPERVISOR, "+5215512345678"),
        (a.ADMIN, "+5215512345678"),
    ],
)
def test_phone_numbers_are_masked_for_roles_without_the_right_to_see_them(
    app, make_agent, role, shown
):
    person = make_agent(email=f"{role}-phone@cab.gob.mx", role=role)
    with app.test_request_context():
        from flask_login import login_user

        login_user(person)
        assert permissions.shown_phone("whatsapp:+5215512345678") == shown
