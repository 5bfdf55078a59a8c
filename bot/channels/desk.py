"""The channel the desk talks to: POST /webhooks/desk/webhook.

Unlike Rasa's REST channel it checks a token (Rasa's --auth-token does not cover
/webhooks/*), fails loudly so the desk can retry, passes text through untouched
("¡Hola!" stays "¡Hola!", which Rasa's Twilio channel turns into "@Hola!") and
returns what NLU understood, which the desk stores on the message.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

log = logging.getLogger(__name__)


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
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

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
            return response.json(
                {
                    "messages": collector.messages,
                    "intent": _understood(tracker, message_id),
                    # The desk writes its own notices in the conversation's language.
                    "language": tracker.get_slot("language") if tracker else None,
                }
            )

        return webhook

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        given = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())


def _understood(tracker: Any, message_id: str | None) -> dict[str, Any]:
    """The intent NLU gave this message, read back from the tracker."""
    if tracker is None:
        return {}
    for event in reversed(tracker.events):
        if getattr(event, "type_name", None) != "user":
            continue
        if message_id is None or event.message_id == message_id:
            intent = event.intent or {}
            return {"name": intent.get("name"), "confidence": intent.get("confidence")}
    return {}
