"""The rate_limits table as Flask-Limiter's storage: fixed-window counters shared by
every process that uses the database."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy.orm import sessionmaker

from desk.db import create_engine, utcnow
from desk.models import RateLimit
from desk.security import rate_limit_storage
from desk.security.rate_limit_storage import DatabaseStorage


@pytest.fixture
def storage(app) -> DatabaseStorage:
    return DatabaseStorage()


@pytest.fixture
def clock(monkeypatch):
    """The storage's clock, moved by hand."""

    class Clock:
        now = utcnow()

        def advance(self, seconds: float) -> None:
            self.now += timedelta(seconds=seconds)

    clock = Clock()
    monkeypatch.setattr(rate_limit_storage, "utcnow", lambda: clock.now)
    return clock


def test_the_scheme_is_registered_with_limits(app):
    assert isinstance(storage_from_string("desk-database://"), DatabaseStorage)


def test_hits_add_up_within_a_window(storage, clock):
    counts = [storage.incr("k", 60) for _ in range(3)]

    assert counts == [1, 2, 3]
    assert storage.get("k") == 3
    assert storage.incr("k", 60, amount=2) == 5


def test_a_window_that_expired_starts_over(storage, clock):
    storage.incr("k", 60)
    storage.incr("k", 60)
    clock.advance(60)

    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1
    assert storage.get_expiry("k") == pytest.approx((clock.now + timedelta(seconds=60)).timestamp())


def test_the_window_does_not_slide_with_each_hit(storage, clock):
    storage.incr("k", 60)
    first_expiry = storage.get_expiry("k")
    clock.advance(30)
    storage.incr("k", 60)

    assert storage.get_expiry("k") == pytest.approx(first_expiry)


def test_keys_are_counted_apart(storage, clock):
    storage.incr("a", 60)
    storage.incr("a", 60)
    storage.incr("b", 60)

    assert (storage.get("a"), storage.get("b"), storage.get("never")) == (2, 1, 0)


def test_clear_and_reset(storage, clock):
    storage.incr("a", 60)
    storage.incr("b", 60)
    storage.clear("a")

    assert storage.get("a") == 0
    assert storage.get("b") == 1
    assert storage.reset() == 1
    assert storage.get("b") == 0


def test_check_says_whether_the_database_answers(storage):
    assert storage.check() is True
    broken = DatabaseStorage(sessions=sessionmaker(bind=sa.create_engine("sqlite:///nowhere/x.db")))
    assert broken.check() is False


def test_a_key_longer_than_the_column_is_stored_as_its_digest(storage, db, clock):
    key = "LIMITER/account:" + "x" * 300

    storage.incr(key, 60)

    assert storage.get(key) == 1
    [row] = db.scalars(sa.select(RateLimit)).all()
    assert row.key.startswith("sha256:") and len(row.key) <= 255


def test_expired_windows_of_any_key_are_swept_now_and_then(storage, db, clock):
    storage.incr("old", 60)
    clock.advance(120)
    storage._swept_at = time.monotonic() - rate_limit_storage.SWEEP_SECONDS

    storage.incr("new", 60)

    assert [row.key for row in db.scalars(sa.select(RateLimit))] == ["new"]


def test_the_fixed_window_strategy_runs_on_it(storage, clock):
    limiter = FixedWindowRateLimiter(storage)
    five = parse("5/minute")

    allowed = [limiter.hit(five, "ana") for _ in range(6)]

    assert allowed == [True] * 5 + [False]
    assert limiter.test(five, "otra")
    clock.advance(60)
    assert limiter.hit(five, "ana")


def test_processes_hitting_at_once_lose_no_hit(fresh_database_url):
    """Several connections at once (as gunicorn workers would) count exactly."""
    engine = create_engine(fresh_database_url)
    storages = [DatabaseStorage(sessions=sessionmaker(bind=engine)) for _ in range(4)]
    errors: list[BaseException] = []

    def hammer(storage: DatabaseStorage) -> None:
        try:
            for _ in range(25):
                storage.incr("shared", 60)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=hammer, args=(s,)) for s in storages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    try:
        assert errors == []
        assert storages[0].get("shared") == 100
    finally:
        engine.dispose()
