"""Typed SQLAlchemy models, one table per module."""

from desk.models.agent import Agent
from desk.models.audit import AuditEvent
from desk.models.case import Case
from desk.models.conversation import Conversation
from desk.models.delivery import PendingStatus
from desk.models.message import Message
from desk.models.rate_limit import RateLimit
from desk.models.worker import WorkerHeartbeat

__all__ = [
    "Agent",
    "AuditEvent",
    "Case",
    "Conversation",
    "Message",
    "PendingStatus",
    "RateLimit",
    "WorkerHeartbeat",
]
