"""X-Twilio-Signature: checked against the public URL, never switched off."""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app, request
from twilio.request_validator import RequestValidator

HEADER = "X-Twilio-Signature"


def public_url() -> str | None:
    """The URL Twilio called. Behind a proxy request.url says http://internal-host/…,
    so it is rebuilt from PUBLIC_BASE_URL (twilio/twilio-python#751).

    None when the query string is not UTF-8: Twilio signs the URL it was given as text,
    so such a request cannot carry its signature.
    """
    if not request.query_string:
        return public_url_for(request.path)
    try:
        query = request.query_string.decode()
    except UnicodeDecodeError:
        return None
    return public_url_for(f"{request.path}?{query}")


def public_url_for(path: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"] + path


def is_valid(params: Mapping[str, str], signature: str | None) -> bool:
    if not signature:
        return False
    url = public_url()
    if url is None:
        return False
    validator = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"])
    return validator.validate(url, params, signature)


def sign(url: str, params: Mapping[str, str]) -> str:
    """What Twilio would send for these params; the simulator signs like Twilio does."""
    return RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
