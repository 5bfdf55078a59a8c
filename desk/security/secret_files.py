"""Files that hold secrets: private to their owner from the first byte.

A file written first and restricted afterwards (``write_text`` then ``chmod``) is
readable by everyone for a moment, with whatever the umask allows. Here the file is
created with mode 0600 by ``os.open(O_CREAT | O_EXCL)``, filled under a temporary name
and linked into place, so that nobody ever sees it wider or half-written, and when two
processes create it at once the first one wins.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PRIVATE = 0o600


def create_private_file(path: Path, text: str) -> bool:
    """Create ``path`` holding ``text``, mode 0600. False if it already existed (untouched)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        tmp.unlink(missing_ok=True)


def append_private(path: Path, text: str) -> None:
    """Append to an existing secret file, narrowing it to 0600 first if it is wider."""
    if path.stat().st_mode & 0o077:
        path.chmod(PRIVATE)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW)
    with os.fdopen(fd, "a", encoding="utf-8") as file:
        file.write(text)
