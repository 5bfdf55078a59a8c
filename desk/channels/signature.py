"""X-Twilio-Signature: checked against the public URL, never switched off."""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app, request
from twilio.request_validator import RequestValidator


def public_url() -> str:
    """The URL Twilio called. Behind a proxy request.url says http://internal-host/…,
    so it is rebuilt from PUBLIC_BASE_URL (twilio/twilio-python#751)."""
    return public_url_for(request.full_path if request.query_string else request.path)


def public_url_for(path: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"] + path


def is_valid(params: Mapping[str, str], signature: str | None) -> bool:
    if not signature:
        return False
    validator = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"])
    return validator.validate(public_url(), params, signature)


def sign(url: str, params: Mapping[str, str]) -> str:
    """What Twilio would send for these params; the simulator signs like Twilio does."""
    return RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
