"""Replies to citizens: queued here, sent by the worker through a transport."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.models import Agent, Case, Conversation, Message, PendingStatus
from desk.models import message as m
from desk.ops import metrics
from desk.services import audit, consent, queue
from desk.transports import Transport, TransportError
from desk.transports.base import SentMessage

MAX_BODY = 1600  # Twilio refuses longer bodies (error 21617)
EARLY_STATUS_KEPT = timedelta(days=1)


def enqueue(
    session: Session,
    conversation: Conversation,
    body: str,
    *,
    author: str,
    agent: Agent | None = None,
    case: Case | None = None,
    kind: str | None = None,
    content_sid: str | None = None,
    content_variables: dict[str, str] | None = None,
    claim: timedelta | None = None,
) -> Message:
    """Queue a reply in the caller's transaction; the worker sends it after commit.

    With ``content_sid`` it is a WhatsApp template and ``body`` is the text the
    citizen will read, kept for the transcript. With ``claim`` (a lease) the caller
    takes the reply as it queues it, when its conversation has nothing else queued
    (``queue.claim_queued``), and delivers it itself after the commit with
    ``deliver(..., marked=True)``; ``message.status`` says whether it did."""
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
        content_sid=content_sid,
        content_variables=content_variables,
        status=m.PENDING,
        next_attempt_at=utcnow(),
    )
    claimed = claim is not None and queue.claim_queued(session, message, lease=claim)
    session.add(message)
    if not claimed:
        queue.notify_worker(session, m.OUTBOUND)
    return message


def enqueue_notice(
    session: Session,
    conversation: Conversation,
    text: str,
    *,
    case: Case | None,
    purpose: str,
) -> Message | None:
    """A notice of the desk's own (case resolved, satisfaction question), by WhatsApp's
    rules: free text inside the 24-hour window, else the approved template for
    ``purpose``; with no template configured it is not sent (an audit event says so)."""
    from desk.models import WhatsAppTemplate
    from desk.replies.rendering import TemplateError, template_message
    from desk.replies.window import window_of

    if window_of(conversation).open:
        return enqueue(session, conversation, text, author=m.SYSTEM, case=case)
    template = session.scalars(
        sa.select(WhatsAppTemplate)
        .where(WhatsAppTemplate.purpose == purpose, WhatsAppTemplate.active.is_(True))
        .order_by((WhatsAppTemplate.language == conversation.language).desc(), WhatsAppTemplate.id)
    ).first()
    if template is not None and case is not None:
        try:
            body, variables = template_message(template, case, None)
        except TemplateError:
            template = None
        else:
            return enqueue(
                session,
                conversation,
                body,
                author=m.SYSTEM,
                case=case,
                content_sid=template.content_sid,
                content_variables=variables,
            )
    audit.record(
        session,
        "notice.not_sent",
        actor="system",
        case=case,
        conversation=conversation,
        purpose=purpose,
        why="whatsapp window closed and no template",
    )
    return None


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
    marked: bool = False,
) -> None:
    """Hand a claimed outbound message to the transport, at most once, and record what
    happened. Commits; holds no transaction while the transport works. ``marked``: the
    message was claimed as it was queued (``enqueue(..., claim=…)``), its mark committed
    with it and never tried, so it goes out at once.

    Before calling Twilio the message is marked as being sent (``sending_started_at``).
    A send whose outcome is unclear (a read timeout after the request went out, a 5xx,
    a worker that died mid-send) keeps that mark, and the next try first looks the
    message up in Twilio's list (To, From, since the attempt, same body): found, it is
    recorded as sent and never sent again; not found, it was not accepted, and only
    then is it sent anew. Raises queue.LeaseLost when another worker took it over.
    """
    now = now or utcnow()
    conversation = message.conversation
    if not consent.may_send(conversation, message.kind):
        queue.hold(session, message)
        queue.fail(message, "the citizen opted out; nothing is sent", code="opted_out")
        session.commit()
        return
    if message.sending_started_at is not None and not marked:
        try:
            found = _already_sent(session, message, transport)
        except TransportError as error:
            # Twilio cannot say now; never send blind: look again later.
            queue.hold(session, message)
            _retry_or_fail(session, message, error, now, give_up_seconds)
            session.commit()
            return
        if found is not None:
            _record_sent(session, message, found.sid, found.status or "queued")
            session.commit()
            return
    if not marked:
        queue.hold(session, message)
        message.sending_started_at = utcnow()
        session.commit()  # the mark is durable before anything leaves
    try:
        sent = transport.send(
            to=conversation.citizen_address,
            from_=conversation.desk_address,
            body=message.body,
            status_callback=status_callback,
            **_template_of(message),
        )
    except TransportError as error:
        queue.hold(session, message)
        if not error.unclear:
            message.sending_started_at = None  # certainly not accepted
        _record_failure(session, message, error, now, give_up_seconds)
    else:
        _record_sent(session, message, sent.sid, sent.status)
    session.commit()


def _template_of(message: Message) -> dict[str, object]:
    """The template arguments of a send, only when there is a template."""
    if not message.content_sid:
        return {}
    return {"content_sid": message.content_sid, "content_variables": message.content_variables}


def give_up(session: Session, message_id: int, error: BaseException) -> None:
    """An outbound message that failed in a way retrying cannot fix, or whose workers
    kept stopping mid-send: it fails where agents see it (the error's type only: its
    text may quote secrets), and the conversation's next replies go on."""
    session.rollback()
    message = session.get(Message, message_id, populate_existing=True)
    if message is None or message.status in (m.DONE, m.FAILED):
        session.rollback()
        return
    queue.fail(message, f"system error ({type(error).__name__})", code="system_error")
    audit.record(
        session,
        "message.failed",
        actor="system",
        conversation=message.conversation,
        message_id=message.id,
        error_code="system_error",
    )
    session.commit()


def _already_sent(session: Session, message: Message, transport: Transport) -> SentMessage | None:
    """The message Twilio accepted in an unclear attempt, if it did: same addresses, same
    body, created since the attempt began, and not already one of ours."""
    assert message.sending_started_at is not None
    conversation = message.conversation
    listed = transport.sent_since(
        to=conversation.citizen_address,
        from_=conversation.desk_address,
        since=message.sending_started_at,
    )
    candidates = [sent for sent in listed if sent.body == message.body]
    if not candidates:
        return None
    known = set(
        session.scalars(
            sa.select(Message.provider_sid).where(
                Message.provider_sid.in_([sent.sid for sent in candidates])
            )
        )
    )
    session.rollback()  # a read: no transaction stays open
    fresh = [sent for sent in candidates if sent.sid not in known]
    # Oldest first: the earliest accepted copy is the one this attempt created.
    return min(fresh, key=lambda sent: sent.created_at or message.sending_started_at, default=None)


def _record_sent(session: Session, message: Message, sid: str, status: str) -> None:
    """Twilio accepted the message: it is done, with its SID, if this worker still
    holds it (else queue.LeaseLost)."""
    queue.finish_held(session, message, provider_sid=sid, delivery_status=status)
    asked = message.conversation.last_inbound_at
    if asked is not None and message.author in (m.BOT, m.AGENT):
        metrics.observe_reply_latency((utcnow() - asked).total_seconds(), author=message.author)
    # Twilio may have called back before we knew the SID: apply what it said.
    early = session.scalars(
        sa.select(PendingStatus).where(PendingStatus.provider_sid == sid).order_by(PendingStatus.id)
    ).all()
    for pending in early:
        _apply(session, message, pending.status, pending.error_code, pending.error_message)
        session.delete(pending)


def _record_failure(
    session: Session,
    message: Message,
    error: TransportError,
    now: datetime,
    give_up_seconds: int,
) -> None:
    code = str(error.code) if error.code else None
    metrics.count_twilio_error(code)
    if error.opted_out:
        consent.opt_out_by_carrier(session, message.conversation, code)
        queue.fail(message, str(error), code=code)
        return
    _retry_or_fail(session, message, error, now, give_up_seconds)


def _retry_or_fail(
    session: Session, message: Message, error: TransportError, now: datetime, give_up_seconds: int
) -> None:
    code = str(error.code) if error.code else None
    if error.retryable and (now - message.created_at).total_seconds() < give_up_seconds:
        queue.retry_later(message, now, str(error), code=code)
        return
    queue.fail(message, str(error), code=code)
    audit.record(
        session,
        "message.failed",
        actor="system",
        conversation=message.conversation,
        message_id=message.id,
        error_code=code,
    )


_MESSAGES = Message.__table__
# Built once, on the table rather than the model: Twilio calls it twice for every reply.
_MOVE_STATUS = (
    sa.update(_MESSAGES)
    .where(
        _MESSAGES.c.provider_sid == sa.bindparam("sid"),
        _MESSAGES.c.direction == m.OUTBOUND,
        sa.or_(
            _MESSAGES.c.delivery_status.is_(None),
            _MESSAGES.c.delivery_status.not_in(sa.bindparam("refused", expanding=True)),
        ),
    )
    .values(
        delivery_status=sa.bindparam("new_status"),
        error_code=sa.func.coalesce(sa.bindparam("new_error_code"), _MESSAGES.c.error_code),
        error_message=sa.func.coalesce(
            sa.bindparam("new_error_message"), _MESSAGES.c.error_message
        ),
    )
    .returning(_MESSAGES.c.id, _MESSAGES.c.conversation_id, _MESSAGES.c.error_code)
)


def apply_status(session: Session, params: Mapping[str, str]) -> int | None:
    """Apply a Twilio status callback; statuses that arrive late never move a message
    back. A callback for a SID not stored yet (Twilio can be faster than the answer to
    ``messages.create``) is kept and applied when the SID is stored. Returns the id of
    the message it moved, if it moved one.

    One UPDATE whose WHERE says which statuses the new one may follow: two callbacks
    come for every reply ("sent", then "delivered"), and reading the row first, then
    writing it, made them the larger part of what the web process spent per message.
    PostgreSQL re-checks the WHERE against a row another transaction just changed, so
    "sent" landing after "delivered" still changes nothing."""
    sid = params.get("MessageSid") or params.get("SmsSid")
    status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
    if not sid or not status:
        raise ValueError("a status callback needs MessageSid and MessageStatus")
    if status not in m.DELIVERY_ORDER and status not in m.DELIVERY_FAILED:
        return None  # a status Twilio added after this code: nothing to move
    error_code = params.get("ErrorCode") or None
    error_message = params.get("ErrorMessage") or None
    moved = session.execute(
        _MOVE_STATUS,
        {
            "sid": sid,
            "new_status": status,
            "refused": _refused_after(status),
            # Twilio's words for a failure where it gives them, else what the desk knew.
            "new_error_code": error_code if status in m.DELIVERY_FAILED else None,
            "new_error_message": error_message if status in m.DELIVERY_FAILED else None,
        },
    ).first()
    if moved is not None:
        if status in m.DELIVERY_FAILED and moved.error_code == "21610":
            conversation = session.get(Conversation, moved.conversation_id)
            assert conversation is not None
            consent.opt_out_by_carrier(session, conversation, "21610")
        session.commit()
        return moved.id
    known = session.scalar(sa.select(_MESSAGES.c.id).where(_MESSAGES.c.provider_sid == sid))
    if known is not None:
        session.rollback()  # a late status: the message is past it
        return None
    # Kept for a while, for a send whose answer is still on its way; then forgotten.
    session.execute(
        sa.delete(PendingStatus).where(PendingStatus.received_at < utcnow() - EARLY_STATUS_KEPT)
    )
    session.add(
        PendingStatus(
            provider_sid=sid[:64],
            status=status,
            error_code=(error_code or "")[:16] or None,
            error_message=error_message,
        )
    )
    session.commit()
    return None


def _apply(
    session: Session,
    message: Message,
    status: str,
    error_code: str | None,
    error_message: str | None,
) -> None:
    if message.delivery_status in _refused_after(status):
        return
    message.delivery_status = status
    if status in m.DELIVERY_FAILED:
        message.error_code = error_code or message.error_code
        message.error_message = error_message or message.error_message
        if message.error_code == "21610":
            consent.opt_out_by_carrier(session, message.conversation, "21610")


def _refused_after(new: str) -> tuple[str, ...]:
    """The statuses a message may not leave for ``new``: a failure is final, no status
    moves back, and a failure reported after "delivered" or "read" does not undo them."""
    if new in m.DELIVERY_FAILED:
        return ("delivered", "read", *m.DELIVERY_FAILED)
    return (*m.DELIVERY_ORDER[m.DELIVERY_ORDER.index(new) :], *m.DELIVERY_FAILED)
