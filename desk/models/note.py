from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.db import Base, utcnow

if TYPE_CHECKING:
    from desk.models.agent import Agent


class CaseNote(Base):
    """An agent's internal note on a case: seen by the desk, never sent to the citizen."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("agents.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agent: Mapped[Agent] = relationship()
