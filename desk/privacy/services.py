"""A citizen's privacy request: what is stored about a number, handed over (export) or
erased. Each function says whether it commits.

Erasure is one desk transaction. The assistant's memory of the conversations (the Rasa
trackers) is forgotten afterwards: every erased conversation is first recorded as
``privacy.tracker_pending`` in that transaction, and gets ``privacy.tracker_forgotten``
once Rasa confirms, so an unreachable Rasa leaves a record to retry from
(``forget_pending``), never a conversation nobody remembers to forget.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from desk.bot_client import BotClient, BotUnavailable
from desk.models import Agent, AuditEvent, Case, CaseNote, Conversation, Message
from desk.models import message as m
from desk.privacy import attachments, phones
from desk.privacy.report import export_of
from desk.services import audit, queue

EXPORTED = "privacy.exported"
ERASED = "privacy.erased"
TRACKER_PENDING = "privacy.tracker_pending"
TRACKER_FORGOTTEN = "privacy.tracker_forgotten"
ERASED_MARK = "[borrado]"
# Audit details that never hold a citizen's words or number: codes, scores, the case's
# topic and tags (kept: they describe the procedure, not the person) and staff names.
SAFE_DETAILS = frozenset(
    {
        "reason",
        "topic",
        "old",
        "new",
        "score",
        "purpose",
        "why",
        "error_code",
        "keyword",
        "template",
        "team",
        "assignee",
        "previous",
    }
)


class NothingStored(LookupError):
    """No conversation has this number."""


class ActiveCases(ValueError):
    """People are still answering this citizen: resolve those cases before erasing."""

    def __init__(self, folios: list[str]) -> None:
        super().__init__(", ".join(folios))
        self.folios = folios


class Forgetter(Protocol):
    """The assistant's side of an erasure (desk.bot_client.BotClient)."""

    def forget(self, sender: str) -> None: ...


@dataclass
class Found:
    """What the desk holds about a number: shown to the supervisor before acting."""

    phone: str
    conversations: list[Conversation]
    message_counts: dict[int, int]
    cases: dict[int, list[Case]]

    @property
    def active_cases(self) -> list[Case]:
        return [case for cases in self.cases.values() for case in cases if case.is_active]


@dataclass
class Erasure:
    """What an erasure removed, and whether the assistant forgot it too."""

    conversations: int = 0
    messages: int = 0
    notes: int = 0
    media_files: int = 0
    bytes: int = 0
    audit_events: int = 0
    trackers_forgotten: int = 0
    trackers_pending: int = 0


def bot_for(config: Mapping[str, Any]) -> Forgetter:
    """The assistant's client, to forget erased conversations (tests put a stand-in here)."""
    return BotClient(
        config["RASA_URL"], config["RASA_TOKEN"], timeout=config["RASA_TIMEOUT_SECONDS"]
    )


def find(session: Session, phone: str) -> Found:
    """Every conversation of this number, on any channel and with or without the 1 of
    Mexican mobiles. Reads only."""
    numbers = phones.variants(phone)
    addresses = numbers + ["whatsapp:" + number for number in numbers]
    conversations = list(
        session.scalars(
            sa.select(Conversation)
            .where(
                sa.or_(Conversation.phone.in_(numbers), Conversation.citizen_address.in_(addresses))
            )
            .order_by(Conversation.id)
        )
    )
    ids = [conversation.id for conversation in conversations]
    counts = dict(
        session.execute(
            sa.select(Message.conversation_id, sa.func.count())
            .where(Message.conversation_id.in_(ids))
            .group_by(Message.conversation_id)
        ).all()
    )
    cases: dict[int, list[Case]] = {conversation_id: [] for conversation_id in ids}
    for case in session.scalars(
        sa.select(Case).where(Case.conversation_id.in_(ids)).order_by(Case.id)
    ):
        cases[case.conversation_id].append(case)
    return Found(phone=phone, conversations=conversations, message_counts=counts, cases=cases)


def export(
    session: Session, found: Found, *, agent: Agent, secret: str, shape: str
) -> dict[str, Any]:
    """Everything stored about the number (desk.privacy.report). Records who exported
    it, without personal data, and commits."""
    if not found.conversations:
        raise NothingStored(found.phone)
    data = export_of(session, found.phone, found.conversations, found.cases)
    audit.record(
        session,
        EXPORTED,
        actor="agent",
        agent=agent,
        supervisor=agent.id,
        phone_hash=phones.digest(found.phone, secret),
        shape=shape,
        **data["counts"],
    )
    session.commit()
    return data


def erase(session: Session, found: Found, *, agent: Agent, secret: str, bot: Forgetter) -> Erasure:
    """Erase what identifies the citizen behind ``found``, in one transaction (commits
    once, or rolls back and raises), then ask the assistant to forget each conversation."""
    if not found.conversations:
        raise NothingStored(found.phone)
    if found.active_cases:
        raise ActiveCases([case.folio for case in found.active_cases])
    try:
        erasure = _erase_stored(session, found)
        audit.record(
            session,
            ERASED,
            actor="agent",
            agent=agent,
            supervisor=agent.id,
            phone_hash=phones.digest(found.phone, secret),
            conversation_ids=[conversation.id for conversation in found.conversations],
            **{k: v for k, v in asdict(erasure).items() if not k.startswith("trackers")},
        )
        for conversation in found.conversations:
            audit.record(session, TRACKER_PENDING, actor="system", conversation=conversation)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    erasure.trackers_forgotten, erasure.trackers_pending = forget_trackers(
        session, found.conversations, bot
    )
    return erasure


def forget_trackers(
    session: Session, conversations: list[Conversation], bot: Forgetter
) -> tuple[int, int]:
    """Ask the assistant to forget each conversation; (forgotten, still pending).
    Commits each confirmation. Stops at the first failure: Rasa is down, and each
    further call would only wait for its timeout."""
    forgotten = 0
    for conversation in conversations:
        try:
            bot.forget(conversation.key)
        except BotUnavailable:
            break
        audit.record(session, TRACKER_FORGOTTEN, actor="system", conversation=conversation)
        session.commit()
        forgotten += 1
    return forgotten, len(conversations) - forgotten


def pending_trackers(session: Session) -> list[Conversation]:
    """Erased conversations whose Rasa tracker is still to be forgotten."""
    forgotten = sa.select(AuditEvent.conversation_id).where(
        AuditEvent.action == TRACKER_FORGOTTEN, AuditEvent.conversation_id.is_not(None)
    )
    pending = sa.select(AuditEvent.conversation_id).where(AuditEvent.action == TRACKER_PENDING)
    return list(
        session.scalars(
            sa.select(Conversation)
            .where(Conversation.id.in_(pending), Conversation.id.not_in(forgotten))
            .order_by(Conversation.id)
        )
    )


def forget_pending(session: Session, bot: Forgetter) -> tuple[int, int]:
    """Retry the trackers an earlier erasure could not reach. Commits each one."""
    return forget_trackers(session, pending_trackers(session), bot)


def blank(message: Message) -> None:
    """A message's words go; who wrote it, when, and how it was delivered stay. Its
    files go with ``attachments.erase``."""
    message.body = ""
    message.content_variables = None
    message.error_message = None  # Twilio's texts can quote the number


def _erase_stored(session: Session, found: Found) -> Erasure:
    """The desk's side of an erasure, in the caller's transaction."""
    conversation_ids = [conversation.id for conversation in found.conversations]
    case_ids = [case.id for cases in found.cases.values() for case in cases]
    messages = list(
        session.scalars(sa.select(Message).where(Message.conversation_id.in_(conversation_ids)))
    )
    for message in messages:
        if message.status in (m.PENDING, m.PROCESSING):
            # Nothing more goes to Rasa or to the citizen from this conversation.
            queue.fail(message, "erased at the citizen's request", code="erased")
        blank(message)
    for conversation in found.conversations:
        # Unique and random: nothing links it back to the number, or to the other
        # conversations of the same person.
        token = "erased:" + secrets.token_hex(12)
        conversation.citizen_address = token
        conversation.phone = token
        conversation.profile_name = None
        conversation.needs_bot_resume = False
    notes = session.execute(sa.delete(CaseNote).where(CaseNote.case_id.in_(case_ids))).rowcount
    scrubbed = _scrub_audit(session, conversation_ids, case_ids)
    files = attachments.stored_files(session, [message.id for message in messages])
    erasure = Erasure(
        conversations=len(found.conversations),
        messages=len(messages),
        notes=notes,
        media_files=len(files),
        bytes=sum(media_file.size or 0 for media_file in files),
        audit_events=scrubbed,
    )
    session.flush()  # every database change is in before a file is deleted
    attachments.erase(session, messages, files)
    return erasure


def _scrub_audit(session: Session, conversation_ids: list[int], case_ids: list[int]) -> int:
    """Details of these conversations' events that could hold personal data become
    ERASED_MARK; numbers and SAFE_DETAILS stay. Returns how many events changed."""
    events = session.scalars(
        sa.select(AuditEvent).where(
            sa.or_(
                AuditEvent.conversation_id.in_(conversation_ids),
                AuditEvent.case_id.in_(case_ids),
            )
        )
    )
    changed = 0
    for event in events:
        details = event.details or {}
        cleaned = {key: _scrubbed(key, value) for key, value in details.items()}
        if cleaned != details:
            event.details = cleaned
            changed += 1
    return changed


def _scrubbed(key: str, value: Any) -> Any:
    if key in SAFE_DETAILS or value is None or isinstance(value, bool | int | float):
        return value
    return ERASED_MARK
