"""Who answers a citizen's message: the assistant or the person working the case.

The conversation's mode decides, here and nowhere else, so the assistant never
talks over an agent. Consent keywords (BAJA/STOP, ALTA/START) come first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from desk.bot_client import BotClient, BotUnavailable
from desk.db import utcnow
from desk.models import Conversation, Message
from desk.models import case as c
from desk.models import conversation as conv
from desk.models import message as m
from desk.ops import metrics
from desk.services import audit, cases, consent, outbound, queue

LANGUAGES = ("es", "en")
APOLOGY = {
    "es": "Disculpa, en este momento no puedo responderte. Ya pasé tu mensaje a una persona "
    "del Centro de Atención al Bienestar; tu folio es {folio}. Te responderemos por aquí.",
    "en": "Sorry, I cannot answer right now. I passed your message to a person at the "
    "Centro de Atención al Bienestar; your case number is {folio}. We will reply here.",
}
PRIVACY_NOTICE = {
    "es": "Aviso de privacidad: guardamos tu número y tus mensajes solo para atenderte. "
    "Detalles: {url} · Para no recibir más mensajes, escribe BAJA.",
    "en": "Privacy notice: we keep your number and messages only to help you. "
    "Details: {url} · To stop getting messages, write STOP.",
}


def route(
    session: Session,
    message: Message,
    bot: BotClient,
    *,
    give_up_seconds: int,
    privacy_url: str,
    now: datetime | None = None,
    hand_over: timedelta | None = None,
    held: bool = False,
) -> Message | None:
    """Route one claimed inbound message. Commits; holds no transaction while Rasa
    works. Raises queue.LeaseLost when another worker took the message over.

    With ``hand_over`` (a lease), an answer that is one message is claimed as it is
    queued and returned, for the caller to deliver at once
    (``outbound.deliver(..., marked=True)``): the citizen's reply skips the queue's
    wake-up and two transactions. Otherwise it is queued and None is returned.

    ``held``: the message comes in the transaction that claimed it
    (``queue.claim(..., keep_open=True)``), so it is already held."""
    now = now or utcnow()
    conversation = message.conversation
    if not held:
        queue.hold(session, message)
    word = consent.change(conversation, message.body)
    if word is not None:
        consent.apply(session, conversation, word)
        _keep_in_case(session, message)
        return
    # A message Rasa may already have taken (the call timed out, the worker died) is
    # asked again whatever the mode says: its own turn may have handed the conversation
    # to a person, and the answer with the folio is still owed to the citizen.
    asked_before = message.sending_started_at is not None
    if conversation.opted_out:
        # Stored (and shown to agents) but never answered until ALTA.
        _keep_in_case(session, message)
        return
    if not asked_before:
        # A rating after a resolution, a reply soon after one (the case reopens), or a
        # message on an active case: people's, never the assistant's.
        taken = cases.take_citizen_message(session, message, now=now)
        if taken == "csat":
            queue.finish(message)
            session.commit()
            return
        if taken == "case" or conversation.mode == conv.HUMAN:
            _keep_in_case(session, message, open_if_missing=True)
            return
    resume = conversation.needs_bot_resume and not asked_before
    message.sending_started_at = now
    session.commit()  # hold no transaction open across the calls to Rasa
    try:
        if resume:
            bot.resume(conversation.key)
        reply = bot.send(
            conversation.key,
            message.body,
            message_id=str(message.id),
            metadata={"channel": conversation.channel, "language": conversation.language},
            asked_before=asked_before,
        )
    except BotUnavailable as error:
        queue.hold(session, message)
        if resume:
            # The resume may have gone through: asking again is harmless.
            conversation.needs_bot_resume = True
        if (now - message.created_at).total_seconds() >= give_up_seconds:
            _escalate(session, message, str(error), reason=c.BOT_UNAVAILABLE)
        else:
            queue.retry_later(message, now, str(error))
            session.commit()
        return
    understood = {
        "intent": reply.intent,
        "confidence": reply.confidence,
        "model_id": reply.model_id,
        "procedure": reply.procedure,
    }
    if reply.texts:
        # The commonest ending: the lease checked and the message finished in one
        # statement, in the transaction that queues the answer.
        queue.finish_held(session, message, **understood)
    else:
        queue.hold(session, message)
        message.sending_started_at = None
        for name, value in understood.items():
            setattr(message, name, value)
    if resume:
        conversation.needs_bot_resume = False
    if reply.intent == "nlu_fallback":
        metrics.count_assistant_fallback()
    if reply.language in LANGUAGES:
        conversation.language = reply.language
    if not reply.texts and reply.paused:
        # The assistant handed the conversation to a person and has nothing to say.
        _keep_in_case(session, message, open_if_missing=True)
        return
    if not reply.texts:
        # Rasa answers an empty list when an action fails (it logs and carries on);
        # asking again would only repeat the turn, so a person takes it now.
        _escalate(session, message, "the assistant answered nothing", reason=c.SYSTEM_ERROR)
        return
    answer = _answer(session, conversation, reply.texts, privacy_url, now, hand_over)
    session.commit()
    return answer if answer is not None and answer.status == m.PROCESSING else None


def poison(session: Session, message_id: int, error: BaseException) -> None:
    """A message that failed in a way retrying cannot fix (a bug, a malformed answer),
    or kept its worker from finishing it too often: it fails, a person takes the
    conversation with a folio, and later messages of the conversation flow on.
    What agents see names the error's type only: its text may quote secrets."""
    session.rollback()
    message = session.get(Message, message_id, populate_existing=True)
    if message is None or message.status in (m.DONE, m.FAILED):
        session.rollback()
        return
    _escalate(session, message, f"system error ({type(error).__name__})", reason=c.SYSTEM_ERROR)


def _keep_in_case(session: Session, message: Message, *, open_if_missing: bool = False) -> None:
    """File the message with the active case, if there is one, and finish it."""
    case = cases.active_case_of(session, message.conversation)
    if case is None and open_if_missing:
        # Human mode without an open case should not happen; never drop the message.
        case, _ = cases.open_case(
            session, message.conversation, reason=c.CITIZEN_REQUEST, actor="system"
        )
    if case is not None:
        message.case_id = case.id
    queue.finish(message)
    session.commit()


def _answer(
    session: Session,
    conversation: Conversation,
    texts: list[str],
    url: str,
    now: datetime,
    hand_over: timedelta | None = None,
) -> Message | None:
    """Queue one turn's answer as one message where Twilio allows (1,600 characters):
    separate messages may reach the phone in any order, one message arrives whole.

    The privacy notice, owed once per conversation, closes the first answer on WhatsApp:
    it never delays or replaces it, and it costs no message of its own when it fits. On
    SMS it goes alone: an answer there is kept within three segments (actions/answers.py),
    and the notice would double it. Returns the answer when it is one message, claimed
    as it was queued if ``hand_over`` allowed."""
    parts = outbound.split_body("\n\n".join(text.strip() for text in texts))
    notice = None
    if conversation.privacy_notice_sent_at is None:
        conversation.privacy_notice_sent_at = now
        notice = PRIVACY_NOTICE[_language(conversation)].format(url=url)
        fits = parts and len(parts[-1]) + 2 + len(notice) <= outbound.MAX_BODY
        if fits and conversation.channel == "whatsapp":
            parts[-1] = f"{parts[-1]}\n\n{notice}"
            notice = None
    if len(parts) == 1 and notice is None:
        return outbound.enqueue(session, conversation, parts[0], author=m.BOT, claim=hand_over)
    for part in parts:
        outbound.enqueue(session, conversation, part, author=m.BOT)
    if notice is not None:
        outbound.enqueue(session, conversation, notice, author=m.SYSTEM, kind=m.PRIVACY_NOTICE)
    return None


def _escalate(session: Session, message: Message, error: str, *, reason: str) -> None:
    """The assistant cannot answer this message: a person takes over, and the citizen
    is told, with the folio. The message fails (agents see why); the next ones flow."""
    conversation = message.conversation
    case, _ = cases.open_case(session, conversation, reason=reason, actor="system")
    session.flush()
    message.case_id = case.id
    queue.fail(message, error, code=reason)
    outbound.enqueue(
        session,
        conversation,
        APOLOGY[_language(conversation)].format(folio=case.folio),
        author=m.SYSTEM,
        case=case,
    )
    audit.record(
        session, "message.escalated", actor="system", case=case, message_id=message.id, error=error
    )
    session.commit()


def _language(conversation: Conversation) -> str:
    return conversation.language if conversation.language in LANGUAGES else "es"
