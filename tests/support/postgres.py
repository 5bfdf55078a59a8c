"""A throwaway schema on the local PostgreSQL, for tests and benchmarks."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def unreachable_reason() -> str | None:
    """Why the PostgreSQL server cannot be used, or None when it can."""
    engine = sa.create_engine(SERVER)
    try:
        with engine.connect():
            return None
    except sa.exc.OperationalError as error:
        return f"PostgreSQL is not reachable at {SERVER} ({error.orig})"
    finally:
        engine.dispose()


@contextmanager
def temporary_schema(prefix: str) -> Iterator[str]:
    """Yield a database URL whose search_path is a new schema, dropped afterwards."""
    # A connection each time: the fault matrix restarts the server in between.
    server = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with server.connect() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        try:
            yield f"{SERVER}?options=-csearch_path%3D{schema}"
        finally:
            with server.connect() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    finally:
        server.dispose()
