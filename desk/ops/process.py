"""What a long-running desk process (a web worker, the worker) asks of the interpreter.

- Threads hand the GIL over every 0.5 ms instead of 5: with many threads and short
  transactions, the one holding a database lock should not wait 5 ms for the GIL each
  time it comes back from the database.
- What start-up built is frozen out of the garbage collector. A full collection walked
  every object of the app (Flask, SQLAlchemy's mappers, the catalogs, translations):
  60 ms idle and 80–220 ms under load in a gunicorn worker, during which none of its
  threads answered. Those objects live as long as the process; frozen, a full
  collection walks only what came after, well under a millisecond.
"""

from __future__ import annotations

import gc
import sys

SWITCH_SECONDS = 0.0005


def settle() -> None:
    """Call once the app is built, before serving."""
    sys.setswitchinterval(SWITCH_SECONDS)
    gc.collect()  # garbage from start-up goes now, not frozen with the rest
    gc.freeze()
