"""When to try again after a failure the other side may recover from."""

from __future__ import annotations

from datetime import datetime, timedelta

FIRST_DELAY_SECONDS = 2.0
MAX_DELAY_SECONDS = 60.0


def delay(attempts: int) -> timedelta:
    """2 s, 4 s, 8 s … capped at a minute; ``attempts`` counts the tries made so far."""
    seconds = FIRST_DELAY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, MAX_DELAY_SECONDS))


def next_attempt(now: datetime, attempts: int) -> datetime:
    return now + delay(attempts)
