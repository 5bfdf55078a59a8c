"""Apps with settings of their own (Twilio configured, trusted proxies…), each inside a
rolled-back transaction like the shared ``app`` fixture, and fresh databases for what
must see real commits (start-up, several connections at once).

A test uses either these or the shared ``app``/``client``/``db`` fixtures, not both: on
SQLite each open test transaction holds the write lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import sessionmaker

from desk import create_app
from desk.cli import upgrade_database
from desk.db import get_session
from desk.models import Agent
from tests.desk.conftest import BASE_CONFIG
from tests.support.postgres import temporary_schema

TWILIO = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32}
PASSWORD = "contraseña-segura"


@pytest.fixture
def make_app(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Flask]]:
    opened: list[tuple[Any, Any, Any]] = []

    def make(**settings: Any) -> Flask:
        monkeypatch.setenv("DESK_INSTANCE_PATH", str(tmp_path))
        app = create_app(BASE_CONFIG | {"DATABASE_URL": database_url} | settings)
        engine = app.extensions["desk.db"].kw["bind"]
        connection = engine.connect()
        opened.append((engine, connection, connection.begin()))
        app.extensions["desk.db"] = sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        return app

    yield make
    for engine, connection, transaction in opened:
        transaction.rollback()
        connection.close()
        engine.dispose()


def add_agent(app: Flask, email: str, password: str = PASSWORD, **fields: Any) -> int:
    with app.app_context():
        session = get_session()
        agent = Agent(email=email, name=fields.pop("name", "Ana Agente"), **fields)
        agent.set_password(password)
        session.add(agent)
        session.commit()
        return agent.id


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database of the same kind as ``database_url``, for real commits."""
    if database_url.startswith("sqlite"):
        yield _migrated(f"sqlite:///{tmp_path / 'fresh.db'}")
    else:
        with temporary_schema("desk_security") as url:
            yield _migrated(url)


def _migrated(url: str) -> str:
    app = create_app(BASE_CONFIG | {"DATABASE_URL": url})
    with app.app_context():
        upgrade_database()
    app.extensions["desk.db"].kw["bind"].dispose()
    return url
