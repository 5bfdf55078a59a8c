"""Security headers on every answer: pages, JSON, static files, errors; HSTS only
when the desk's public address is https."""

from __future__ import annotations

import pytest

EXPECTED = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def assert_security_headers(response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, name


def test_an_html_page_carries_them(client):
    response = client.get("/login")

    assert response.mimetype == "text/html"
    assert_security_headers(response)


def test_a_json_api_answer_carries_them(client):
    response = client.post(
        "/api/v1/cases", json={"conversation": "x"}, headers={"Authorization": "Bearer wrong"}
    )

    assert response.mimetype == "application/json"
    assert response.status_code == 401
    assert_security_headers(response)


@pytest.mark.parametrize("path", ["/health", "/static/desk.css", "/no-such-page", "/simulator/"])
def test_every_other_answer_carries_them_too(client, path):
    with client.get(path) as response:
        assert_security_headers(response)


def test_an_agent_page_carries_them(client, logged_in):
    response = client.get("/cases/")

    assert response.status_code == 200
    assert_security_headers(response)


def test_hsts_when_the_public_address_is_https(client, app):
    assert app.config["PUBLIC_BASE_URL"].startswith("https://")

    assert client.get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_no_hsts_over_plain_http(make_app):
    app = make_app(PUBLIC_BASE_URL="http://127.0.0.1:5000")

    response = app.test_client().get("/login")

    assert "Strict-Transport-Security" not in response.headers
    assert_security_headers(response)
