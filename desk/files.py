"""Files the desk rewrites in place: whole or not at all.

The catalog and the NLU data are read by other processes (the action server, Rasa's
training) while the desk edits them. A reader must see the old file or the new one,
never half of each, and a crash mid-write must leave the old one standing.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

NEW_FILE_MODE = 0o644


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder.

    The temporary file sits beside the target so ``os.replace`` stays on one file
    system (a rename, not a copy); it keeps the target's mode so an edit never
    changes who may read the file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else NEW_FILE_MODE
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
