"""Where the desk keeps the files citizens send: ``<media folder>/<yyyy>/<mm>/<random>.<ext>``.

The folder is MEDIA_FOLDER, or ``media`` in the instance folder. Files hold photos of
identity documents: each is created 0600 (folders 0700) under a temporary name and
renamed into place once complete, so nobody else can read it, not even for a moment,
and a download cut half-way never leaves a file that looks whole. Names are random:
nothing about the citizen or the message can be read from the folder.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.models import MediaFile, Message

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
# The one place a content type becomes a file name's extension; types not here are
# never stored (desk.media.fetch refuses them first).
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "application/pdf": "pdf",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "video/mp4": "mp4",
}
# What erase_message_media leaves in ``error``: the fetcher never downloads it again.
ERASED = "erased"


class MediaMissing(LookupError):
    """The file was never fetched, was erased, or is no longer on disk."""


def media_root(config: Mapping[str, Any] | None = None) -> Path:
    """The media folder; ``config`` defaults to the current app's."""
    config = current_app.config if config is None else config
    folder = config.get("MEDIA_FOLDER")
    return Path(folder) if folder else Path(current_app.instance_path) / "media"


class MediaWriter:
    """One new file, written in pieces and renamed into place by ``commit``.

    Used as a context manager: leaving the block without ``commit`` (an error, a file
    refused half-way) deletes the partial file.
    """

    def __init__(self, content_type: str, root: Path, *, now: datetime | None = None) -> None:
        if content_type not in EXTENSIONS:
            raise ValueError(f"no stored type {content_type!r}")
        when = now or utcnow()
        self.root = root
        self.folder = root / f"{when.year:04d}" / f"{when.month:02d}"
        _private_folders(root, self.folder)
        self.name = f"{secrets.token_hex(16)}.{EXTENSIONS[content_type]}"
        self.temporary = self.folder / f".{self.name}.part"
        fd = os.open(
            self.temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE
        )
        self.file: IO[bytes] | None = os.fdopen(fd, "wb")
        self.size = 0
        self.final: Path | None = None

    def write(self, chunk: bytes) -> None:
        assert self.file is not None, "the file is already closed"
        self.file.write(chunk)
        self.size += len(chunk)

    def commit(self) -> str:
        """Flush to disk, rename into place; returns the path relative to the root."""
        assert self.file is not None, "the file is already closed"
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        self.file = None
        final = self.folder / self.name
        os.replace(self.temporary, final)
        _sync_folder(self.folder)
        self.final = final
        return final.relative_to(self.root).as_posix()

    def discard(self) -> None:
        """Delete what was written (before or after ``commit``)."""
        if self.file is not None:
            self.file.close()
            self.file = None
        self.temporary.unlink(missing_ok=True)
        if self.final is not None:
            self.final.unlink(missing_ok=True)
            self.final = None

    def __enter__(self) -> MediaWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.final is None:
            self.discard()


def stored_path(media_file: MediaFile, root: Path | None = None) -> Path:
    """The stored file's full path; MediaMissing if there is none."""
    if not media_file.path:
        raise MediaMissing(f"media {media_file.id} is not stored")
    path = _inside(root or media_root(), media_file.path)
    if not path.is_file():
        raise MediaMissing(f"media {media_file.id} is not on disk")
    return path


def open_media(media_file: MediaFile, root: Path | None = None) -> IO[bytes]:
    """The stored file, open for reading; MediaMissing if there is none."""
    try:
        return open(stored_path(media_file, root), "rb")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise MediaMissing(f"media {media_file.id} is not on disk") from None


def delete_stored(relative: str, root: Path | None = None) -> bool:
    """Delete one stored file; False if it was already gone."""
    try:
        _inside(root or media_root(), relative).unlink()
    except FileNotFoundError:
        return False
    return True


def erase_message_media(session: Session, message: Message) -> int:
    """Delete the files of ``message``; returns how many were deleted. Does not commit.

    Each of its media rows keeps no path and the error "erased", so the fetcher never
    downloads them again, not even those it had not created rows for yet. Rows are
    locked first (PostgreSQL; SQLite's write lock serializes anyway): a download that
    finishes meanwhile either lands before, and its file is deleted here, or after,
    and the fetcher throws it away on finding the row erased.
    """
    rows = {
        row.position: row
        for row in session.scalars(
            sa.select(MediaFile)
            .where(MediaFile.message_id == message.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    deleted = 0
    for row in rows.values():
        if row.path and delete_stored(row.path):
            deleted += 1
        row.path = None
        row.size = None
        row.error = ERASED
    for position, item in enumerate(message.media or []):
        if position not in rows:
            session.add(
                MediaFile(
                    message_id=message.id,
                    position=position,
                    content_type=str(item.get("content_type") or "")[:100],
                    error=ERASED,
                )
            )
    session.flush()
    return deleted


def _inside(root: Path, relative: str) -> Path:
    # Paths come from the database, written by the fetcher; still, nothing stored
    # there may reach a file outside the media folder.
    base = root.resolve()
    full = (base / relative).resolve()
    if not full.is_relative_to(base) or full == base:
        raise MediaMissing(f"{relative!r} is outside the media folder")
    return full


def _private_folders(root: Path, folder: Path) -> None:
    for path in (root, folder.parent, folder):
        path.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)


def _sync_folder(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
