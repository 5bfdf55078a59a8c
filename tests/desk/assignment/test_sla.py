"""SLA due times, in business time when the center has business hours."""

from __future__ import annotations

from datetime import datetime

import pytest

from desk.assignment import sla
from desk.db import utcnow
from desk.models import case as c
from desk.models.case import LOCAL_TZ
from desk.services import settings

WEEKDAYS = sla.BusinessHours.parse([0, 1, 2, 3, 4], "09:00", "18:00")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


def test_without_business_hours_every_minute_counts():
    assert sla.add_business_minutes(local("2026-11-27 17:30"), 60, None) == local(
        "2026-11-27 18:30"
    )


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        ("2026-11-26 10:00", 60, "2026-11-26 11:00"),  # Thursday, inside the hours
        ("2026-11-26 17:30", 60, "2026-11-27 09:30"),  # runs over into Friday morning
        ("2026-11-27 17:30", 60, "2026-11-30 09:30"),  # Friday evening → Monday
        ("2026-11-28 12:00", 15, "2026-11-30 09:15"),  # opened on Saturday
        ("2026-11-26 07:00", 30, "2026-11-26 09:30"),  # before opening time
        # 24 business hours: 8 on Thursday, 9 on Friday, 7 on Monday.
        ("2026-11-26 10:00", 24 * 60, "2026-11-30 16:00"),
    ],
)
def test_with_business_hours_only_their_minutes_count(start, minutes, due):
    assert sla.add_business_minutes(local(start), minutes, WEEKDAYS) == local(due)


@pytest.mark.parametrize(
    ("days", "start", "end"),
    [([], "09:00", "18:00"), ([0], "18:00", "09:00"), ([7], "9:00", "18:00")],
)
def test_impossible_business_hours_are_refused(days, start, end):
    with pytest.raises(ValueError):
        sla.BusinessHours.parse(days, start, end)


def test_the_settings_turn_business_hours_on_for_new_cases(db, make_case):
    settings.put(db, "business_hours_enabled", True)
    db.commit()

    case = make_case()

    hours = sla.BusinessHours.from_settings(db)
    assert case.first_response_due_at == sla.add_business_minutes(
        case.opened_at, settings.SLA_DEFAULTS[c.NORMAL][0], hours
    )


def test_a_case_is_overdue_past_a_due_time_it_has_not_met(make_case, db):
    case = make_case()
    later = case.first_response_due_at.replace(year=case.first_response_due_at.year + 1)

    assert not sla.is_overdue(case, utcnow())
    assert sla.is_overdue(case, later)
    case.first_response_at = utcnow()
    case.resolution_due_at = None
    assert not sla.is_overdue(case, later)
