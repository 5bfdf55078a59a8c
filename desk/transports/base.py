from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class SendResult:
    sid: str
    status: str  # Twilio's first status, e.g. "queued"


@dataclass(frozen=True)
class SentMessage:
    """A message Twilio has, as its Messages list shows it (for reconciling)."""

    sid: str
    body: str
    status: str
    created_at: datetime | None


class TransportError(Exception):
    """A send that did not go out, or may have.

    ``unclear``: the request reached the other side and no answer came back (a read
    timeout, a 5xx, a connection cut mid-answer): the message may have been accepted,
    so it is looked up before any new try. Otherwise it was not accepted, and
    ``retryable`` says whether trying later can help.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        retryable: bool = False,
        opted_out: bool = False,
        unclear: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.retryable = retryable or unclear
        self.opted_out = opted_out
        self.unclear = unclear


class Transport(Protocol):
    name: str

    def send(
        self,
        *,
        to: str,
        from_: str,
        body: str,
        status_callback: str | None,
        content_sid: str | None = None,
        content_variables: dict[str, str] | None = None,
    ) -> SendResult:
        """Send free text, or a WhatsApp template when ``content_sid`` is given."""
        ...

    def sent_since(self, *, to: str, from_: str, since: datetime) -> list[SentMessage]:
        """What was sent from ``from_`` to ``to`` since ``since``; raises TransportError."""
        ...
