"""Alembic environment: runs on the connection the desk hands it (see desk.cli)."""

from alembic import context

from desk import models  # noqa: F401  (registers the tables on Base.metadata)
from desk.db import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `flask --app desk db-upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
