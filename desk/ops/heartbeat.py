"""Worker heartbeats: each running worker process upserts one row every few seconds.

/readyz reads the freshest row. A worker that stops cleanly calls ``retire``; rows of
workers that died are forgotten by the next ``beat`` of any live worker.

The worker calls, in its own session (never one a message is being handled in,
since ``beat`` commits)::

    worker_id = heartbeat.new_worker_id()           # once per process
    heartbeat.beat(session, worker_id)              # every WORKER_HEARTBEAT_SECONDS
    heartbeat.retire(session, worker_id)            # on a clean stop
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.models import WorkerHeartbeat

# A worker silent this long is dead; its row goes.
FORGET_AFTER = timedelta(hours=1)


def new_worker_id() -> str:
    """Unique per process start (a restarted worker with a reused pid is a new worker)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:12]}"


def beat(
    session: Session,
    worker_id: str,
    *,
    now: datetime | None = None,
    forget_after: timedelta = FORGET_AFTER,
) -> None:
    """Record that ``worker_id`` is alive now, forget long-dead workers, and commit."""
    now = now or utcnow()
    values = {
        "worker_id": worker_id,
        "hostname": socket.gethostname()[:255],
        "pid": os.getpid(),
        "started_at": now,
        "seen_at": now,
    }
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(WorkerHeartbeat).values(values)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[WorkerHeartbeat.worker_id],
                set_={"seen_at": statement.excluded.seen_at},
            )
        )
    else:  # pragma: no cover - the desk runs on the two above
        updated = session.execute(
            sa.update(WorkerHeartbeat).filter_by(worker_id=worker_id).values(seen_at=now)
        ).rowcount
        if not updated:
            session.execute(sa.insert(WorkerHeartbeat).values(values))
    _forget(session, now - forget_after)
    session.commit()


def _forget(session: Session, before: datetime) -> None:
    # SKIP LOCKED: two workers pruning the same dead rows never wait for (or
    # deadlock with) each other on PostgreSQL; SQLite locks the whole file anyway.
    dead = (
        sa.select(WorkerHeartbeat.worker_id)
        .where(WorkerHeartbeat.seen_at < before)
        .with_for_update(skip_locked=True)
    )
    session.execute(
        sa.delete(WorkerHeartbeat)
        .where(WorkerHeartbeat.worker_id.in_(dead))
        .execution_options(synchronize_session=False)
    )


def retire(session: Session, worker_id: str) -> None:
    """A worker stopping cleanly removes its row at once, and commits."""
    session.execute(
        sa.delete(WorkerHeartbeat)
        .filter_by(worker_id=worker_id)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def freshest(session: Session) -> WorkerHeartbeat | None:
    """The most recently seen worker, or None when no worker has beaten (or all retired)."""
    return session.scalars(
        sa.select(WorkerHeartbeat).order_by(WorkerHeartbeat.seen_at.desc()).limit(1)
    ).first()


def age(session: Session, now: datetime | None = None) -> timedelta | None:
    """How long ago the freshest worker was seen; None when there is none."""
    newest = freshest(session)
    if newest is None:
        return None
    return (now or utcnow()) - newest.seen_at
