"""Storing what citizens send: the webhook's whole job, kept small so it answers at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.models import Conversation, Message
from desk.models import message as m
from desk.models.conversation import channel_of
from desk.services.queue import notify_worker

MAX_BODY = 4096  # WhatsApp's own limit; SMS bodies arrive already joined by Twilio


class BadInbound(ValueError):
    """The webhook lacks a field every Twilio message has."""


@dataclass(frozen=True)
class Inbound:
    sid: str
    citizen_address: str
    desk_address: str
    body: str
    media: list[dict[str, str]]
    profile_name: str | None

    @classmethod
    def from_twilio(cls, form: Mapping[str, str]) -> Inbound:
        missing = [name for name in ("MessageSid", "From", "To") if not form.get(name)]
        if missing:
            raise BadInbound(f"missing {', '.join(missing)}")
        try:
            num_media = int(form.get("NumMedia") or 0)
        except ValueError:
            raise BadInbound("NumMedia is not a number") from None
        media = [
            {"url": form[f"MediaUrl{i}"], "content_type": form.get(f"MediaContentType{i}", "")}
            for i in range(num_media)
            if form.get(f"MediaUrl{i}")
        ]
        return cls(
            sid=form["MessageSid"],
            citizen_address=form["From"],
            desk_address=form["To"],
            body=(form.get("Body") or "")[:MAX_BODY],
            media=media,
            profile_name=form.get("ProfileName") or None,
        )


def receive(session: Session, inbound: Inbound) -> tuple[Message, bool]:
    """Store an inbound message once; returns (message, created). Commits."""
    existing = _by_sid(session, inbound.sid)
    if existing is not None:
        return existing, False
    now = utcnow()
    conversation = conversation_for(session, inbound.citizen_address, inbound.desk_address)
    conversation.last_inbound_at = now
    if inbound.profile_name:
        conversation.profile_name = inbound.profile_name
    message = Message(
        conversation=conversation,
        direction=m.INBOUND,
        author=m.CITIZEN,
        body=inbound.body,
        media=inbound.media,
        provider_sid=inbound.sid,
        status=m.PENDING,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    notify_worker(session)
    try:
        session.commit()
    except IntegrityError:
        # Twilio retried while the first delivery was still being stored.
        session.rollback()
        existing = _by_sid(session, inbound.sid)
        if existing is None:
            raise
        return existing, False
    return message, True


def conversation_for(session: Session, citizen_address: str, desk_address: str) -> Conversation:
    """The conversation between these two addresses, created on first contact."""
    query = sa.select(Conversation).filter_by(
        citizen_address=citizen_address, desk_address=desk_address
    )
    conversation = session.scalars(query).first()
    if conversation is not None:
        return conversation
    try:
        with session.begin_nested():
            conversation = Conversation(
                channel=channel_of(citizen_address),
                citizen_address=citizen_address,
                desk_address=desk_address,
            )
            session.add(conversation)
    except IntegrityError:
        # The citizen's first two messages arrived together; the other request won.
        conversation = session.scalars(query).one()
    return conversation


def _by_sid(session: Session, sid: str) -> Message | None:
    return session.scalars(sa.select(Message).filter_by(provider_sid=sid)).first()
