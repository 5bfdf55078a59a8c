from __future__ import annotations

import uuid
from datetime import datetime

from desk.transports.base import SendResult, SentMessage


class SandboxTransport:
    """Delivers locally: the simulator page reads replies straight from the desk."""

    name = "sandbox"

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
        return SendResult(sid=f"SB{uuid.uuid4().hex}", status="delivered")

    def sent_since(self, *, to: str, from_: str, since: datetime) -> list[SentMessage]:
        return []  # a sandbox send never ends unclear
