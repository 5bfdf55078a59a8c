"""An access request's answer: everything the desk stores about a number, as one
document. The JSON download and the printable page are the same document."""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.models import AuditEvent, Case, CaseNote, Conversation, MediaFile, Message
from desk.privacy import attachments

# Shown inline on the printable page; any other type is only in the JSON download.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def export_of(
    session: Session,
    phone: str,
    conversations: list[Conversation],
    cases: dict[int, list[Case]],
) -> dict[str, Any]:
    """The document for ``phone``: its conversations with their messages (and files),
    cases (notes, timeline) and events. Datetimes stay datetimes; ``as_json`` writes them."""
    conversation_ids = [conversation.id for conversation in conversations]
    all_cases = [case for conversation_cases in cases.values() for case in conversation_cases]
    case_ids = [case.id for case in all_cases]
    messages = list(
        session.scalars(
            sa.select(Message)
            .where(Message.conversation_id.in_(conversation_ids))
            .order_by(Message.id)
        )
    )
    files: dict[int, list[MediaFile]] = defaultdict(list)
    for media_file in attachments.all_files(session, [message.id for message in messages]):
        files[media_file.message_id].append(media_file)
    notes: dict[int, list[CaseNote]] = defaultdict(list)
    for note in session.scalars(
        sa.select(CaseNote).where(CaseNote.case_id.in_(case_ids)).order_by(CaseNote.id)
    ):
        notes[note.case_id].append(note)
    case_events: dict[int, list[AuditEvent]] = defaultdict(list)
    conversation_events: dict[int, list[AuditEvent]] = defaultdict(list)
    for event in session.scalars(
        sa.select(AuditEvent)
        .where(
            sa.or_(
                AuditEvent.conversation_id.in_(conversation_ids), AuditEvent.case_id.in_(case_ids)
            )
        )
        .order_by(AuditEvent.id)
    ):
        if event.case_id is not None:
            case_events[event.case_id].append(event)
        elif event.conversation_id is not None:
            conversation_events[event.conversation_id].append(event)
    folios = {case.id: case.folio for case in all_cases}
    by_conversation: dict[int, list[Message]] = defaultdict(list)
    for message in messages:
        by_conversation[message.conversation_id].append(message)

    document = [
        {
            "id": conversation.id,
            "channel": conversation.channel,
            "citizen_address": conversation.citizen_address,
            "phone": conversation.phone,
            "desk_address": conversation.desk_address,
            "profile_name": conversation.profile_name,
            "language": conversation.language,
            "opted_out": conversation.opted_out,
            "privacy_notice_sent_at": conversation.privacy_notice_sent_at,
            "last_inbound_at": conversation.last_inbound_at,
            "created_at": conversation.created_at,
            "messages": [
                _message(message, folios, files[message.id])
                for message in by_conversation[conversation.id]
            ],
            "cases": [
                _case(case, notes[case.id], case_events[case.id])
                for case in cases.get(conversation.id, [])
            ],
            "events": [_event(event) for event in conversation_events[conversation.id]],
        }
        for conversation in conversations
    ]
    return {
        "generated_at": utcnow(),
        "phone": phone,
        "conversations": document,
        "counts": {
            "conversations": len(conversations),
            "messages": len(messages),
            "cases": len(all_cases),
            "notes": sum(len(case_notes) for case_notes in notes.values()),
            "media_files": sum(len(message_files) for message_files in files.values()),
        },
    }


def as_json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, default=_iso)


def _message(message: Message, folios: dict[int, str], files: list[MediaFile]) -> dict[str, Any]:
    return {
        "id": message.id,
        "at": message.created_at,
        "direction": message.direction,
        "author": message.author,
        "body": message.body,
        "kind": message.kind,
        "status": message.status,
        "delivery_status": message.delivery_status,
        "error_code": message.error_code,
        "intent": message.intent,
        "confidence": message.confidence,
        "case": folios.get(message.case_id) if message.case_id else None,
        "media_links": message.media or [],
        "media": [_file(media_file) for media_file in files],
    }


def _file(media_file: MediaFile) -> dict[str, Any]:
    content = attachments.read(media_file)
    return {
        "position": media_file.position,
        "content_type": media_file.content_type,
        "size": media_file.size,
        "received_at": media_file.created_at,
        "stored": content is not None,
        "content_base64": base64.b64encode(content).decode() if content is not None else None,
    }


def _case(case: Case, notes: list[CaseNote], events: list[AuditEvent]) -> dict[str, Any]:
    return {
        "folio": case.folio,
        "status": case.status,
        "reason": case.reason,
        "topic": case.topic,
        "priority": case.priority,
        "tags": list(case.tags or []),
        "opened_at": case.opened_at,
        "first_response_at": case.first_response_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
        "csat_score": case.csat_score,
        "csat_answered_at": case.csat_answered_at,
        "notes": [{"at": note.created_at, "body": note.body} for note in notes],
        "timeline": [_event(event) for event in events],
    }


def _event(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at,
        "action": event.action,
        "actor": event.actor,
        "details": dict(event.details or {}),
    }


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
