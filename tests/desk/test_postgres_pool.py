"""PostgreSQL's pool: a connection idle long enough to have outlived a restart is checked
before use; one used a moment ago is not (a round trip saved on every transaction)."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

import desk.db
from desk.db import create_engine

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(postgresql_url: str):
    engine = create_engine(postgresql_url)
    yield engine
    engine.dispose()


def _backend(connection: sa.Connection) -> int:
    return connection.execute(sa.text("select pg_backend_pid()")).scalar_one()


def _kill(url: str, pid: int) -> None:
    # What a restart or an idle timeout does to a pooled connection; from another pool.
    other = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with other.connect() as connection:
        connection.execute(sa.text("select pg_terminate_backend(:pid)"), {"pid": pid})
        connection.commit()
    other.dispose()


def test_an_idle_connection_that_died_is_replaced_before_use(engine, postgresql_url, monkeypatch):
    monkeypatch.setattr(desk.db, "PING_AFTER_IDLE_SECONDS", 0.2)
    with engine.connect() as connection:
        dead = _backend(connection)
    _kill(postgresql_url, dead)
    time.sleep(0.3)

    with engine.connect() as connection:
        assert _backend(connection) != dead


def test_a_connection_used_a_moment_ago_is_not_asked_first(engine, postgresql_url, monkeypatch):
    monkeypatch.setattr(desk.db, "PING_AFTER_IDLE_SECONDS", 60)
    with engine.connect() as connection:
        dead = _backend(connection)
    _kill(postgresql_url, dead)

    # Not pinged: the first statement meets the dead connection, as it would have met
    # a restart mid-transaction; the pool drops it and the next checkout is new.
    with pytest.raises(sa.exc.OperationalError), engine.connect() as connection:
        _backend(connection)
    with engine.connect() as connection:
        assert _backend(connection) != dead
