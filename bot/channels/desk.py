"""The channel the desk talks to, and the desk's only door into Rasa.

- ``POST /webhooks/desk/webhook``: a citizen's message. Unlike Rasa's REST channel it
  checks a token (Rasa's --auth-token does not cover /webhooks/*), fails loudly so the
  desk can retry, passes text through untouched ("¡Hola!" stays "¡Hola!", which Rasa's
  Twilio channel turns into "@Hola!") and returns what NLU understood (intent,
  confidence, the procedure entity, the model), which the desk stores on the message.
  A ``message_id`` already in the tracker is not run again: the answer given then is
  returned, so a desk that retries after a timeout or a crash never runs a turn twice
  (a second handoff, a second folio). The desk sends ``asked_before: false`` on a
  message's first try, which cannot have run, and the tracker is not read for it.
- ``POST /webhooks/desk/resume``: hand the conversation back to the assistant after a
  person resolved its case.
- ``POST /webhooks/desk/forget``: delete everything the tracker store keeps of a
  conversation (a citizen's erasure request). Rasa 3.6's TrackerStore has no delete,
  and saving an empty tracker erases nothing (the SQL store only appends the events it
  lacks), so the rows or keys are removed from the store itself: SQL (what Ventanilla
  deploys), Redis and in-memory. Any other store answers 501, and the desk keeps the
  conversation as still to be forgotten. Events already sent to an event broker are out
  of reach; Ventanilla configures none.

Rasa's own HTTP API (--enable-api) stays off: everything the desk needs is here,
behind the channel's token, sent in a header and never in a URL.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.tracker_store import (
    InMemoryTrackerStore,
    RedisTrackerStore,
    SQLTrackerStore,
    TrackerStore,
)
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ConversationResumed
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

log = logging.getLogger(__name__)

PROCEDURE = "procedure"  # the entity that names a trámite (bot/domain)


class WholeMessages(CollectingOutputChannel):
    """Collects each bot message whole. Rasa's collector splits texts at blank lines,
    which would turn one answer with a closing link into several phone messages;
    the desk decides how a message is cut for its channel."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text.strip()))


class DeskInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "desk"

    def __init__(self, token: str) -> None:
        self.token = token

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        token = (credentials or {}).get("token")
        if not token:
            raise ValueError("bot/credentials.yml: the desk channel needs a token (RASA_TOKEN)")
        return cls(str(token))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("desk_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            """Ready when a model is loaded (the desk's /readyz and start-up ask this)."""
            agent = request.app.ctx.agent
            if agent is None or not agent.is_ready():
                return response.json({"status": "loading", "model_id": None}, status=503)
            # Which model answers here: the desk shows it per server (issue 9).
            metadata = getattr(agent.processor, "model_metadata", None)
            return response.json({"status": "ok", "model_id": getattr(metadata, "model_id", None)})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorized(request):
                return response.json({"error": "invalid token"}, status=401)
            payload = request.json if isinstance(request.json, dict) else {}
            sender, text = payload.get("sender"), payload.get("message")
            if not isinstance(sender, str) or not sender or not isinstance(text, str):
                return response.json({"error": "sender and message are required"}, status=400)
            agent = request.app.ctx.agent
            if agent is None or not agent.is_ready():
                return response.json({"error": "no model loaded yet"}, status=503)
            message_id = str(payload.get("message_id") or "") or None
            # Only a message the desk sent before (a timeout, a crash) can have run: the
            # desk says so, and a first try skips reading the tracker, one of three reads
            # a turn made. Without the field, the tracker is read, as the safe side.
            if message_id is not None and payload.get("asked_before") is not False:
                earlier = await agent.tracker_store.retrieve(sender)
                answered = _answer_to(earlier, message_id)
                if answered is not None:
                    return response.json(_reply(earlier, message_id, answered, repeated=True))
            collector = WholeMessages()
            # Errors propagate as a 500: the desk retries, then hands the citizen to a person.
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    sender,
                    input_channel=self.name(),
                    message_id=message_id,
                    metadata=payload.get("metadata") or {},
                )
            )
            tracker = await agent.tracker_store.retrieve(sender)
            return response.json(_reply(tracker, message_id, collector.messages))

        @webhook.route("/resume", methods=["POST"])
        async def resume(request: Request) -> HTTPResponse:
            """The case is resolved: the assistant answers this conversation again."""
            if not self._authorized(request):
                return response.json({"error": "invalid token"}, status=401)
            payload = request.json if isinstance(request.json, dict) else {}
            sender = payload.get("sender")
            if not isinstance(sender, str) or not sender:
                return response.json({"error": "sender is required"}, status=400)
            agent = request.app.ctx.agent
            if agent is None or not agent.is_ready():
                return response.json({"error": "no model loaded yet"}, status=503)
            async with agent.lock_store.lock(sender):
                tracker = await agent.tracker_store.get_or_create_tracker(sender)
                if tracker.is_paused():
                    # A paused tracker never logged the action_listen that ends the
                    # handoff turn; without it Rasa's rules stop matching.
                    tracker.update(ConversationResumed())
                    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
                    await agent.tracker_store.save(tracker)
            return response.json({"status": "resumed"})

        @webhook.route("/forget", methods=["POST"])
        async def forget(request: Request) -> HTTPResponse:
            """The citizen asked to be erased: the conversation's tracker goes, all of it."""
            if not self._authorized(request):
                return response.json({"error": "invalid token"}, status=401)
            payload = request.json if isinstance(request.json, dict) else {}
            sender = payload.get("sender")
            if not isinstance(sender, str) or not sender:
                return response.json({"error": "sender is required"}, status=400)
            agent = request.app.ctx.agent
            if agent is None or agent.tracker_store is None:
                return response.json({"error": "no tracker store yet"}, status=503)
            # Under the conversation's lock, so no turn writes into it while it goes.
            async with agent.lock_store.lock(sender):
                if not _delete_tracker(agent.tracker_store, sender):
                    return response.json(
                        {"error": "this tracker store cannot delete a conversation"}, status=501
                    )
                left = await agent.tracker_store.retrieve_full_tracker(sender)
            if left is not None and left.events:
                return response.json({"error": "the tracker is still there"}, status=500)
            return response.json({"status": "forgotten"})

        return webhook

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        given = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())


def _delete_tracker(store: TrackerStore, sender: str) -> bool:
    """Remove ``sender`` from the store and from every store it wraps (Rasa wraps the
    configured one in a fail-safe store with an in-memory fallback). False when one of
    them is of a kind this channel cannot delete from."""
    names = ("_tracker_store", "_fallback_tracker_store")
    wrapped = [inner for name in names if (inner := getattr(store, name, None)) is not None]
    if wrapped:
        return all([_delete_tracker(inner, sender) for inner in wrapped])
    if isinstance(store, InMemoryTrackerStore):
        store.store.pop(sender, None)
    elif isinstance(store, SQLTrackerStore):
        with store.session_scope() as session:
            session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender).delete(
                synchronize_session=False
            )
            session.commit()
    elif isinstance(store, RedisTrackerStore):
        store.red.delete(store.key_prefix + sender)
    else:
        return False
    return True


def _reply(
    tracker: Any, message_id: str | None, messages: list[dict[str, Any]], repeated: bool = False
) -> dict[str, Any]:
    said = _said(tracker, message_id)
    return {
        "messages": messages,
        "intent": _understood(said),
        # The procedure NLU found: the trainers' inbox shows it beside the intent.
        "procedure": _procedure(said),
        # The desk writes its own notices in the conversation's language.
        "language": tracker.get_slot("language") if tracker else None,
        # After a handoff the assistant answers nothing, and that is no failure.
        "paused": bool(tracker and tracker.is_paused()),
        "repeated": repeated,
    }


def _answer_to(tracker: Any, message_id: str) -> list[dict[str, Any]] | None:
    """What the assistant said after the user event ``message_id``, if there is one."""
    if tracker is None:
        return None
    answer: list[dict[str, Any]] | None = None
    for event in tracker.events:
        kind = getattr(event, "type_name", None)
        if kind == "user":
            if answer is not None:
                break
            if event.message_id == message_id:
                answer = []
        elif kind == "bot" and answer is not None and event.text:
            answer.append({"recipient_id": tracker.sender_id, "text": event.text})
    return answer


def _said(tracker: Any, message_id: str | None) -> Any:
    """The user event of ``message_id`` (the latest one without an id), if any."""
    if tracker is None:
        return None
    for event in reversed(tracker.events):
        if getattr(event, "type_name", None) != "user":
            continue
        if message_id is None or event.message_id == message_id:
            return event
    return None


def _understood(said: Any) -> dict[str, Any]:
    """The intent NLU gave the message, read back from its user event."""
    if said is None:
        return {}
    intent = said.intent or {}
    return {
        "name": intent.get("name"),
        "confidence": intent.get("confidence"),
        # Rasa stamps every event with the model that was loaded: the review
        # inbox compares what each model understood.
        "model": (said.metadata or {}).get("model_id"),
    }


def _procedure(said: Any) -> str | None:
    """The ``procedure`` entity's value (after synonyms), the first if NLU found several."""
    for entity in (said.entities if said is not None else None) or []:
        if entity.get("entity") == PROCEDURE and entity.get("value") not in (None, ""):
            return str(entity["value"])
    return None
