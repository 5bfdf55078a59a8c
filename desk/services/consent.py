"""BAJA / STOP and ALTA / START: the citizen decides whether we may write to them.

Handled by the desk, before any routing, so no assistant content ever answers an
opt-out keyword (Twilio's advice) and the choice is recorded where agents see it.
The choice is the person's, not the channel's: a BAJA on WhatsApp also silences SMS
to the same number, and a conversation that starts later inherits it. Whether a
message may go is decided when it is sent, so anything queued before a BAJA (an
answer, a "welcome back") is dropped.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from sqlalchemy.orm import Session

from desk.models import Conversation
from desk.models import message as m
from desk.services import audit, outbound

# Twilio's default keywords on long codes; on SMS Twilio answers them itself.
TWILIO_OPT_OUT = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
TWILIO_OPT_IN = {"start", "unstop", "yes"}
OPT_OUT = TWILIO_OPT_OUT | {"baja", "alto", "darme de baja", "dar de baja"}
OPT_IN = TWILIO_OPT_IN | {"alta", "darme de alta"}

NOTICES = {
    ("out", "es"): "Listo, ya no recibirás mensajes del asistente. Si cambias de opinión, "
    "escribe ALTA.",
    ("out", "en"): "Done: you will get no more messages from the assistant. To undo it, "
    "write START.",
    ("in", "es"): "¡Bienvenido de vuelta! Ya puedes escribirme de nuevo. Para darte de baja, "
    "escribe BAJA.",
    ("in", "en"): "Welcome back! You can write to me again. To opt out, write STOP.",
}


def change(conversation: Conversation, body: str) -> str | None:
    """The consent keyword this whole message is, if it changes anything.

    Opt-in words count only for an opted-out citizen: to everyone else "yes" is a yes.
    """
    word = _normalize(body)
    if word in OPT_OUT or (word in OPT_IN and conversation.opted_out):
        return word
    return None


def apply(session: Session, conversation: Conversation, word: str) -> None:
    """Record the citizen's choice and confirm it once (in the caller's transaction)."""
    opting_out = word in OPT_OUT
    if opting_out == conversation.opted_out:
        return  # a second BAJA: already recorded and confirmed
    _set_for_person(session, conversation, opting_out)
    audit.record(
        session,
        "conversation.opted_out" if opting_out else "conversation.opted_in",
        actor="citizen",
        conversation=conversation,
        keyword=word,
    )
    if conversation.channel == "sms" and word in TWILIO_OPT_OUT | TWILIO_OPT_IN:
        return  # Twilio already confirmed it; a second confirmation would be noise
    language = conversation.language if conversation.language in ("es", "en") else "es"
    outbound.enqueue(
        session,
        conversation,
        NOTICES[("out" if opting_out else "in", language)],
        author=m.SYSTEM,
        kind=m.CONSENT_NOTICE if opting_out else m.WELCOME_BACK_NOTICE,
    )


def may_send(conversation: Conversation, kind: str | None) -> bool:
    """Decided at sending time: an opted-out citizen gets only the BAJA confirmation,
    and a BAJA confirmation made stale by a later ALTA is not sent either."""
    if conversation.opted_out:
        return kind == m.CONSENT_NOTICE
    return kind != m.CONSENT_NOTICE


def opt_out_by_carrier(session: Session, conversation: Conversation, code: str | None) -> None:
    """Twilio says the number opted out (21610: STOP sent to the carrier)."""
    _set_for_person(session, conversation, True)
    audit.record(
        session,
        "conversation.opted_out",
        actor="system",
        conversation=conversation,
        error_code=code,
    )


def _set_for_person(session: Session, conversation: Conversation, opted_out: bool) -> None:
    conversation.opted_out = opted_out
    if conversation.phone:
        session.execute(
            sa.update(Conversation)
            .where(Conversation.phone == conversation.phone)
            .values(opted_out=opted_out)
            .execution_options(synchronize_session="fetch")
        )


def _normalize(body: str) -> str:
    text = unicodedata.normalize("NFKD", body.strip().lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.strip(" .!¡?¿,;:").split())
