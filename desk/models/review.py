"""A trainer's verdict on a citizen message the assistant was unsure about (issue 9).

One per message: confirmed (the example went to the training or the test data, or was
refused with the reason the trainer read) or dismissed. The inbox never shows a message
with a review again.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.db import Base, utcnow

if TYPE_CHECKING:
    from desk.models.agent import Agent
    from desk.models.message import Message

CONFIRMED = "confirmed"
DISMISSED = "dismissed"

# Where a confirmed example went: the training data or the held-out test set.
TRAINING = "training"
TEST = "test"


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("messages.id"), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    intent: Mapped[str | None] = mapped_column(sa.String(80))
    # The spans as written: [{"start", "end", "entity", "value"}] over ``text``.
    entities: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    # The scrubbed example as written (never the citizen's own words).
    text: Mapped[str | None] = mapped_column(sa.Text)
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("agents.id"))
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None: dismissed, refused, or already in the data (a duplicate).
    destination: Mapped[str | None] = mapped_column(sa.String(16))
    refused_reason: Mapped[str | None] = mapped_column(sa.Text)

    message: Mapped[Message] = relationship()
    reviewer: Mapped[Agent] = relationship()
