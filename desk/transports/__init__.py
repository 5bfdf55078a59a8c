"""How replies leave the desk: Twilio when it is configured, else the local sandbox."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from desk.transports.base import SendResult, Transport, TransportError
from desk.transports.sandbox import SandboxTransport
from desk.transports.twilio import TwilioTransport

__all__ = ["SandboxTransport", "SendResult", "Transport", "TransportError", "TwilioTransport"]


def from_config(config: Mapping[str, Any]) -> Transport:
    if config["TWILIO_SANDBOX"]:
        return SandboxTransport()
    return TwilioTransport(
        config["TWILIO_ACCOUNT_SID"],
        config["TWILIO_AUTH_TOKEN"],
        api_base_url=config.get("TWILIO_API_BASE_URL"),
        timeout=config["TWILIO_TIMEOUT_SECONDS"],
        connections=config.get("WORKER_OUTBOUND_THREADS", 16),
    )
