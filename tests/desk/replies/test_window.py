"""WhatsApp's 24-hour window: open until 24 hours after the citizen's last message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desk.models import Conversation
from desk.replies.window import WINDOW, time_left, window_of

WROTE = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


def whatsapp(last_inbound_at: datetime | None = WROTE) -> Conversation:
    return Conversation(
        channel="whatsapp",
        citizen_address="whatsapp:+5215512345678",
        desk_address="whatsapp:+525500000000",
        last_inbound_at=last_inbound_at,
    )


def test_the_window_is_open_right_after_the_citizen_writes():
    window = window_of(whatsapp(), now=WROTE)

    assert window.applies and window.open
    assert window.closes_at == WROTE + timedelta(hours=24)


def test_the_window_is_still_open_a_microsecond_before_24_hours():
    assert window_of(whatsapp(), now=WROTE + WINDOW - timedelta(microseconds=1)).open


def test_the_window_is_closed_at_exactly_24_hours():
    window = window_of(whatsapp(), now=WROTE + timedelta(hours=24))

    assert window.applies and not window.open
    assert window.remaining(WROTE + timedelta(hours=24)) == timedelta(0)


def test_the_window_is_closed_when_the_citizen_never_wrote():
    window = window_of(whatsapp(last_inbound_at=None), now=WROTE)

    assert window.applies and not window.open and window.closes_at is None


def test_sms_has_no_window_and_free_text_always_goes():
    sms = Conversation(channel="sms", citizen_address="+5215512345678", desk_address="+5255")

    window = window_of(sms, now=WROTE + timedelta(days=30))

    assert (window.applies, window.open, window.remaining(WROTE)) == (False, True, None)


def test_what_is_left_never_goes_negative():
    window = window_of(whatsapp(), now=WROTE + timedelta(days=2))

    assert window.remaining(WROTE + timedelta(days=2)) == timedelta(0)


@pytest.mark.parametrize(
    "left, shown",
    [
        (timedelta(hours=23, minutes=59, seconds=59), "23 h 59 min"),
        (timedelta(hours=5, minutes=7), "5 h 07 min"),
        (timedelta(hours=1), "1 h 00 min"),
        (timedelta(minutes=59, seconds=59), "59 min"),
        (timedelta(minutes=1), "1 min"),
        (timedelta(seconds=59), "menos de 1 min"),
        (timedelta(0), "menos de 1 min"),
    ],
)
def test_time_left_reads_in_hours_and_minutes(app, left, shown):
    assert time_left(left) == shown
