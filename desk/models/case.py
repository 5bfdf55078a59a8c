from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.db import Base, utcnow

if TYPE_CHECKING:
    from desk.models.agent import Agent
    from desk.models.conversation import Conversation
    from desk.models.team import Team

# The lifecycle (desk.services.cases moves a case along it, nothing else does):
# new (waiting for a person) → open (an agent is on it) → pending (waiting for the
# citizen) → resolved (handed back to the assistant) → closed (after CLOSE_AFTER_DAYS).
NEW = "new"
OPEN = "open"
PENDING = "pending"
RESOLVED = "resolved"
CLOSED = "closed"
STATUSES = (NEW, OPEN, PENDING, RESOLVED, CLOSED)
# A conversation has at most one active case, and people answer it while it does.
ACTIVE = (NEW, OPEN, PENDING)
_ACTIVE_SQL = "status IN ('new', 'open', 'pending')"

LOW = "low"
NORMAL = "normal"
HIGH = "high"
URGENT = "urgent"
PRIORITIES = (LOW, NORMAL, HIGH, URGENT)

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
        # At most one active case per conversation: the desk routes to it.
        sa.Index(
            "uq_cases_active_per_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=sa.text(_ACTIVE_SQL),
            postgresql_where=sa.text(_ACTIVE_SQL),
        ),
        sa.Index("ix_cases_status_opened_at", "status", "opened_at"),
        sa.Index("ix_cases_assignee_status", "assignee_id", "status"),
        # A conversation's latest case, looked up for every citizen message.
        sa.Index("ix_cases_conversation_opened", "conversation_id", "opened_at"),
        sa.Index("ix_cases_status_first_response_due", "status", "first_response_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("conversations.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default=NEW)
    reason: Mapped[str] = mapped_column(sa.String(32))
    topic: Mapped[str | None] = mapped_column(sa.String(120))
    priority: Mapped[str] = mapped_column(sa.String(8), default=NORMAL)
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agents.id"))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id"))
    assigned_at: Mapped[datetime | None]
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A person's first answer; the assistant's messages never count.
    first_response_at: Mapped[datetime | None]
    first_response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agents.id"))
    closed_at: Mapped[datetime | None]
    reopened_count: Mapped[int] = mapped_column(default=0)
    # Satisfaction (1–5), asked once by the assistant after the case is resolved.
    csat_asked_at: Mapped[datetime | None]
    csat_score: Mapped[int | None]
    csat_answered_at: Mapped[datetime | None]

    conversation: Mapped[Conversation] = relationship(back_populates="cases")
    resolved_by: Mapped[Agent | None] = relationship(foreign_keys=[resolved_by_id])
    assignee: Mapped[Agent | None] = relationship(foreign_keys=[assignee_id])
    team: Mapped[Team | None] = relationship()

    @property
    def folio(self) -> str:
        """The number citizens quote, e.g. CAB-2026-000123 (derived, never stored)."""
        return f"CAB-{self.opened_at.astimezone(LOCAL_TZ).year}-{self.id:06d}"

    @property
    def is_active(self) -> bool:
        """People answer it: new, open or pending."""
        return self.status in ACTIVE


def parse_folio(text: str) -> tuple[int, int] | None:
    """(year, case id) of the first folio in ``text``, or None.

    A number no case id can reach gives None, like any other folio that does not exist.
    """
    match = FOLIO_RE.search(text)
    if match is None or int(match.group(2)) > MAX_CASE_ID:
        return None
    return int(match.group(1)), int(match.group(2))
