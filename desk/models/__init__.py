"""Typed SQLAlchemy models, one table per module."""

from desk.models.agent import Agent
from desk.models.audit import AuditEvent
from desk.models.case import Case
from desk.models.conversation import Conversation
from desk.models.delivery import PendingStatus
from desk.models.media import MediaFile
from desk.models.message import Message
from desk.models.note import CaseNote
from desk.models.rate_limit import RateLimit
from desk.models.reply_template import CannedReply, WhatsAppTemplate
from desk.models.review import Review
from desk.models.setting import Setting, SlaTarget
from desk.models.team import Team
from desk.models.training import AssistantModel, ModelPublication, TrainingJob
from desk.models.worker import WorkerHeartbeat

__all__ = [
    "Agent",
    "AssistantModel",
    "AuditEvent",
    "CannedReply",
    "Case",
    "CaseNote",
    "Conversation",
    "MediaFile",
    "Message",
    "ModelPublication",
    "PendingStatus",
    "RateLimit",
    "Review",
    "Setting",
    "SlaTarget",
    "Team",
    "TrainingJob",
    "WhatsAppTemplate",
    "WorkerHeartbeat",
]
