"""The files citizens sent, as privacy requests and retention meet them.

desk.media.storage owns where files live and how they go; this module counts them,
reads them for an export, and has desk.media erase them.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from desk.media import storage
from desk.models import MediaFile, Message


def all_files(session: Session, message_ids: Iterable[int]) -> list[MediaFile]:
    """Every media row of these messages, fetched or not."""
    return _files(session, message_ids, stored_only=False)


def stored_files(session: Session, message_ids: Iterable[int]) -> list[MediaFile]:
    """The files still on disk for these messages (a row without a path has none)."""
    return _files(session, message_ids, stored_only=True)


def read(media_file: MediaFile) -> bytes | None:
    """The file's bytes for an export, or None when it is not on disk."""
    try:
        with storage.open_media(media_file) as handle:
            return handle.read()
    except storage.MediaMissing:
        return None


def erase(session: Session, messages: Iterable[Message], stored: list[MediaFile]) -> None:
    """Delete the files of ``messages`` (``stored``: theirs still on disk) and Twilio's
    links to them, so none is fetched again. In the caller's transaction: call it once
    every other change is flushed, since a deleted file cannot come back if the
    transaction then fails."""
    with_files = {media_file.message_id for media_file in stored}
    for message in messages:
        if message.media or message.id in with_files:
            storage.erase_message_media(session, message)
        message.media = []


def _files(session: Session, message_ids: Iterable[int], *, stored_only: bool) -> list[MediaFile]:
    ids = list(message_ids)
    if not ids:
        return []
    query = sa.select(MediaFile).where(MediaFile.message_id.in_(ids))
    if stored_only:
        query = query.where(MediaFile.path.is_not(None))
    return list(session.scalars(query.order_by(MediaFile.message_id, MediaFile.position)))
