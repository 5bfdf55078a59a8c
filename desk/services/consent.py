"""BAJA / STOP and ALTA / START: the citizen decides whether we may write to them.

Handled by the desk, before any routing, so no assistant content ever answers an
opt-out keyword (Twilio's advice) and the choice is recorded where agents see it.
"""

from __future__ import annotations

import unicodedata

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
    conversation.opted_out = opting_out
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
        kind=m.CONSENT_NOTICE,
    )


def _normalize(body: str) -> str:
    text = unicodedata.normalize("NFKD", body.strip().lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.strip(" .!¡?¿,;:").split())
