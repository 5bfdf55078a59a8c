"""Serving the desk's copies of what citizens sent, and describing them to the transcript.

Agents' browsers only ever load ``/media/<id>``: never a Twilio address, which would
need the account's credentials and would tell Twilio who looks at what.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, current_app, send_file, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from desk.db import get_session
from desk.media import bp, storage
from desk.media.fetch import ALLOWED_TYPES, INLINE_TYPES
from desk.models import MediaFile, Message
from desk.permissions import WORK_CASES, requires

# The code at the start of MediaFile.error (desk.media.fetch), as agents read it.
REASONS = {
    "sandbox": _l("modo de pruebas: sin Twilio no se descargan"),
    "dropped": _l("el enlace que llegó no era válido"),
    "type": _l("tipo de archivo no permitido"),
    "mismatch": _l("el contenido no corresponde a su tipo"),
    "too_large": _l("archivo demasiado grande"),
    "http": _l("Twilio no lo entregó"),
    "unreachable": _l("no se pudo descargar"),
    "not_twilio": _l("no viene de Twilio"),
    "erased": _l("borrado por solicitud de privacidad"),
    "missing": _l("ya no está disponible"),
}
FALLBACK_REASON = _l("no se pudo descargar")
KINDS = {
    "application/pdf": _l("Documento PDF"),
    "audio": _l("Audio"),
    "video": _l("Video"),
    "image": _l("Imagen"),
}

READY = "ready"
PENDING = "pending"
UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class MediaItem:
    """One attachment of a message, as the transcript shows it."""

    state: str  # READY | PENDING | UNAVAILABLE
    content_type: str
    url: str | None = None  # the desk's own route, when READY
    reason: str = ""  # when UNAVAILABLE
    size: int | None = None

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def kind(self) -> str:
        label = KINDS.get(self.content_type) or KINDS.get(self.content_type.split("/")[0])
        return str(label or _l("Archivo"))

    @property
    def size_label(self) -> str:
        if self.size is None:
            return ""
        if self.size < 1024 * 1024:
            return f"{max(1, round(self.size / 1024))} KB"
        return f"{self.size / (1024 * 1024):.1f} MB"


@bp.get("/<int:media_id>")
@requires(WORK_CASES)
def serve(media_id: int) -> Response:
    """A stored copy, with the type it was checked to be."""
    row = get_session().get(MediaFile, media_id)
    if row is None or row.path is None or row.content_type not in ALLOWED_TYPES:
        abort(404, "Este adjunto no está disponible.")
    try:
        path = storage.stored_path(row)
    except storage.MediaMissing:
        abort(404, "Este adjunto no está disponible.")
    inline = row.content_type in INLINE_TYPES
    response = send_file(
        path,
        mimetype=row.content_type,
        as_attachment=not inline,
        download_name=f"adjunto-{row.id}.{storage.EXTENSIONS[row.content_type]}",
        conditional=True,
        max_age=None,
    )
    # Photos of identity documents: kept by this agent's browser only, and checked
    # with the desk before each reuse, so an erased file is not shown from a cache.
    response.cache_control.no_cache = True
    response.cache_control.private = True
    response.vary.add("Cookie")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def media_of(message: Message) -> list[MediaItem]:
    """The attachments of ``message`` in order (a Jinja global for the transcript)."""
    listed = message.media or []
    if not listed:
        return []
    rows = {
        row.position: row
        for row in get_session().scalars(
            sa.select(MediaFile).where(MediaFile.message_id == message.id)
        )
    }
    sandbox = bool(current_app.config.get("TWILIO_SANDBOX"))
    items = []
    for position, entry in enumerate(listed):
        declared = str(entry.get("content_type") or "").split(";")[0].strip().lower()
        row = rows.get(position)
        if row is None:
            if not entry.get("url"):
                items.append(MediaItem(UNAVAILABLE, declared, reason=str(REASONS["dropped"])))
            elif sandbox:
                items.append(MediaItem(UNAVAILABLE, declared, reason=str(REASONS["sandbox"])))
            else:
                items.append(MediaItem(PENDING, declared))
        else:
            items.append(_item(row))
    return items


def _item(row: MediaFile) -> MediaItem:
    if row.path is not None:
        return MediaItem(
            READY,
            row.content_type,
            url=url_for("media.serve", media_id=row.id),
            size=row.size,
        )
    if row.error is None or row.error.startswith(("retry ", "fetching ")):
        return MediaItem(PENDING, row.content_type)
    code = row.error.split(":", 1)[0].strip()
    return MediaItem(UNAVAILABLE, row.content_type, reason=str(REASONS.get(code, FALLBACK_REASON)))
