"""A simulated day: citizens' conversations played through the desk's own inbound route.

Trainers learn from what the assistant misunderstood, and before real citizens write
there is nothing to review. This plays a file of conversations (data/simulation/day.yml)
as signed Twilio webhooks, one conversation after another and each message only once
the one before it was handled, so the worker, the assistant and the review inbox see
what a real day would bring them.

The webhooks go to ``/channels/twilio/inbound`` through the app in this process (Flask's
test client), signed with the desk's token as the browser phone signs them: the real
route checks and stores them, and the running worker answers them. Nothing here writes
to the queue; it only reads, in short transactions (on SQLite a transaction holds the
write lock, and the worker needs it).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from flask import current_app
from sqlalchemy.orm import Session

from desk.channels import signature
from desk.db import utcnow
from desk.models import Case, Conversation, Message
from desk.models import message as m
from desk.ops import heartbeat
from desk.simulator.routes import DESK_NUMBER, PHONE_RE
from desk.training import inbox, scrub

DEFAULT_FILE = Path("data/simulation/day.yml")
CHANNELS = ("whatsapp", "sms")
MAX_MESSAGES = 3
POLL_SECONDS = 0.2
INBOUND_PATH = "/channels/twilio/inbound"

ANSWERED = "answered"  # the assistant replied
TO_PERSON = "to_person"  # filed with a case, or failed to one: a person answers
QUIET = "quiet"  # handled, and no reply was due (a rating, a consent word)
NO_REPLY = "no_reply"  # not handled within the timeout, or not waited for


class DayFileError(ValueError):
    """The day's file does not say what a simulated day needs."""


class Refused(RuntimeError):
    """The inbound route did not take a simulated message."""


@dataclass(frozen=True)
class CitizenConversation:
    """One citizen's conversation: ``intent`` is what the first message means."""

    channel: str
    phone: str
    intent: str
    messages: tuple[str, ...]
    name: str | None = None  # the WhatsApp profile name
    personal_data: tuple[str, ...] = ()  # what the review scrubber must find

    @property
    def citizen_address(self) -> str:
        return self._prefix + self.phone

    @property
    def desk_address(self) -> str:
        return self._prefix + DESK_NUMBER

    @property
    def _prefix(self) -> str:
        return "whatsapp:" if self.channel == "whatsapp" else ""


@dataclass
class Summary:
    conversations: int = 0
    messages: int = 0
    answered: int = 0
    no_reply: int = 0
    to_person: int = 0  # messages a person answers instead of the assistant
    quiet: int = 0
    handed_over: int = 0  # conversations that got a case during the day
    waiting_review: int = 0  # everything in the review inbox now
    waiting_from_day: int = 0  # of which from messages of this run
    outcomes: list[str] = field(default_factory=list)


def load(path: Path) -> list[CitizenConversation]:
    """The conversations of a day's file, checked; DayFileError says what is wrong where."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise DayFileError(f"{path}: {error}") from error
    entries = document.get("conversations") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise DayFileError(f"{path}: expected a non-empty list under 'conversations'")
    return [_conversation(entry, f"{path}: conversation {n}") for n, entry in enumerate(entries, 1)]


def worker_is_running(session: Session, max_age_seconds: float) -> bool:
    """Whether a worker beat recently: without one nothing answers the day."""
    age = heartbeat.age(session)
    return age is not None and age <= timedelta(seconds=max_age_seconds)


def play(
    conversations: list[CitizenConversation],
    *,
    timeout: float,
    pace: float = 0.0,
    on_conversation: Callable[[int, CitizenConversation, list[str]], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Summary:
    """Post every message and wait up to ``timeout`` seconds for each to be handled
    (0: post without waiting); ``pace`` seconds pass between conversations."""
    started = utcnow()
    summary = Summary()
    client = current_app.test_client()
    for number, conversation in enumerate(conversations, 1):
        if number > 1 and pace > 0:
            sleep(pace)
        outcomes = []
        for body in conversation.messages:
            sid = _post(client, conversation, body)
            outcomes.append(_wait_for_handling(sid, timeout, sleep) if timeout > 0 else NO_REPLY)
        summary.conversations += 1
        summary.messages += len(outcomes)
        summary.outcomes.extend(outcomes)
        if on_conversation:
            on_conversation(number, conversation, outcomes)
    summary.answered = summary.outcomes.count(ANSWERED)
    summary.to_person = summary.outcomes.count(TO_PERSON)
    summary.quiet = summary.outcomes.count(QUIET)
    summary.no_reply = summary.outcomes.count(NO_REPLY)
    with _reading() as session:
        below = float(current_app.config["REVIEW_CONFIDENCE_BELOW"])
        summary.handed_over = _handed_over(session, conversations, started)
        summary.waiting_review = inbox.count_waiting(session, below)
        summary.waiting_from_day = inbox.count_waiting(session, below, since=started)
    return summary


def webhook(conversation: CitizenConversation, body: str) -> dict[str, str]:
    """The form Twilio posts for one message, as the browser phone builds it."""
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": "AC" + "0" * 32,
        "From": conversation.citizen_address,
        "To": conversation.desk_address,
        "Body": body,
        "NumMedia": "0",
    }
    if conversation.channel == "whatsapp":
        params |= {
            "ProfileName": conversation.name or "Simulador",
            "WaId": conversation.phone.lstrip("+"),
        }
    return params


def _post(client: Any, conversation: CitizenConversation, body: str) -> str:
    params = webhook(conversation, body)
    signed = signature.sign(signature.public_url_for(INBOUND_PATH), params)
    response = client.post(INBOUND_PATH, data=params, headers={signature.HEADER: signed})
    if response.status_code != 200:
        raise Refused(
            f"the desk refused a message from {conversation.phone} ({response.status_code}): "
            f"{response.get_data(as_text=True)[:200]}"
        )
    return params["MessageSid"]


def _wait_for_handling(sid: str, timeout: float, sleep: Callable[[float], None]) -> str:
    """Poll until the worker has handled the message, then say who answers it."""
    deadline = time.monotonic() + timeout
    while True:
        with _reading() as session:
            message = session.scalars(sa.select(Message).filter_by(provider_sid=sid)).first()
            if message is not None and message.status in (m.DONE, m.FAILED):
                return _outcome(session, message)
        if time.monotonic() >= deadline:
            return NO_REPLY
        sleep(POLL_SECONDS)


def _outcome(session: Session, message: Message) -> str:
    replied = session.scalar(
        sa.select(sa.func.count(Message.id)).where(
            Message.conversation_id == message.conversation_id,
            Message.id > message.id,
            Message.direction == m.OUTBOUND,
            Message.author == m.BOT,
        )
    )
    if replied:
        return ANSWERED
    return TO_PERSON if message.case_id is not None or message.status == m.FAILED else QUIET


def _handed_over(
    session: Session, conversations: list[CitizenConversation], started: datetime
) -> int:
    addresses = {(c.citizen_address, c.desk_address) for c in conversations}
    opened = session.execute(
        sa.select(Conversation.citizen_address, Conversation.desk_address)
        .join(Case, Case.conversation_id == Conversation.id)
        .where(Case.opened_at >= started)
        .distinct()
    )
    return sum(1 for row in opened if tuple(row) in addresses)


@contextmanager
def _reading() -> Iterator[Session]:
    """A session of its own for a few reads, closed (its transaction ended) at once."""
    session: Session = current_app.extensions["desk.db"]()
    try:
        yield session
    finally:
        session.close()


def _conversation(entry: object, where: str) -> CitizenConversation:
    if not isinstance(entry, dict):
        raise DayFileError(f"{where}: expected a mapping")
    unknown = set(entry) - {"channel", "phone", "intent", "messages", "name", "personal_data"}
    if unknown:
        raise DayFileError(f"{where}: unknown keys {sorted(unknown)}")
    channel, phone, intent = entry.get("channel"), entry.get("phone"), entry.get("intent")
    messages, name = entry.get("messages"), entry.get("name")
    personal_data = entry.get("personal_data") or []
    if channel not in CHANNELS:
        raise DayFileError(f"{where}: channel must be one of {CHANNELS}, not {channel!r}")
    if not isinstance(phone, str) or not PHONE_RE.match(phone):
        raise DayFileError(f"{where}: phone must be an E.164 string like +5215500000001")
    if not isinstance(intent, str) or not intent:
        raise DayFileError(f"{where}: intent (what the first message means) is missing")
    if (
        not isinstance(messages, list)
        or not 1 <= len(messages) <= MAX_MESSAGES
        or not all(isinstance(text, str) and text.strip() for text in messages)
    ):
        raise DayFileError(f"{where}: messages must be 1 to {MAX_MESSAGES} non-empty texts")
    if name is not None and not (isinstance(name, str) and name.strip()):
        raise DayFileError(f"{where}: name, when given, must be a non-empty text")
    kinds_known = isinstance(personal_data, list) and all(k in scrub.KINDS for k in personal_data)
    if not kinds_known:
        raise DayFileError(f"{where}: personal_data must list kinds from {scrub.KINDS}")
    return CitizenConversation(
        channel=channel,
        phone=phone,
        intent=intent,
        messages=tuple(messages),
        name=name,
        personal_data=tuple(personal_data),
    )
