from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from desk.db import Base, utcnow


class MediaFile(Base):
    """A file a citizen sent, copied from Twilio to the desk's own storage.

    Agents' browsers never fetch from Twilio: its media URLs need the account's
    credentials, and a copy survives Twilio's own retention.
    """

    __tablename__ = "media_files"
    __table_args__ = (sa.UniqueConstraint("message_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("messages.id"), index=True)
    position: Mapped[int]  # MediaUrl0, MediaUrl1…
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int | None]
    # Relative to the desk's media folder; None until fetched (or after erasure).
    path: Mapped[str | None] = mapped_column(sa.String(255))
    error: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime | None]
