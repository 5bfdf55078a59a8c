"""Typed SQLAlchemy models, one table per module."""

from desk.models.agent import Agent
from desk.models.audit import AuditEvent
from desk.models.case import Case
from desk.models.conversation import Conversation
from desk.models.message import Message

__all__ = ["Agent", "AuditEvent", "Case", "Conversation", "Message"]
