"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from desk.cases.search import POSTGRESQL_INDEXES
from desk.db import Base, get_session


def _modelled(name, type_, parent_names):  # type: ignore[no-untyped-def]
    # Migration 0005's PostgreSQL-only indexes (expressions, INCLUDE, GIN) are SQL the
    # models cannot declare; tests/desk/cases/test_queue.py checks them.
    return not (type_ == "index" and name in POSTGRESQL_INDEXES)


def test_migrations_match_the_models(app):
    connection = get_session().connection()
    context = MigrationContext.configure(connection, opts={"include_name": _modelled})

    assert compare_metadata(context, Base.metadata) == []
