"""The desk's only door to the Rasa server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests


class BotUnavailable(Exception):
    """The assistant could not be reached or did not answer properly; try again later."""


@dataclass(frozen=True)
class BotReply:
    texts: list[str]
    intent: str | None = None
    confidence: float | None = None
    language: str | None = None  # the assistant's language slot after this turn
    raw: list[dict[str, Any]] = field(default_factory=list)


class BotClient:
    """Talks to the ``desk`` channel (bot/channels/desk.py) and Rasa's HTTP API."""

    def __init__(self, base_url: str, token: str, timeout: float = 20.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.http = requests.Session()

    def send(
        self, sender: str, text: str, *, message_id: str, metadata: dict[str, Any]
    ) -> BotReply:
        payload = {
            "sender": sender,
            "message": text,
            "message_id": message_id,
            "metadata": metadata,
        }
        data = self._post(
            "/webhooks/desk/webhook", payload, headers={"Authorization": f"Bearer {self.token}"}
        )
        messages = data.get("messages") or []
        intent = data.get("intent") or {}
        return BotReply(
            texts=[msg["text"] for msg in messages if msg.get("text")],
            intent=intent.get("name"),
            confidence=intent.get("confidence"),
            language=data.get("language"),
            raw=messages,
        )

    def resume(self, sender: str) -> None:
        """Undo the assistant's ConversationPaused after a person resolved the case.

        A paused tracker never logged the action_listen that ends the handoff turn;
        without it Rasa's rules do not match the next message (it loops on fallback).
        """
        events = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
        self._post(f"/conversations/{sender}/tracker/events", events, params={"token": self.token})

    def _post(self, path: str, payload: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.http.post(
                self.base_url + path, json=payload, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as error:
            raise BotUnavailable(f"Rasa unreachable at {self.base_url}: {error}") from error
        if response.status_code >= 300:
            raise BotUnavailable(
                f"Rasa answered {response.status_code} on {path}: {response.text[:200]}"
            )
        try:
            return response.json() if response.content else {}
        except ValueError as error:
            raise BotUnavailable(f"Rasa answered non-JSON on {path}") from error
