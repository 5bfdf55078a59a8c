"""Replies to citizens: queued here, sent by the worker through a transport."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.models import Agent, Case, Conversation, Message
from desk.models import message as m
from desk.services import audit, queue
from desk.transports import Transport, TransportError

MAX_BODY = 1600  # Twilio refuses longer bodies (error 21617)


def enqueue(
    session: Session,
    conversation: Conversation,
    body: str,
    *,
    author: str,
    agent: Agent | None = None,
    case: Case | None = None,
    kind: str | None = None,
) -> Message:
    """Queue a reply in the caller's transaction; the worker sends it after commit."""
    if not body.strip():
        raise ValueError("a reply needs text")
    if len(body) > MAX_BODY:
        raise ValueError(f"a reply has at most {MAX_BODY} characters; this one has {len(body)}")
    message = Message(
        conversation=conversation,
        direction=m.OUTBOUND,
        author=author,
        agent=agent,
        case_id=case.id if case else None,
        body=body,
        kind=kind,
        status=m.PENDING,
        next_attempt_at=utcnow(),
    )
    session.add(message)
    queue.notify_worker(session)
    return message


def split_body(text: str, limit: int = MAX_BODY) -> list[str]:
    """Pieces of at most ``limit`` characters, cut between paragraphs, else lines, else words."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    for separator in ("\n\n", "\n", " "):
        pieces = text.split(separator)
        if len(pieces) > 1:
            break
    else:
        return [text[:limit], *split_body(text[limit:], limit)]
    parts: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{separator}{piece}" if current else piece
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        if len(piece) <= limit:
            current = piece
        else:
            *whole, current = split_body(piece, limit)
            parts.extend(whole)
    if current:
        parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def deliver(
    session: Session,
    message: Message,
    transport: Transport,
    *,
    status_callback: str | None,
    give_up_seconds: int,
    now: datetime | None = None,
) -> None:
    """Hand a claimed outbound message to the transport and record what happened. Commits."""
    now = now or utcnow()
    conversation = message.conversation
    if conversation.opted_out and message.kind != m.CONSENT_NOTICE:
        queue.fail(message, "the citizen opted out; nothing is sent", code="opted_out")
        session.commit()
        return
    try:
        sent = transport.send(
            to=conversation.citizen_address,
            from_=conversation.desk_address,
            body=message.body,
            status_callback=status_callback,
        )
    except TransportError as error:
        _record_failure(session, message, error, now, give_up_seconds)
    else:
        message.provider_sid = sent.sid
        message.delivery_status = sent.status
        queue.finish(message)
    session.commit()


def _record_failure(
    session: Session,
    message: Message,
    error: TransportError,
    now: datetime,
    give_up_seconds: int,
) -> None:
    code = str(error.code) if error.code else None
    if error.opted_out:
        message.conversation.opted_out = True
        queue.fail(message, str(error), code=code)
        audit.record(
            session,
            "conversation.opted_out",
            actor="system",
            conversation=message.conversation,
            error_code=code,
        )
    elif error.retryable and (now - message.created_at).total_seconds() < give_up_seconds:
        queue.retry_later(message, now, str(error), code=code)
    else:
        queue.fail(message, str(error), code=code)
        audit.record(
            session,
            "message.failed",
            actor="system",
            conversation=message.conversation,
            message_id=message.id,
            error_code=code,
        )


def apply_status(session: Session, params: Mapping[str, str]) -> Message | None:
    """Apply a Twilio status callback; statuses that arrive late never move a message back."""
    sid = params.get("MessageSid") or params.get("SmsSid")
    status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
    if not sid or not status:
        raise ValueError("a status callback needs MessageSid and MessageStatus")
    message = session.scalars(sa.select(Message).filter_by(provider_sid=sid)).first()
    if message is None:
        return None
    if _moves_forward(message.delivery_status, status):
        message.delivery_status = status
        if status in m.DELIVERY_FAILED:
            message.error_code = params.get("ErrorCode") or message.error_code
            message.error_message = params.get("ErrorMessage") or message.error_message
            if message.error_code == "21610":
                message.conversation.opted_out = True
    session.commit()
    return message


def _moves_forward(current: str | None, new: str) -> bool:
    order = m.DELIVERY_ORDER
    if current in m.DELIVERY_FAILED:
        return False
    if new in m.DELIVERY_FAILED:
        return current not in ("delivered", "read")
    if new not in order:
        return False
    return current not in order or order.index(new) > order.index(current)
