from __future__ import annotations

import uuid

from desk.transports.base import SendResult


class SandboxTransport:
    """Delivers locally: the simulator page reads replies straight from the desk."""

    name = "sandbox"

    def send(self, *, to: str, from_: str, body: str, status_callback: str | None) -> SendResult:
        return SendResult(sid=f"SB{uuid.uuid4().hex}", status="delivered")
