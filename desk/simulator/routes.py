import re
import uuid
from typing import Any

import sqlalchemy as sa
from flask import abort, render_template, request, url_for

from desk.channels import signature
from desk.db import get_session
from desk.models import Conversation, Message
from desk.simulator import bp

# A number of ours that exists only here (Mexico City area code, all zeros).
DESK_NUMBER = "+525500000000"
PHONE_RE = re.compile(r"^\+[1-9]\d{7,14}$")  # E.164


@bp.get("/")
def phone() -> str:
    """The simulated phone."""
    return render_template("simulator/phone.html", desk_number=DESK_NUMBER)


@bp.post("/api/sign")
def sign() -> dict[str, Any]:
    """Build and sign the webhook Twilio would send for what the citizen typed."""
    payload = request.get_json(silent=True) or {}
    phone_number = (payload.get("phone") or "").replace(" ", "")
    citizen, desk = _addresses(payload.get("channel"), phone_number)
    body = payload.get("body") or ""
    if not body.strip():
        abort(400, "write a message")
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": "AC" + "0" * 32,
        "From": citizen,
        "To": desk,
        "Body": body,
        "NumMedia": "0",
    }
    if citizen.startswith("whatsapp:"):
        params |= {"ProfileName": "Simulador", "WaId": phone_number.lstrip("+")}
    path = url_for("channels.twilio_inbound")
    url = signature.public_url_for(path)
    return {"url": path, "params": params, "signature": signature.sign(url, params)}


@bp.get("/api/messages")
def messages() -> dict[str, Any]:
    """What the phone shows: the conversation's messages after ``after``."""
    citizen, desk = _addresses(request.args.get("channel"), request.args.get("phone", ""))
    after = request.args.get("after", 0, type=int)
    session = get_session()
    conversation = session.scalars(
        sa.select(Conversation).filter_by(citizen_address=citizen, desk_address=desk)
    ).first()
    if conversation is None:
        return {"messages": []}
    rows = session.scalars(
        sa.select(Message)
        .where(Message.conversation_id == conversation.id, Message.id > after)
        .order_by(Message.id)
    )
    return {
        "messages": [
            {
                "id": msg.id,
                "direction": msg.direction,
                "author": msg.author,
                "body": msg.body,
                "status": msg.shown_status,
            }
            for msg in rows
        ]
    }


def _addresses(channel: str | None, phone_number: str) -> tuple[str, str]:
    """(citizen, desk) as Twilio writes them, with the whatsapp: prefix on WhatsApp."""
    if channel not in ("whatsapp", "sms"):
        abort(400, "channel must be whatsapp or sms")
    if not PHONE_RE.match(phone_number):
        abort(400, "phone must be an E.164 number like +5215512345678")
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    return prefix + phone_number, prefix + DESK_NUMBER
