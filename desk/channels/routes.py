import logging
from pathlib import Path

from flask import Response, abort, current_app, request
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import LimitedStream

from desk.channels import bp, signature
from desk.db import get_session
from desk.models import Message
from desk.services import inbound, outbound

log = logging.getLogger(__name__)
EMPTY_TWIML = str(MessagingResponse())
ERROR_CODE_LENGTH = Message.__table__.c.error_code.type.length


@bp.post("/twilio/inbound")
def twilio_inbound() -> Response:
    """Store a citizen's message and answer at once; the worker does the rest."""
    form = _signed_form()
    try:
        message = inbound.Inbound.from_twilio(form)
    except inbound.BadInbound as error:
        abort(400, str(error))
    session = get_session()
    spool = Path(current_app.instance_path) / "spool"
    try:
        inbound.receive(session, message)
    except OperationalError:
        # The database is down (restarting, failing over). Twilio would not call again:
        # the verified message waits on disk and is stored when the database is back.
        session.rollback()
        inbound.spool(message, spool)
        log.warning("database unavailable; inbound %s spooled", message.sid)
    else:
        _drain(session, spool)
    # Same answer for a repeated MessageSid: Twilio only needs to know we have it.
    return Response(EMPTY_TWIML, mimetype="text/xml")


def _drain(session: Session, spool: Path) -> None:
    """The database answered: store what waited in the spool (cheap when it is empty)."""
    if not spool.is_dir() or not any(spool.glob("*.json")):
        return
    try:
        stored = inbound.drain(session, spool)
    except OperationalError:
        session.rollback()
        return
    log.info("%d spooled inbound messages stored", stored)


@bp.post("/twilio/status")
def twilio_status() -> Response:
    """Delivery updates for what the desk sent (queued → sent → delivered/read, or failed)."""
    params = _status_params(_signed_form())
    try:
        outbound.apply_status(get_session(), params)
    except ValueError as error:
        abort(400, str(error))
    return Response(status=204)


def _signed_form() -> MultiDict[str, str]:
    """The webhook's parameters, once it is known that Twilio sent them.

    Cheapest refusals first: a declared body past MAX_CONTENT_LENGTH and a missing
    signature are answered from the headers, before a byte of the body is read. Then
    the form is parsed, never past MAX_CONTENT_LENGTH (a chunked body, which declares no
    length, is refused once it fills the limit), and the signature checked against it.
    """
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit is not None and request.content_length is not None and request.content_length > limit:
        abort(413, _too_large(limit))
    given = request.headers.get(signature.HEADER)
    if not given:
        abort(403, f"missing {signature.HEADER}")
    try:
        form = request.form
    except RequestEntityTooLarge:
        abort(413, _too_large(limit))
    if _cut_at_the_limit():
        abort(413, _too_large(limit))
    if not signature.is_valid(form, given):
        abort(403, f"invalid {signature.HEADER}")
    return form


def _cut_at_the_limit() -> bool:
    """Whether a streamed body (chunked: no Content-Length) filled MAX_CONTENT_LENGTH.

    Werkzeug stops reading such a body there, but a form read whole (urlencoded) is
    silently cut rather than refused: parsed from the first bytes, a longer body would
    lose fields. One that fills the limit exactly is refused too; nothing tells them apart.
    """
    stream = request.stream
    return (
        request.content_length is None and isinstance(stream, LimitedStream) and stream.is_exhausted
    )


def _too_large(limit: int | None) -> str:
    return f"the body is larger than {limit} bytes (MAX_CONTENT_LENGTH); Twilio's are a few KB"


def _status_params(form: MultiDict[str, str]) -> MultiDict[str, str]:
    """A status callback the database can take, or a 400 that says why not."""
    for name, value in form.items(multi=True):
        if "\x00" in value:
            abort(400, f"{name} contains a NUL character")
    code = form.get("ErrorCode") or ""
    if code and not (code.isascii() and code.isdigit() and len(code) <= ERROR_CODE_LENGTH):
        abort(400, f"ErrorCode must be Twilio's numeric code (at most {ERROR_CODE_LENGTH} digits)")
    return form
