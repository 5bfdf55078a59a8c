from flask import Response, abort, request
from twilio.twiml.messaging_response import MessagingResponse

from desk.channels import bp, signature
from desk.db import get_session
from desk.services import inbound, outbound

EMPTY_TWIML = str(MessagingResponse())


@bp.post("/twilio/inbound")
def twilio_inbound() -> Response:
    """Store a citizen's message and answer at once; the worker does the rest."""
    _require_signature()
    try:
        message = inbound.Inbound.from_twilio(request.form)
    except inbound.BadInbound as error:
        abort(400, str(error))
    inbound.receive(get_session(), message)
    # Same answer for a repeated MessageSid: Twilio only needs to know we have it.
    return Response(EMPTY_TWIML, mimetype="text/xml")


@bp.post("/twilio/status")
def twilio_status() -> Response:
    """Delivery updates for what the desk sent (queued → sent → delivered/read, or failed)."""
    _require_signature()
    try:
        outbound.apply_status(get_session(), request.form)
    except ValueError as error:
        abort(400, str(error))
    return Response(status=204)


def _require_signature() -> None:
    if not signature.is_valid(request.form, request.headers.get("X-Twilio-Signature")):
        abort(403, "invalid X-Twilio-Signature")
