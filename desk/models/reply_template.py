"""What agents send without typing it: canned replies, and the WhatsApp templates
Twilio requires outside the 24-hour window."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from desk.db import Base, utcnow


class CannedReply(Base):
    """A prepared answer; {nombre}, {folio} and {agente} are filled in the composer."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the agent types after "/" in the composer to find it.
    shortcut: Mapped[str] = mapped_column(sa.String(40), unique=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    body_es: Mapped[str] = mapped_column(sa.Text)
    body_en: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Which desk notice a template stands in for when the window is closed.
GENERAL = "general"
CASE_RESOLVED = "case_resolved"
CSAT = "csat"
PURPOSES = (GENERAL, CASE_RESOLVED, CSAT)


class WhatsAppTemplate(Base):
    """A message template approved by WhatsApp, known to Twilio by its Content SID."""

    __tablename__ = "whatsapp_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_sid: Mapped[str] = mapped_column(sa.String(34))  # HX + 32 hex digits
    language: Mapped[str] = mapped_column(sa.String(8), default="es")
    # The approved text with {{1}}, {{2}}… where the variables go: what the agent sees.
    body: Mapped[str] = mapped_column(sa.Text)
    # What each numbered variable holds, in order: "nombre", "folio", "agente" or free text.
    variables: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    purpose: Mapped[str] = mapped_column(sa.String(24), default=GENERAL)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
