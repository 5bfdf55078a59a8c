"""WhatsApp's 24-hour customer-service window and SMS segments: what the composer
may send on each channel.

The window opens with each message from the citizen; outside it WhatsApp accepts only
approved templates (free text fails with Twilio error 63016).

SMS segments are counted here and, keystroke by keystroke, by desk/static/composer.js:
that file is a straight port of ``sms_segments`` with the same tables, and
tests/desk/replies/test_sms_segments.py runs both on the same strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext

from desk.db import utcnow
from desk.models import Conversation

WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Window:
    applies: bool  # WhatsApp only; SMS has no window
    open: bool
    closes_at: datetime | None

    def remaining(self, now: datetime) -> timedelta | None:
        if not self.applies or self.closes_at is None:
            return None
        return max(self.closes_at - now, timedelta(0))


def window_of(conversation: Conversation, now: datetime | None = None) -> Window:
    """Whether free text may go to this conversation now: until 24 hours after the
    citizen's last message, that instant excluded."""
    if conversation.channel != "whatsapp":
        return Window(applies=False, open=True, closes_at=None)
    now = now or utcnow()
    if conversation.last_inbound_at is None:
        return Window(applies=True, open=False, closes_at=None)
    closes_at = conversation.last_inbound_at + WINDOW
    return Window(applies=True, open=now < closes_at, closes_at=closes_at)


def time_left(remaining: timedelta) -> str:
    """ "5 h 07 min", "12 min", "menos de 1 min": how agents read what is left
    (composer.js counts down the same way)."""
    minutes = int(remaining.total_seconds()) // 60
    if minutes < 1:
        return gettext("menos de 1 min")
    hours, minutes = divmod(minutes, 60)
    if hours:
        return gettext("%(hours)d h %(minutes)02d min", hours=hours, minutes=minutes)
    return gettext("%(minutes)d min", minutes=minutes)


# GSM 03.38's basic set and its extension table (an extension character is sent as
# ESC + character: two septets, never split between two segments).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
# (characters in a single message, per segment once split): the 6 or 7 missing from
# each segment carry the User Data Header that joins the parts.
GSM_LIMITS = (160, 153)
UCS2_LIMITS = (70, 67)


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" | "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    count: int  # segments billed; 0 for an empty text
    per_segment: int  # the capacity of each segment at this length
    remaining: int  # units still free in the last segment


def sms_segments(text: str) -> Segments:
    """How Twilio splits ``text`` for SMS: 160/153 septets in GSM-7 (extension
    characters count two), 70/67 UTF-16 units in UCS-2 (one character outside GSM-7
    makes the whole message UCS-2). A character never straddles two segments."""
    gsm = all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text)
    if gsm:
        sizes = [2 if ch in GSM_EXTENDED else 1 for ch in text]
        (single, multi), encoding = GSM_LIMITS, "GSM-7"
    else:
        sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]  # astral: a surrogate pair
        (single, multi), encoding = UCS2_LIMITS, "UCS-2"
    units = sum(sizes)
    if units <= single:
        return Segments(encoding, units, 1 if units else 0, single, single - units)
    count, used = 1, 0
    for size in sizes:
        if used + size > multi:
            count, used = count + 1, 0
        used += size
    return Segments(encoding, units, count, multi, multi - used)
