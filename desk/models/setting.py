from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from desk.db import Base, utcnow


class Setting(Base):
    """A desk setting an admin changed from the desk; desk.services.settings has the defaults."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SlaTarget(Base):
    """How soon a case of this priority gets its first answer, and its resolution."""

    __tablename__ = "sla_targets"

    priority: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    first_response_minutes: Mapped[int]
    resolution_minutes: Mapped[int]
