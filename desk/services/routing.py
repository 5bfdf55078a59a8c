"""Who answers a citizen's message: the assistant or the person working the case.

The conversation's mode decides, here and nowhere else, so the assistant never
talks over an agent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from desk.bot_client import BotClient, BotUnavailable
from desk.db import utcnow
from desk.models import Message
from desk.models import case as c
from desk.models import conversation as conv
from desk.models import message as m
from desk.services import audit, cases, outbound, queue

APOLOGY = (
    "Disculpa, en este momento no puedo responderte. Ya pasé tu mensaje a una persona "
    "del Centro de Atención al Bienestar; tu folio es {folio}. Te responderemos por aquí."
)


def route(
    session: Session,
    message: Message,
    bot: BotClient,
    *,
    give_up_seconds: int,
    now: datetime | None = None,
) -> None:
    """Route one claimed inbound message. Commits."""
    now = now or utcnow()
    conversation = message.conversation
    if conversation.mode == conv.HUMAN:
        _to_case(session, message)
        return
    session.commit()  # hold no transaction open across the calls to Rasa
    try:
        if conversation.needs_bot_resume:
            bot.resume(conversation.key)
            conversation.needs_bot_resume = False
            session.commit()
        reply = bot.send(
            conversation.key,
            message.body,
            message_id=str(message.id),
            metadata={"channel": conversation.channel, "language": conversation.language},
        )
    except BotUnavailable as error:
        if (now - message.created_at).total_seconds() >= give_up_seconds:
            _escalate(session, message, str(error))
        else:
            queue.retry_later(message, now, str(error))
            session.commit()
        return
    message.intent = reply.intent
    message.confidence = reply.confidence
    if not reply.texts:
        # Rasa answers an empty list when an action fails (it logs and carries on);
        # asking again would only repeat the turn, so a person takes it now.
        _escalate(session, message, "the assistant answered nothing")
        return
    for text in reply.texts:
        outbound.enqueue(session, conversation, text, author=m.BOT)
    queue.finish(message)
    session.commit()


def _to_case(session: Session, message: Message) -> None:
    case = cases.open_case_of(session, message.conversation)
    if case is None:
        # Human mode without an open case should not happen; never drop the message.
        case, _ = cases.open_case(
            session, message.conversation, reason=c.CITIZEN_REQUEST, actor="system"
        )
    message.case_id = case.id
    queue.finish(message)
    session.commit()


def _escalate(session: Session, message: Message, error: str) -> None:
    """The assistant stayed unavailable: a person takes over, and the citizen is told."""
    conversation = message.conversation
    case, _ = cases.open_case(session, conversation, reason=c.BOT_UNAVAILABLE, actor="system")
    session.flush()
    message.case_id = case.id
    queue.finish(message)
    message.error_message = error
    outbound.enqueue(
        session, conversation, APOLOGY.format(folio=case.folio), author=m.SYSTEM, case=case
    )
    audit.record(
        session, "message.escalated", actor="system", case=case, message_id=message.id, error=error
    )
    session.commit()
