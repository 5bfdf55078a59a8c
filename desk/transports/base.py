from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SendResult:
    sid: str
    status: str  # Twilio's first status, e.g. "queued"


class TransportError(Exception):
    """A send that did not go out. ``retryable`` says whether trying later can help."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        retryable: bool = False,
        opted_out: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.retryable = retryable
        self.opted_out = opted_out


class Transport(Protocol):
    name: str

    def send(
        self, *, to: str, from_: str, body: str, status_callback: str | None
    ) -> SendResult: ...
