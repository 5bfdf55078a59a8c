"""Worker heartbeats: one row per running worker, upserted, freshest read, dead ones forgotten."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

import sqlalchemy as sa

from desk.db import utcnow
from desk.models import WorkerHeartbeat
from desk.ops import heartbeat


def rows(db) -> dict[str, WorkerHeartbeat]:
    db.expire_all()
    return {row.worker_id: row for row in db.scalars(sa.select(WorkerHeartbeat))}


def test_a_first_beat_records_the_worker_and_commits(db):
    now = utcnow()

    heartbeat.beat(db, "worker-a", now=now)

    assert not db.in_transaction()
    row = rows(db)["worker-a"]
    assert (row.hostname, row.pid) == (socket.gethostname(), os.getpid())
    assert row.started_at == row.seen_at == now


def test_later_beats_move_seen_at_and_keep_started_at(db):
    start = utcnow() - timedelta(minutes=10)
    heartbeat.beat(db, "worker-a", now=start)

    heartbeat.beat(db, "worker-a", now=start + timedelta(seconds=5))
    heartbeat.beat(db, "worker-a", now=start + timedelta(seconds=10))

    (row,) = rows(db).values()
    assert row.seen_at - row.started_at == timedelta(seconds=10)


def test_freshest_is_the_worker_seen_last(db):
    now = utcnow()
    heartbeat.beat(db, "worker-a", now=now - timedelta(seconds=3))
    heartbeat.beat(db, "worker-b", now=now - timedelta(seconds=1))
    heartbeat.beat(db, "worker-c", now=now - timedelta(seconds=20))

    assert heartbeat.freshest(db).worker_id == "worker-b"
    assert heartbeat.age(db, now) == timedelta(seconds=1)


def test_with_no_worker_there_is_no_freshest_and_no_age(db):
    assert heartbeat.freshest(db) is None
    assert heartbeat.age(db) is None


def test_a_beat_forgets_workers_silent_for_longer_than_forget_after(db):
    now = utcnow()
    heartbeat.beat(db, "dead", now=now - timedelta(hours=2))
    heartbeat.beat(db, "quiet", now=now - timedelta(minutes=30))

    heartbeat.beat(db, "alive", now=now, forget_after=timedelta(hours=1))

    assert set(rows(db)) == {"quiet", "alive"}


def test_the_default_forgets_after_an_hour(db):
    now = utcnow()
    heartbeat.beat(db, "dead", now=now - heartbeat.FORGET_AFTER - timedelta(seconds=1))

    heartbeat.beat(db, "alive", now=now)

    assert set(rows(db)) == {"alive"}


def test_a_worker_that_stops_cleanly_retires_its_row(db):
    heartbeat.beat(db, "worker-a")
    heartbeat.beat(db, "worker-b")

    heartbeat.retire(db, "worker-a")

    assert not db.in_transaction()
    assert set(rows(db)) == {"worker-b"}


def test_worker_ids_are_unique_per_process_start_and_fit_the_column():
    ids = {heartbeat.new_worker_id() for _ in range(100)}

    assert len(ids) == 100
    assert all(len(worker_id) <= 64 for worker_id in ids)
    assert all(str(os.getpid()) in worker_id for worker_id in ids)
