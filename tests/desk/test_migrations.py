"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from desk.db import Base, get_session


def test_migrations_match_the_models(app):
    connection = get_session().connection()
    context = MigrationContext.configure(connection)

    assert compare_metadata(context, Base.metadata) == []
