"""The desk's only door to the Rasa servers: their ``desk`` channel (bot/channels/desk.py).

Several servers may run (RASA_URL lists them). A conversation always goes to the same
one while it is up, chosen by a stable hash of its key, so its turns do not race
across servers; when that one does not answer, the next in line takes it (they share
the tracker store and, with Redis, the lock store). The token travels in a header
only: an error text quoting the URL can never leak it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter


class BotUnavailable(Exception):
    """The assistant could not be reached or did not answer properly; try again later."""


@dataclass(frozen=True)
class BotReply:
    texts: list[str]
    intent: str | None = None
    confidence: float | None = None
    model_id: str | None = None  # the Rasa model that understood the message
    procedure: str | None = None  # the ``procedure`` entity's value, when NLU found one
    language: str | None = None  # the assistant's language slot after this turn
    paused: bool = False  # the assistant handed the conversation to a person
    repeated: bool = False  # the turn had run before: this is the answer it gave then
    raw: list[dict[str, Any]] = field(default_factory=list)


def rasa_urls(setting: str) -> list[str]:
    """RASA_URL: one URL or several, separated by commas."""
    urls = [url.strip().rstrip("/") for url in setting.split(",") if url.strip()]
    if not urls:
        raise ValueError("RASA_URL names no server")
    return urls


def shown(url: str) -> str:
    """A server as error texts may name it: without any user or password in its URL."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def _procedure(value: Any) -> str | None:
    """The procedure as the desk stores it (64 characters at most), or None."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text[:64] or None


class BotClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: float = 20.0,
        observe: Callable[[float], None] | None = None,
        connections: int = 16,
    ) -> None:
        self.urls = rasa_urls(base_url)
        self.token = token
        self.timeout = timeout
        self.observe = observe  # told how long each answered call took
        self.http = requests.Session()
        # One kept-alive connection per worker thread: past requests' default of ten,
        # every call opened a new one.
        for scheme in ("https://", "http://"):
            self.http.mount(scheme, HTTPAdapter(pool_maxsize=connections))

    def send(
        self,
        sender: str,
        text: str,
        *,
        message_id: str,
        metadata: dict[str, Any],
        asked_before: bool = True,
    ) -> BotReply:
        """One turn. ``asked_before`` False says this message was never sent to Rasa, so
        the channel need not look for an answer it already gave (a read of the tracker)."""
        payload = {
            "sender": sender,
            "message": text,
            "message_id": message_id,
            "metadata": metadata,
            "asked_before": asked_before,
        }
        data = self._post(sender, "/webhooks/desk/webhook", payload)
        messages = data.get("messages") or []
        intent = data.get("intent") or {}
        if not isinstance(messages, list) or not isinstance(intent, dict):
            raise BotUnavailable("Rasa answered a reply of the wrong shape")
        return BotReply(
            texts=[msg["text"] for msg in messages if isinstance(msg, dict) and msg.get("text")],
            intent=intent.get("name"),
            confidence=intent.get("confidence"),
            model_id=intent.get("model"),
            # Bots from before this field answer without it.
            procedure=_procedure(data.get("procedure")),
            language=data.get("language"),
            paused=bool(data.get("paused")),
            repeated=bool(data.get("repeated")),
            raw=messages,
        )

    def resume(self, sender: str) -> None:
        """Undo the assistant's ConversationPaused after a person resolved the case."""
        self._post(sender, "/webhooks/desk/resume", {"sender": sender})

    def forget(self, sender: str) -> None:
        """Delete the conversation's Rasa tracker: every event the assistant kept of it.

        Raises BotUnavailable when no server forgot it (unreachable, or a tracker store
        the channel cannot delete from); the caller keeps it as still to be forgotten.
        """
        self._post(sender, "/webhooks/desk/forget", {"sender": sender})

    def server_for(self, sender: str) -> list[str]:
        """The servers in the order this conversation tries them: its own first."""
        digest = hashlib.sha256(sender.encode()).digest()
        first = int.from_bytes(digest[:8], "big") % len(self.urls)
        return self.urls[first:] + self.urls[:first]

    def _post(self, sender: str, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        failures = []
        for url in self.server_for(sender):
            started = time.perf_counter()
            try:
                response = self.http.post(
                    url + path,
                    json=payload,
                    timeout=self.timeout,
                    headers={"Authorization": f"Bearer {self.token}"},
                )
            except requests.ConnectionError as error:
                # Nobody there: the turn did not run, the next server may take it.
                failures.append(f"{shown(url)}: {type(error).__name__}")
                continue
            except requests.RequestException as error:
                # It may have run (a read timeout): do not try it elsewhere now; the
                # retry carries the same message_id, which the channel will not run twice.
                raise BotUnavailable(
                    f"Rasa at {shown(url)} failed: {type(error).__name__}"
                ) from None
            if response.status_code >= 300:
                raise BotUnavailable(
                    f"Rasa at {shown(url)} answered {response.status_code} on {path}"
                )
            if self.observe is not None:
                self.observe(time.perf_counter() - started)
            try:
                data = response.json() if response.content else {}
            except ValueError:
                raise BotUnavailable(f"Rasa at {shown(url)} answered non-JSON on {path}") from None
            if not isinstance(data, dict):
                raise BotUnavailable(f"Rasa at {shown(url)} answered a reply of the wrong shape")
            return data
        raise BotUnavailable("no Rasa server reachable: " + "; ".join(failures))
