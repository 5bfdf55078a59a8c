from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.db import Base, utcnow

if TYPE_CHECKING:
    from desk.models.agent import Agent


class AuditEvent(Base):
    """Who did what to which case or conversation, and when. Written by services only."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(sa.String(16))  # "agent" | "bot" | "system" | "citizen"
    agent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agents.id"))
    action: Mapped[str] = mapped_column(sa.String(48))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conversations.id"), index=True
    )
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    agent: Mapped[Agent | None] = relationship()
