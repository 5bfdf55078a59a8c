"""Flask-Limiter's storage in the desk's own database (the ``rate_limits`` table).

Used when no Redis is configured, so that every gunicorn worker — and every machine
sharing the database — counts against the same limits. It implements what the
fixed-window strategy needs: a counter per key that starts over once its window has
expired. The increment is one atomic ``INSERT … ON CONFLICT DO UPDATE`` on both
SQLite and PostgreSQL, so two workers never lose a hit.

Registered with ``limits`` under the scheme ``desk-database://``. Each call uses a
session of its own from the current app (it commits only its counter, never the
request's work).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar

import sqlalchemy as sa
from flask import current_app
from limits.storage import Storage
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.models import RateLimit

log = logging.getLogger(__name__)

SCHEME = "desk-database"
KEY_LENGTH = 255  # rate_limits.key
SWEEP_SECONDS = 60.0  # how often a process deletes expired windows of any key
_TABLE = RateLimit.__table__
_UPSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def _app_sessions() -> Session:
    return current_app.extensions["desk.db"]()


def stored_key(key: str) -> str:
    """The key as stored: a longer one (a long e-mail in it) is replaced by its digest."""
    if len(key) <= KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseStorage(Storage):
    """Fixed-window counters in ``rate_limits`` (key, count, expires_at)."""

    STORAGE_SCHEME: ClassVar[list[str]] = [SCHEME]

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        sessions: Callable[[], Session] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._sessions = sessions or _app_sessions
        self._swept_at = time.monotonic()

    @property
    def base_exceptions(self) -> type[Exception]:
        return sa.exc.SQLAlchemyError

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add ``amount`` to the key's window, starting a new window if it has expired."""
        now = utcnow()
        with self._sessions() as session, session.begin():
            dialect = session.get_bind().dialect.name
            if dialect not in _UPSERTS:
                raise NotImplementedError(f"no rate-limit upsert for {dialect}")
            insert = _UPSERTS[dialect](_TABLE).values(
                key=stored_key(key), count=amount, expires_at=now + timedelta(seconds=expiry)
            )
            expired = _TABLE.c.expires_at <= now
            upsert = insert.on_conflict_do_update(
                index_elements=[_TABLE.c.key],
                set_={
                    "count": sa.case(
                        (expired, insert.excluded.count),
                        else_=_TABLE.c.count + insert.excluded.count,
                    ),
                    "expires_at": sa.case(
                        (expired, insert.excluded.expires_at), else_=_TABLE.c.expires_at
                    ),
                },
            ).returning(_TABLE.c.count)
            count = session.execute(upsert).scalar_one()
        self._sweep_now_and_then()
        return count

    def get(self, key: str) -> int:
        """The hits in the key's current window (0 once it has expired)."""
        row = self._row(key)
        return row.count if row is not None else 0

    def get_expiry(self, key: str) -> float:
        """When the key's window ends, as a Unix time (now if there is none)."""
        row = self._row(key)
        return row.expires_at.timestamp() if row is not None else time.time()

    def check(self) -> bool:
        try:
            with self._sessions() as session:
                session.execute(sa.select(1))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._sessions() as session, session.begin():
            return session.execute(sa.delete(_TABLE)).rowcount

    def clear(self, key: str) -> None:
        with self._sessions() as session, session.begin():
            session.execute(sa.delete(_TABLE).where(_TABLE.c.key == stored_key(key)))

    def sweep(self) -> int:
        """Delete every expired window, whatever its key."""
        with self._sessions() as session, session.begin():
            return session.execute(
                sa.delete(_TABLE).where(_TABLE.c.expires_at <= utcnow())
            ).rowcount

    def _row(self, key: str) -> Any:
        with self._sessions() as session:
            return session.execute(
                sa.select(_TABLE.c.count, _TABLE.c.expires_at).where(
                    _TABLE.c.key == stored_key(key), _TABLE.c.expires_at > utcnow()
                )
            ).first()

    def _sweep_now_and_then(self) -> None:
        # Keys are addresses and e-mails: without this the table would keep one row
        # for every address that ever tried. Best effort: a hit never fails for it.
        if time.monotonic() - self._swept_at < SWEEP_SECONDS:
            return
        self._swept_at = time.monotonic()
        try:
            self.sweep()
        except sa.exc.SQLAlchemyError:
            log.warning("could not delete expired rate-limit windows", exc_info=True)
