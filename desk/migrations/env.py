"""Alembic environment: runs on the connection the desk hands it (see desk.cli)."""

from alembic import context

from desk import models  # noqa: F401  (registers the tables on Base.metadata)
from desk.cases.search import POSTGRESQL_INDEXES
from desk.db import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `flask --app desk db-upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    # Migration 0005's PostgreSQL-only indexes are SQL the models cannot declare:
    # autogenerate must never propose dropping them.
    include_name=lambda name, type_, parent: not (type_ == "index" and name in POSTGRESQL_INDEXES),
)
with context.begin_transaction():
    context.run_migrations()
