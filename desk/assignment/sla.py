"""Due times: the first answer and the resolution, by priority, in business time.

With business hours off, a target of 60 minutes is 60 minutes of the clock. With them
on, only the minutes inside the center's hours count (Mexico City time), so a case
opened on Friday evening is due on Monday morning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session

from desk.models import Case
from desk.models.case import LOCAL_TZ
from desk.services import settings


@dataclass(frozen=True)
class BusinessHours:
    days: frozenset[int]  # Monday is 0
    start: time
    end: time

    @classmethod
    def from_settings(cls, session: Session) -> BusinessHours | None:
        if not settings.get(session, "business_hours_enabled"):
            return None
        return cls.parse(
            settings.get(session, "business_days"),
            settings.get(session, "business_start"),
            settings.get(session, "business_end"),
        )

    @classmethod
    def parse(cls, days: list[int], start: str, end: str) -> BusinessHours:
        hours = cls(
            frozenset(int(day) for day in days), time.fromisoformat(start), time.fromisoformat(end)
        )
        if not hours.days or not hours.days <= set(range(7)):
            raise ValueError("business days are numbers from 0 (Monday) to 6 (Sunday)")
        if hours.start >= hours.end:
            raise ValueError("business hours must start before they end")
        return hours


def add_business_minutes(start: datetime, minutes: int, hours: BusinessHours | None) -> datetime:
    """``start`` plus ``minutes`` that count: all of them, or only those in business hours."""
    if hours is None:
        return start + timedelta(minutes=minutes)
    remaining = timedelta(minutes=minutes)
    cursor = start.astimezone(LOCAL_TZ)
    # At most one step per day; a year of closed days would be a misconfiguration.
    for _ in range(3660):
        day_start = datetime.combine(cursor.date(), hours.start, LOCAL_TZ)
        day_end = datetime.combine(cursor.date(), hours.end, LOCAL_TZ)
        if cursor.weekday() in hours.days and cursor < day_end:
            cursor = max(cursor, day_start)
            available = day_end - cursor
            if remaining <= available:
                return (cursor + remaining).astimezone(UTC)
            remaining -= available
        cursor = datetime.combine(cursor.date() + timedelta(days=1), hours.start, LOCAL_TZ)
    raise ValueError("no business hours found within ten years")


def apply_targets(session: Session, case: Case, start: datetime) -> None:
    """Set the case's due times from its priority, counted from ``start``."""
    first, resolution = settings.sla_minutes(session, case.priority)
    hours = BusinessHours.from_settings(session)
    if case.first_response_at is None:
        case.first_response_due_at = add_business_minutes(start, first, hours)
    case.resolution_due_at = add_business_minutes(start, resolution, hours)


def is_overdue(case: Case, now: datetime) -> bool:
    """Past a due time it has not met: no first answer in time, or unresolved in time."""
    if not case.is_active:
        return False
    missed_first = (
        case.first_response_at is None
        and case.first_response_due_at is not None
        and now > case.first_response_due_at
    )
    return missed_first or (case.resolution_due_at is not None and now > case.resolution_due_at)
