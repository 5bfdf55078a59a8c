from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from desk.db import Base


class RateLimit(Base):
    """A fixed-window counter (Flask-Limiter's storage when there is no Redis): every
    web process of the desk counts against the same limits."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    count: Mapped[int]
    expires_at: Mapped[datetime]
