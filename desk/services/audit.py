from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from desk.models import Agent, AuditEvent, Case, Conversation


def record(
    session: Session,
    action: str,
    *,
    actor: str,
    agent: Agent | None = None,
    case: Case | None = None,
    conversation: Conversation | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the caller's transaction (it commits with the change it describes)."""
    if case is not None and conversation is None:
        conversation = case.conversation
    event = AuditEvent(
        action=action,
        actor=actor,
        agent_id=agent.id if agent else None,
        case_id=case.id if case else None,
        conversation_id=conversation.id if conversation else None,
        details=details,
    )
    session.add(event)
    return event
