"""The database: one engine per app, one session per app context.

Owns its teardown and the CLI commands that touch the schema, as in Flask's tutorial.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
import weakref
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")
BUSY_SECONDS = 30  # SQLite: how long a transaction waits for the write lock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no time zone)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use desk.db.utcnow()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


def utcnow() -> datetime:
    return datetime.now(UTC)


def create_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        # The driver's own transaction handling breaks SAVEPOINT; SQLAlchemy's
        # recipe hands it over. BEGIN IMMEDIATE takes the write lock up front, so
        # the web server and the worker wait for each other instead of failing
        # with "database is locked" when a read turns into a write.
        # hide_parameters: bound values (message bodies, phone numbers) never appear in
        # SQLAlchemy's error texts or logs; _scrub_database_error takes care of the rest.
        engine = sa.create_engine(
            url,
            connect_args={"timeout": BUSY_SECONDS, "isolation_level": None},
            hide_parameters=True,
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        _WRITERS[engine] = _OneWriter().listen(engine)
    else:
        # The worker's threads each hold a connection for a short transaction at a time;
        # connect_timeout keeps /readyz and the webhook from hanging on a dead server.
        engine = sa.create_engine(
            url,
            hide_parameters=True,
            pool_size=10,
            max_overflow=30,
            connect_args={"connect_timeout": 5},
        )
        _ping_when_idle(engine)
    sa.event.listen(engine, "handle_error", _scrub_database_error)
    return engine


PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: sa.Engine) -> None:
    """Check a pooled connection before use only when it sat idle for a second or more.

    SQLAlchemy's pool_pre_ping asks the server on every checkout: one round trip more
    for each transaction (six for a citizen's question and its answer), under load,
    on a connection used a few milliseconds before. An idle one may have outlived a
    restart and is still checked; a failure on one used just before is what a failure
    mid-transaction already was, and is handled the same way (the webhook spools, the
    worker tries again after the lease)."""

    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["desk.returned_at"] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("desk.returned_at")
        if returned_at is None or time.monotonic() - returned_at < PING_AFTER_IDLE_SECONDS:
            return  # new, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool drops this connection and checks out a new one.
            raise sa.exc.DisconnectionError(str(error).split("\n", 1)[0]) from error

    sa.event.listen(engine.pool, "checkin", returned)
    sa.event.listen(engine.pool, "checkout", checkout)


def _scrub_database_error(context: Any) -> None:
    """PostgreSQL's own DETAIL line quotes the values that broke a constraint ("Key
    (citizen_address)=(whatsapp:+52…) already exists", "Failing row contains (…, the
    message body, …)"), which hide_parameters cannot reach. Error texts keep the first
    line, the kind of error, so that no log or trace carries a phone number or a body."""
    for error in (context.original_exception, context.sqlalchemy_exception):
        if error is not None and error.args and isinstance(error.args[0], str):
            error.args = (_without_values(error.args[0]), *error.args[1:])


def _without_values(text: str) -> str:
    first = text.split("\n", 1)[0]
    # "invalid input syntax for type integer: \"…\"" quotes the input itself.
    return re.sub(r'(: )".*"$', r'\1"…"', first) if "invalid input" in first else first


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web process write while the worker reads; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
    cursor.close()


def _begin_immediate(connection: sa.Connection) -> None:
    """Take SQLite's write lock, waiting for it in steps of a millisecond at most.

    SQLite's own busy handler waits 1, 2, 5, 10, 15, 20, 25… ms between tries, so a
    webhook that found the lock held for one millisecond by the worker slept for 8 or
    18: under load that made the acknowledgement to Twilio hundreds of milliseconds.
    Past BUSY_SECONDS the last try waits in SQLite's handler and fails as it would."""
    raw = connection.connection.driver_connection
    assert raw is not None
    deadline = time.monotonic() + BUSY_SECONDS
    delay = 0.0001
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while time.monotonic() < deadline:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.001)
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class _OneWriter:
    """SQLite: one transaction at a time per process, queued on a lock of our own.

    Threads of one process that all waited on SQLite's lock retried in turns, and each
    try took the GIL from the thread that held the lock and needed it to finish: a
    webhook's millisecond of work took tens. Queued here they sleep until their turn.
    Between processes (the web workers and the worker) SQLite's lock still decides.
    The lock is let go as the transaction ends, just before its COMMIT or ROLLBACK.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def listen(self, engine: sa.Engine) -> _OneWriter:
        sa.event.listen(engine, "begin", self.begin)
        sa.event.listen(engine, "commit", self.end)
        sa.event.listen(engine, "rollback", self.end)
        # A connection handed back to the pool, or dropped, with its transaction open.
        sa.event.listen(engine.pool, "reset", self.end_reset)
        sa.event.listen(engine.pool, "invalidate", self.end_invalidated)
        return self

    def begin(self, connection: sa.Connection) -> None:
        # Past BUSY_SECONDS, SQLite's own wait decides, as it would without this lock.
        if self.lock.acquire(timeout=BUSY_SECONDS):
            connection.info["desk.writer"] = True
        try:
            _begin_immediate(connection)
        except BaseException:
            self.end(connection)
            raise

    def end(self, connection: sa.Connection) -> None:
        if connection.info.pop("desk.writer", False):
            self.lock.release()

    def end_reset(self, _dbapi_connection: Any, record: Any, _reset_state: Any) -> None:
        self._end_record(record)

    def end_invalidated(self, _dbapi_connection: Any, record: Any, _exception: Any) -> None:
        self._end_record(record)

    def _end_record(self, record: Any) -> None:
        if record.info.pop("desk.writer", False):
            self.lock.release()


_WRITERS: weakref.WeakKeyDictionary[sa.Engine, _OneWriter] = weakref.WeakKeyDictionary()


def writer_lock(engine: sa.Engine) -> threading.Lock:
    """The lock a SQLite engine's transactions queue on in this process."""
    return _WRITERS[engine].lock


def init_app(app: Flask) -> None:
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = app.config.get("DATABASE_ENGINE") or create_engine(url)
    # SQLite has no NOTIFY: a commit that queues work wakes the worker through its
    # socket in the instance folder (desk.services.queue.notify_worker).
    info = {"wake_socket": worker_socket(app)} if engine.dialect.name == "sqlite" else {}
    app.extensions["desk.db"] = sessionmaker(bind=engine, expire_on_commit=False, info=info)
    app.teardown_appcontext(_close_session)


def worker_socket(app: Flask) -> str:
    """Where the embedded default's worker listens for 'there is work' (SQLite only)."""
    return app.config.get("WORKER_SOCKET") or str(Path(app.instance_path) / "worker.sock")


def get_session() -> Session:
    """The session of the current app context, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["desk.db"]()
    return g.db_session


def get_or_404(model: type[T], ident: int) -> T:
    """The row of ``model`` with primary key ``ident``, or a 404 that names what was asked."""
    from flask import abort

    row = get_session().get(model, ident)
    if row is None:
        abort(404, f"no {model.__tablename__.removesuffix('s')} {ident}")  # type: ignore[attr-defined]
    return row


def engine() -> sa.Engine:
    return current_app.extensions["desk.db"].kw["bind"]


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def is_postgres() -> bool:
    return engine().dialect.name == "postgresql"
