from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.db import Base, utcnow

if TYPE_CHECKING:
    from desk.models.case import Case

BOT = "bot"
HUMAN = "human"


def channel_of(address: str) -> str:
    """Twilio marks WhatsApp addresses with a prefix; anything else is SMS."""
    return "whatsapp" if address.startswith("whatsapp:") else "sms"


class Conversation(Base):
    """One citizen address talking to one of our numbers, for as long as they write.

    ``mode`` is the single place that decides who answers: the assistant or a person.
    """

    __tablename__ = "conversations"
    __table_args__ = (sa.UniqueConstraint("citizen_address", "desk_address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Rasa sender id: opaque, so a reset desk database never inherits old trackers.
    key: Mapped[str] = mapped_column(sa.String(32), unique=True, default=lambda: uuid.uuid4().hex)
    channel: Mapped[str] = mapped_column(sa.String(16))  # "whatsapp" | "sms"
    citizen_address: Mapped[str] = mapped_column(sa.String(64))  # Twilio From
    # The person behind it, across channels (+5215512345678): consent is theirs.
    phone: Mapped[str | None] = mapped_column(
        sa.String(64), index=True, default=lambda context: _phone_of(context)
    )
    desk_address: Mapped[str] = mapped_column(sa.String(64))  # Twilio To; replies go out from it
    profile_name: Mapped[str | None] = mapped_column(sa.String(120))
    language: Mapped[str] = mapped_column(sa.String(8), default="es")
    mode: Mapped[str] = mapped_column(sa.String(8), default=BOT)
    # Set when a case is resolved; the worker resumes the Rasa tracker before the
    # next message goes to the assistant, so a Rasa outage cannot lose the hand-back.
    needs_bot_resume: Mapped[bool] = mapped_column(default=False)
    opted_out: Mapped[bool] = mapped_column(default=False)
    # The aviso de privacidad goes once, with the first answer.
    privacy_notice_sent_at: Mapped[datetime | None]
    # The start of WhatsApp's 24-hour customer-service window.
    last_inbound_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cases: Mapped[list[Case]] = relationship(back_populates="conversation")


def _phone_of(context) -> str:  # type: ignore[no-untyped-def]
    """The number without Twilio's channel prefix, as the row is inserted."""
    return context.get_current_parameters()["citizen_address"].removeprefix("whatsapp:")
