from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.db import Base, utcnow

if TYPE_CHECKING:
    from desk.models.agent import Agent
    from desk.models.conversation import Conversation

OPEN = "open"
RESOLVED = "resolved"

# Why a conversation reached a person.
CITIZEN_REQUEST = "citizen_request"
BOT_FALLBACK = "bot_fallback"
BOT_UNAVAILABLE = "bot_unavailable"
COMPLAINT = "complaint"
FRUSTRATION = "frustration"  # fed up with the assistant, without asking in so many words
SYSTEM_ERROR = "system_error"  # a message the desk or the assistant failed on
REASONS = (CITIZEN_REQUEST, BOT_FALLBACK, BOT_UNAVAILABLE, COMPLAINT, FRUSTRATION, SYSTEM_ERROR)

# Folios carry the year as the citizen lives it, not UTC's.
LOCAL_TZ = ZoneInfo("America/Mexico_City")
# cases.id is an INTEGER: 32 bits on PostgreSQL, so no case id has more than 10 digits.
# A longer (or larger) number is no folio at all, never an integer the database refuses.
MAX_CASE_ID = 2**31 - 1
FOLIO_RE = re.compile(r"\bCAB-([0-9]{4})-([0-9]{6,10})\b", re.IGNORECASE)


class Case(Base):
    """A conversation's time with a person; its transcript is the conversation itself."""

    __tablename__ = "cases"
    __table_args__ = (
        # At most one open case per conversation: the desk routes to it.
        sa.Index(
            "uq_cases_open_per_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
        sa.Index("ix_cases_status_opened_at", "status", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("conversations.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default=OPEN)
    reason: Mapped[str] = mapped_column(sa.String(32))
    topic: Mapped[str | None] = mapped_column(sa.String(120))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agents.id"))

    conversation: Mapped[Conversation] = relationship(back_populates="cases")
    resolved_by: Mapped[Agent | None] = relationship()

    @property
    def folio(self) -> str:
        """The number citizens quote, e.g. CAB-2026-000123 (derived, never stored)."""
        return f"CAB-{self.opened_at.astimezone(LOCAL_TZ).year}-{self.id:06d}"

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


def parse_folio(text: str) -> tuple[int, int] | None:
    """(year, case id) of the first folio in ``text``, or None.

    A number no case id can reach gives None, like any other folio that does not exist.
    """
    match = FOLIO_RE.search(text)
    if match is None or int(match.group(2)) > MAX_CASE_ID:
        return None
    return int(match.group(1)), int(match.group(2))
