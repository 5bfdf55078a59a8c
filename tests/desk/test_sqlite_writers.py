"""SQLite, the embedded default: one write transaction at a time per process, queued.

Threads that all retried SQLite's lock took the GIL from the one thread that held it,
so a webhook's millisecond of work took tens under load (see desk.db._OneWriter).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import desk.db
from desk.db import create_engine, writer_lock


def test_the_lock_is_let_go_however_the_transaction_ends(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    lock = writer_lock(engine)

    with engine.begin():
        assert lock.locked()  # other threads of this process queue on it meanwhile
    assert not lock.locked()  # commit

    connection = engine.connect()
    connection.begin()
    connection.rollback()
    assert not lock.locked()  # rollback

    connection.begin()
    connection.close()  # back to the pool with the transaction open
    assert not lock.locked()

    connection = engine.connect()
    connection.begin()
    connection.invalidate()  # dropped, as after a lost connection
    assert not lock.locked()


def test_a_transaction_that_fails_to_begin_does_not_keep_the_lock(tmp_path, monkeypatch):
    engine = create_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    other = sa.create_engine(f"sqlite:///{tmp_path / 'desk.db'}", isolation_level=None)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x)")
    # Another process (here another engine) holds SQLite's own lock past the wait.
    held = other.connect()
    held.exec_driver_sql("BEGIN IMMEDIATE")
    monkeypatch.setattr(desk.db, "BUSY_SECONDS", 0)
    try:
        with pytest.raises(sa.exc.OperationalError, match="locked"), engine.begin():
            pass
        assert not writer_lock(engine).locked()
    finally:
        held.exec_driver_sql("ROLLBACK")
        held.close()
