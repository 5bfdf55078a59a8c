"""Retention: what citizens wrote and sent is kept ``retention_days`` after their case
closes, then erased (bodies and files; who wrote, when, and the case itself stay).

A case's messages go once it has been closed that long, and so do the messages of its
conversation older than the same cutoff that belong to no case (the citizen's talk with
the assistant). A message of another case waits for that case's own retention, so an
active case keeps all of its messages; a message still in the queue is never touched.
Run daily (the worker) or by an operator (``flask --app desk purge``); a second run
finds nothing left to erase.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.models import Case, MediaFile, Message
from desk.models import case as c
from desk.models import message as m
from desk.privacy import attachments
from desk.privacy.services import blank
from desk.services import audit, settings

PURGED = "privacy.purged"
BATCH = 500


@dataclass
class PurgeReport:
    """What a purge erased (or, in a dry run, would erase)."""

    cases: int = 0  # expired closed cases that had messages erased
    messages: int = 0
    media_files: int = 0
    bytes: int = 0
    dry_run: bool = False
    cutoff: datetime | None = None


def purge(session: Session, *, now: datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Erase the bodies and files retention has run out for. Commits each batch (a
    dry run only counts, and commits nothing)."""
    now = now or utcnow()
    days = settings.get(session, "retention_days")
    cutoff = now - timedelta(days=days)
    report = PurgeReport(dry_run=dry_run, cutoff=cutoff)
    cases: set[int] = set()
    ran_out = (Case.status == c.CLOSED, Case.closed_at < cutoff)
    expired = sa.select(Case.id).where(*ran_out)
    conversations = sa.select(Case.conversation_id).where(*ran_out)
    due = sa.or_(
        Message.case_id.in_(expired),
        # Outside any case: the citizen's talk with the assistant. A message of another
        # case waits for that case's own retention (an active one holds it anyway).
        sa.and_(
            Message.conversation_id.in_(conversations),
            Message.created_at < cutoff,
            Message.case_id.is_(None),
        ),
    )
    still_held = sa.or_(
        Message.body != "",
        sa.cast(Message.media, sa.Text) != "[]",
        Message.id.in_(sa.select(MediaFile.message_id).where(MediaFile.path.is_not(None))),
    )
    finished = Message.status.in_((m.DONE, m.FAILED))
    last_id = 0
    while True:
        batch = list(
            session.scalars(
                sa.select(Message)
                .where(due, still_held, finished, Message.id > last_id)
                .order_by(Message.id)
                .limit(BATCH)
            )
        )
        if not batch:
            break
        last_id = batch[-1].id
        cases |= _erase_batch(session, batch, expired, report)
    report.cases = len(cases)
    if dry_run:
        session.rollback()
    elif report.messages:
        audit.record(
            session,
            PURGED,
            actor="system",
            retention_days=days,
            cases=report.cases,
            messages=report.messages,
            media_files=report.media_files,
            bytes=report.bytes,
        )
        session.commit()
    return report


def _erase_batch(
    session: Session, batch: list[Message], expired: sa.Select, report: PurgeReport
) -> set[int]:
    """Count the batch into ``report`` and erase it (unless a dry run); returns the
    expired cases it held messages of."""
    files = attachments.stored_files(session, [message.id for message in batch])
    report.messages += len(batch)
    report.media_files += len(files)
    report.bytes += sum(media_file.size or 0 for media_file in files)
    held = {message.case_id for message in batch if message.case_id is not None}
    cases = set(session.scalars(expired.where(Case.id.in_(held)))) if held else set()
    if report.dry_run:
        return cases
    for message in batch:
        blank(message)
    session.flush()  # the database changes are in before a file is deleted
    attachments.erase(session, batch, files)
    session.commit()
    return cases
