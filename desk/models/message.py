from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.db import Base, utcnow

if TYPE_CHECKING:
    from desk.models.agent import Agent
    from desk.models.conversation import Conversation

INBOUND = "inbound"
OUTBOUND = "outbound"

# Authors
CITIZEN = "citizen"
BOT = "bot"
AGENT = "agent"
SYSTEM = "system"

# The queue: the worker takes PENDING rows whose next_attempt_at has come.
PENDING = "pending"
PROCESSING = "processing"
DONE = "done"
FAILED = "failed"

# Messages the desk itself writes, as opposed to answers (``kind``).
PRIVACY_NOTICE = "privacy_notice"
# Confirms BAJA: the only thing an opted-out citizen gets. Confirms ALTA: goes only if
# the citizen is still opted in when it is sent.
CONSENT_NOTICE = "consent_notice"
WELCOME_BACK_NOTICE = "welcome_back"

# Twilio's delivery statuses, in the order a message moves through them.
DELIVERY_ORDER = (
    "accepted",
    "scheduled",
    "queued",
    "sending",
    "sent",
    "partially_delivered",
    "delivered",
    "read",
)
DELIVERY_FAILED = ("failed", "undelivered", "canceled")


class Message(Base):
    """Every message in or out, stored before anything else happens to it.

    The table is also the work queue (status, next_attempt_at, lease_expires_at).
    """

    __tablename__ = "messages"
    __table_args__ = (
        sa.Index("ix_messages_queue", "status", "direction", "next_attempt_at"),
        sa.Index("ix_messages_conversation", "conversation_id", "id"),
        # The dashboard's days and the retention purge read messages by date.
        sa.Index("ix_messages_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("conversations.id"))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))
    direction: Mapped[str] = mapped_column(sa.String(8))
    author: Mapped[str] = mapped_column(sa.String(8))
    agent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agents.id"))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[str | None] = mapped_column(sa.String(24))
    media: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    # A WhatsApp template (outside the 24-hour window): Twilio builds the text from
    # the Content SID and these variables; ``body`` keeps what the citizen will read.
    content_sid: Mapped[str | None] = mapped_column(sa.String(34))
    content_variables: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    # Twilio's MessageSid: inbound dedupe key, outbound the handle for status callbacks.
    provider_sid: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    status: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_expires_at: Mapped[datetime | None]
    # Who holds the claim: a worker commits its outcome only while the token is its own.
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    # When the last hand-off began: to Twilio (outbound: an unclear outcome is looked
    # up from then on), or to Rasa (inbound: the turn may have run, so it is asked again
    # with the same id, which Rasa answers without running it twice).
    sending_started_at: Mapped[datetime | None]
    delivery_status: Mapped[str | None] = mapped_column(sa.String(24))
    error_code: Mapped[str | None] = mapped_column(sa.String(16))
    error_message: Mapped[str | None] = mapped_column(sa.Text)

    # What the assistant understood (inbound, bot mode).
    intent: Mapped[str | None] = mapped_column(sa.String(80))
    confidence: Mapped[float | None]
    # Which Rasa model answered (its model_id): the trainers compare models' misses.
    model_id: Mapped[str | None] = mapped_column(sa.String(64))
    # The procedure NLU found in it (the ``procedure`` entity's value), shown to trainers.
    procedure: Mapped[str | None] = mapped_column(sa.String(64))

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    conversation: Mapped[Conversation] = relationship()
    agent: Mapped[Agent | None] = relationship()

    @property
    def shown_status(self) -> str:
        """What an agent sees: the delivery status once Twilio has the message."""
        if self.direction == OUTBOUND and self.delivery_status:
            return self.delivery_status
        return self.status
