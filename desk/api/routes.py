"""The assistant's JSON API. Every body is a JSON object; a field of the wrong type, or
text the database cannot store, is a 400 that names the field."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import sqlalchemy as sa
from flask import abort, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import LimitedStream

from desk.api import bp
from desk.api.auth import service_token_required
from desk.db import get_session
from desk.models import Conversation
from desk.models import case as c
from desk.services import cases

NOT_FOUND = "no case with that folio for this number"


@bp.post("/cases")
@service_token_required
def open_case() -> tuple[dict[str, Any], int]:
    """Hand a conversation to people: {"conversation": <Rasa sender id>, "reason", "topic"}."""
    payload = _json_object()
    key = _text(payload, "conversation", "the Rasa sender id")
    reason = _optional_text(payload, "reason")
    topic = _optional_text(payload, "topic")
    if reason is None:
        reason = c.CITIZEN_REQUEST
    elif reason not in c.REASONS:
        abort(400, f"'reason' must be one of {', '.join(c.REASONS)}")
    session = get_session()
    conversation = session.scalars(sa.select(Conversation).filter_by(key=key)).first()
    if conversation is None:
        abort(404, "no conversation with that key")
    case, created = cases.open_case(session, conversation, reason=reason, topic=topic)
    session.commit()
    return _case_json(case), 201 if created else 200


@bp.post("/cases/lookup")
@service_token_required
def lookup_case() -> dict[str, Any]:
    """A case's status, for the phone number that opened it and nobody else:
    {"folio": "CAB-2026-000123", "conversation": <Rasa sender id>}.

    A POST so that the conversation key never sits in a URL, where access logs keep it.
    An unknown folio and someone else's get the same 404, so a guess reveals nothing.
    """
    payload = _json_object()
    folio = _text(payload, "folio", "e.g. CAB-2026-000123")
    key = _text(payload, "conversation", "the Rasa sender id")
    session = get_session()
    asking = session.scalars(sa.select(Conversation).filter_by(key=key)).first()
    case = cases.find_by_folio(session, folio)
    if asking is None or case is None or case.conversation.phone != asking.phone:
        abort(404, NOT_FOUND)
    return _case_json(case) | {
        "resolved_at": case.resolved_at.isoformat() if case.resolved_at else None
    }


def _case_json(case: c.Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "folio": case.folio,
        "status": case.status,
        "reason": case.reason,
        "topic": case.topic,
        "opened_at": case.opened_at.isoformat(),
    }


# --- reading the body ------------------------------------------------------------------


def _json_object() -> dict[str, Any]:
    """The body as a JSON object, or a 400 that says what is wrong with it."""
    if not request.is_json:
        _bad("expected a JSON object with Content-Type: application/json")
    too_large = f"the body is larger than {current_app.config['MAX_CONTENT_LENGTH']} bytes"
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        abort(413, too_large)
    stream = request.stream
    if request.content_length is None and isinstance(stream, LimitedStream) and stream.is_exhausted:
        # Werkzeug cuts a streamed (chunked) body at MAX_CONTENT_LENGTH without a word.
        abort(413, too_large)
    try:
        # Not request.get_json: a deeply nested body raises RecursionError, not ValueError.
        payload = json.loads(body)
    except (ValueError, RecursionError):
        _bad("expected a JSON object; the body is not valid JSON")
    if not isinstance(payload, dict):
        _bad(f"expected a JSON object, not {_json_type(payload)}")
    return payload


def _text(payload: dict[str, Any], name: str, what: str) -> str:
    """A required, non-empty string field."""
    value = _optional_text(payload, name)
    if not value:
        _bad(f"'{name}' ({what}) is required")
    return value


def _optional_text(payload: dict[str, Any], name: str) -> str | None:
    """A string field that may be absent or null; text the database cannot store (NUL
    characters, lone surrogates) is refused here rather than failing there."""
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        _bad(f"'{name}' must be a string, not {_json_type(value)}")
    if "\x00" in value:
        _bad(f"'{name}' contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        _bad(f"'{name}' is not valid Unicode text (a lone surrogate)")
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a string" if isinstance(value, str) else "null"


def _bad(message: str) -> NoReturn:
    abort(400, message)
