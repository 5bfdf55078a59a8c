from typing import Any

import sqlalchemy as sa
from flask import abort, request

from desk.api import bp
from desk.api.auth import service_token_required
from desk.db import get_session
from desk.models import Conversation
from desk.models import case as c
from desk.services import cases


@bp.post("/cases")
@service_token_required
def open_case() -> tuple[dict[str, Any], int]:
    """Hand a conversation to people: {"conversation": <Rasa sender id>, "reason", "topic"}."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400, "expected a JSON object")
    key = payload.get("conversation")
    reason = payload.get("reason", c.CITIZEN_REQUEST)
    topic = payload.get("topic")
    if not isinstance(key, str) or not key:
        abort(400, "'conversation' (the Rasa sender id) is required")
    if reason not in c.REASONS:
        abort(400, f"'reason' must be one of {', '.join(c.REASONS)}")
    if topic is not None and not isinstance(topic, str):
        abort(400, "'topic' must be a string")
    session = get_session()
    conversation = session.scalars(sa.select(Conversation).filter_by(key=key)).first()
    if conversation is None:
        abort(404, f"no conversation {key}")
    case, created = cases.open_case(session, conversation, reason=reason, topic=topic)
    session.commit()
    return _case_json(case), 201 if created else 200


def _case_json(case: c.Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "folio": case.folio,
        "status": case.status,
        "reason": case.reason,
        "topic": case.topic,
        "opened_at": case.opened_at.isoformat(),
    }


@bp.get("/cases/<folio>")
@service_token_required
def case_status(folio: str) -> dict[str, Any]:
    """A case's status, for the phone number that opened it and nobody else.

    Unknown folio and someone else's folio get the same 404, so a guess reveals nothing.
    """
    key = request.args.get("conversation", "")
    session = get_session()
    asking = session.scalars(sa.select(Conversation).filter_by(key=key)).first() if key else None
    case = cases.find_by_folio(session, folio)
    if asking is None or case is None or case.conversation.phone != asking.phone:
        abort(404, "no case with that folio for this number")
    return _case_json(case) | {
        "resolved_at": case.resolved_at.isoformat() if case.resolved_at else None
    }
