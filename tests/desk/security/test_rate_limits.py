"""Login attempts are limited per client address and per account tried (429 past the
limit, with a page in Spanish), counted where every web process sees them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from werkzeug.middleware.proxy_fix import ProxyFix

from desk.db import get_session
from desk.models import AuditEvent, RateLimit
from desk.security import limiter, rate_limit_storage
from tests.desk.security.conftest import PASSWORD


def attempt(client, email: str, password: str = "no-es-la-contraseña", address="10.0.0.1", **kw):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        **kw,
    )


def test_by_default_ten_attempts_a_minute_per_address_and_five_per_account(app):
    assert app.config["LOGIN_LIMIT_PER_ADDRESS"] == "10 per minute"
    assert app.config["LOGIN_LIMIT_PER_ACCOUNT"] == "5 per minute"


def test_the_eleventh_attempt_from_one_address_gets_429_in_spanish(client):
    answers = [attempt(client, f"persona{i}@cab.gob.mx").status_code for i in range(10)]

    refused = attempt(client, "otra@cab.gob.mx")

    assert answers == [401] * 10
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Demasiados intentos de inicio de sesión" in page
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_the_limit_holds_even_for_the_right_password(client, agent):
    for i in range(10):
        attempt(client, f"persona{i}@cab.gob.mx")

    assert attempt(client, agent.email, PASSWORD).status_code == 429
    assert client.get("/cases/").status_code == 302  # not signed in


def test_one_account_is_limited_across_addresses(client, agent):
    answers = [attempt(client, agent.email, address=f"10.0.1.{i}").status_code for i in range(5)]

    refused = attempt(client, agent.email, PASSWORD, address="10.0.2.1")
    other_account = attempt(client, "otra@cab.gob.mx", address="10.0.2.1")

    assert answers == [401] * 5
    assert refused.status_code == 429
    assert other_account.status_code == 401


def test_the_account_is_counted_as_the_form_reads_it(client, agent):
    variants = [
        "ana@cab.gob.mx",
        "ANA@cab.gob.mx",
        " Ana@Cab.Gob.Mx ",
        "ana@CAB.gob.mx",
        "aNa@cab.gob.mx",
    ]
    for i, email in enumerate(variants):
        attempt(client, email, address=f"10.0.3.{i}")

    assert attempt(client, "ana@cab.gob.mx", address="10.0.4.1").status_code == 429


def test_showing_the_form_is_not_an_attempt(client):
    for _ in range(15):
        assert client.get("/login", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200

    assert attempt(client, "ana@cab.gob.mx").status_code == 401


def test_other_addresses_are_not_affected(client):
    for i in range(10):
        attempt(client, f"persona{i}@cab.gob.mx", address="10.0.0.1")

    assert attempt(client, "otra@cab.gob.mx", address="10.0.0.2").status_code == 401


def test_the_limits_are_settings(app, client):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "2 per hour"

    answers = [attempt(client, f"persona{i}@cab.gob.mx").status_code for i in range(3)]

    assert answers == [401, 401, 429]


def test_without_redis_the_counters_are_in_the_database(app, client, db):
    attempt(client, "ana@cab.gob.mx")

    assert isinstance(limiter.limiter.storage, rate_limit_storage.DatabaseStorage)
    rows = db.scalars(sa.select(RateLimit)).all()
    assert sorted(row.count for row in rows) == [1, 1]  # one per address, one per account
    assert not any("ana@cab.gob.mx" in row.key for row in rows)  # e-mails are hashed


def test_with_redis_url_the_counters_go_to_redis():
    assert limiter.storage_uri({"REDIS_URL": "redis://cache:6379/2"}) == "redis://cache:6379/2"
    assert limiter.storage_uri({"REDIS_URL": None}) == "desk-database://"


def test_x_forwarded_for_is_ignored_when_no_proxy_is_trusted(app, client):
    assert app.config["TRUSTED_PROXIES"] == 0
    assert not isinstance(app.wsgi_app, ProxyFix)

    for i in range(10):
        attempt(client, f"persona{i}@cab.gob.mx", headers={"X-Forwarded-For": f"192.0.2.{i}"})
    refused = attempt(client, "otra@cab.gob.mx", headers={"X-Forwarded-For": "192.0.2.99"})

    assert refused.status_code == 429
    event = get_session().scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.details["address"] == "10.0.0.1"


@pytest.mark.parametrize("spoofed", ["192.0.2.7, ", "192.0.2.7, 198.51.100.1, "])
def test_behind_a_trusted_proxy_the_client_is_what_that_proxy_saw(make_app, spoofed):
    app = make_app(TRUSTED_PROXIES=1)
    client = app.test_client()

    # The proxy appends the address it saw; whatever the client wrote before it is ignored.
    for i in range(10):
        attempt(client, f"p{i}@cab.gob.mx", headers={"X-Forwarded-For": f"{spoofed}203.0.113.1"})
    same_client = attempt(client, "x@cab.gob.mx", headers={"X-Forwarded-For": "203.0.113.1"})
    another = attempt(client, "x@cab.gob.mx", headers={"X-Forwarded-For": "203.0.113.2"})

    assert same_client.status_code == 429
    assert another.status_code == 401
    with app.app_context():
        event = get_session().scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.details["address"] == "203.0.113.2"


def test_a_trusted_proxy_count_must_not_be_negative(make_app):
    from desk.config import ConfigError

    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        make_app(TRUSTED_PROXIES=-1)
