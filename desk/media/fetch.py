"""Copying what citizens attach from Twilio to the desk's own storage.

Twilio's media URLs need the account's credentials and answer with a redirect to its
CDN. The credentials go to Twilio's API host only: redirects are followed here, hop
by hop, and a hop to any other host (the CDN) is made without them. A file is kept only
if its type is one the desk shows (ALLOWED_TYPES), Twilio's Content-Type says so, and
its first bytes agree; otherwise the row records why, and nothing is served.

The state of a copy lives in its MediaFile row: ``path`` once stored; ``error`` None
while waiting for its first try, ``"fetching N <until> <token>"`` while a worker holds
it, ``"retry N <at>: <why>"`` after a failure worth another try, and anything else is
final (``"<code>: <detail>"``, see REASONS in desk.media.views).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import sqlalchemy as sa
from requests.auth import HTTPBasicAuth
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.media import storage
from desk.models import MediaFile, Message
from desk.models import message as m

log = logging.getLogger(__name__)

ALLOWED_TYPES = frozenset(storage.EXTENSIONS)
# Shown in the browser; everything else is offered as a download.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf"})
MAX_BYTES = 10 * 1024 * 1024  # MEDIA_MAX_BYTES overrides
TOTAL_SECONDS = 60.0  # a whole download, redirects included; MEDIA_FETCH_SECONDS overrides
CONNECT_SECONDS = 5.0
MAX_REDIRECTS = 5
MAX_ATTEMPTS = 3
# After the first and second failures; the third is final.
RETRY_DELAYS = (timedelta(seconds=30), timedelta(minutes=5))
# A worker that died mid-download loses its claim after this; longer than any download.
LEASE = timedelta(seconds=TOTAL_SECONDS * 2)
# Rows are created for inbound messages newer than the newest message that has rows,
# less this many: messages committed out of order are still found, and the search
# stays a short primary-key range instead of a scan of every message.
LOOKBACK_IDS = 1000
MESSAGES_PER_ROUND = 200
SNIFF_BYTES = 16
TWILIO_API = "https://api.twilio.com"
# api.twilio.com and its regional twins (api.dublin.ie1.twilio.com).
TWILIO_HOST = re.compile(r"^api(\.[a-z0-9-]+)*\.twilio\.com$")
# "retry 2 2025-01-31T12:00:00+00:00: why" and "fetching 1 2025-01-31T12:00:00+00:00 token".
STATE = re.compile(r"^(retry|fetching) (\d+) (\S+?):?(?: |$)")
ERROR_LENGTH = MediaFile.__table__.c.error.type.length


class FetchFailed(Exception):
    """Why a download did not give a file to keep; ``transient`` ones are tried again."""

    def __init__(self, code: str, detail: str = "", *, transient: bool = False) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.transient = transient


@dataclass(frozen=True)
class _Settings:
    account_sid: str
    auth_token: str
    base: tuple[str, str, int] | None  # TWILIO_API_BASE_URL's origin (a stand-in)
    base_url: str | None
    max_bytes: int
    read_timeout: float
    total_seconds: float

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> _Settings:
        base_url = (config.get("TWILIO_API_BASE_URL") or "").rstrip("/") or None
        return cls(
            account_sid=config["TWILIO_ACCOUNT_SID"],
            auth_token=config["TWILIO_AUTH_TOKEN"],
            base=_origin(base_url) if base_url else None,
            base_url=base_url,
            max_bytes=int(config.get("MEDIA_MAX_BYTES") or MAX_BYTES),
            read_timeout=float(config.get("TWILIO_TIMEOUT_SECONDS") or 15.0),
            total_seconds=float(config.get("MEDIA_FETCH_SECONDS") or TOTAL_SECONDS),
        )

    def is_twilio(self, url: str) -> bool:
        """Whether ``url`` is Twilio's API (or its stand-in): the only place for credentials."""
        origin = _origin(url)
        if self.base is not None and origin == self.base:
            return True
        scheme, host, port = origin
        return scheme == "https" and port == 443 and bool(TWILIO_HOST.match(host))

    def address(self, url: str) -> str:
        """Where to ask for a media URL Twilio gave: its stand-in, when there is one."""
        if self.base_url and _origin(url) == _origin(TWILIO_API):
            parts = urlsplit(url)
            base = urlsplit(self.base_url)
            return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))
        return url


@dataclass(frozen=True)
class _Job:
    id: int
    url: str
    attempt: int
    claim: str


def fetch_pending(
    session: Session,
    config: Mapping[str, Any],
    *,
    limit: int = 20,
    http: requests.Session | None = None,
    now: datetime | None = None,
) -> int:
    """Create rows for new attachments and try to copy up to ``limit`` of those waiting.

    Returns how many files were stored. Commits (often: no transaction stays open while
    a file downloads). ``config`` is the app's: Twilio's credentials and TWILIO_API_BASE_URL,
    MEDIA_FOLDER, and optionally MEDIA_MAX_BYTES / MEDIA_FETCH_SECONDS. Without Twilio
    (the sandbox) nothing can be fetched: the rows say "sandbox".
    """
    now = now or utcnow()
    sandbox = bool(config.get("TWILIO_SANDBOX")) or not config.get("TWILIO_ACCOUNT_SID")
    _create_rows(session, sandbox=sandbox)
    if sandbox:
        session.execute(
            sa.update(MediaFile)
            .where(MediaFile.path.is_(None), MediaFile.error.is_(None))
            .values(error="sandbox")
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return 0
    session.commit()

    settings = _Settings.of(config)
    root = storage.media_root(config)
    own_http = http is None
    client = http or requests.Session()
    stored = tried = 0
    try:
        for row_id, error in _due(session, now):
            if tried >= limit:
                break
            job = _claim(session, row_id, error, now)
            if job is not None:
                tried += 1
                stored += _fetch_one(session, job, settings, client, root)
    finally:
        if own_http:
            client.close()
    return stored


def _create_rows(session: Session, *, sandbox: bool) -> int:
    newest = session.scalar(sa.select(sa.func.max(MediaFile.message_id))) or 0
    has_rows = sa.exists().where(MediaFile.message_id == Message.id)
    messages = session.scalars(
        sa.select(Message)
        .where(
            Message.id > newest - LOOKBACK_IDS,
            Message.direction == m.INBOUND,
            sa.func.json_array_length(Message.media) > 0,
            ~has_rows,
        )
        .order_by(Message.id)
        .limit(MESSAGES_PER_ROUND)
    ).all()
    created = 0
    for message in messages:
        rows = [
            MediaFile(
                message_id=message.id,
                position=position,
                content_type=_media_type(item.get("content_type"))[:100],
                error=_refusal(item, sandbox=sandbox),
            )
            for position, item in enumerate(message.media)
        ]
        try:
            with session.begin_nested():
                session.add_all(rows)
        except IntegrityError:
            continue  # another worker created them first
        created += len(rows)
    return created


def _refusal(item: Mapping[str, Any], *, sandbox: bool) -> str | None:
    """Why an attachment will not be fetched at all, or None."""
    if not item.get("url"):
        return _error_text("dropped", str(item.get("dropped") or ""))
    if sandbox:
        return "sandbox"
    declared = _media_type(item.get("content_type"))
    if declared not in ALLOWED_TYPES:
        return _error_text("type", declared)
    return None


def _due(session: Session, now: datetime) -> list[tuple[int, str | None]]:
    waiting = session.execute(
        sa.select(MediaFile.id, MediaFile.error)
        .where(
            MediaFile.path.is_(None),
            sa.or_(
                MediaFile.error.is_(None),
                MediaFile.error.like("retry %"),
                MediaFile.error.like("fetching %"),
            ),
        )
        .order_by(MediaFile.id)
    ).all()
    session.commit()
    due = []
    for row_id, error in waiting:
        state = _state(error)
        if state is None or state[1] <= now:
            due.append((row_id, error))
    return due


def _state(error: str | None) -> tuple[int, datetime] | None:
    """(attempts made, when the next may start) of a row waiting or held."""
    match = STATE.match(error or "")
    if match is None:
        return None
    try:
        return int(match.group(2)), datetime.fromisoformat(match.group(3))
    except ValueError:  # not written by this module: due now
        return int(match.group(2)), datetime.min.replace(tzinfo=UTC)


def _claim(session: Session, row_id: int, error: str | None, now: datetime) -> _Job | None:
    """Take the row for this worker (compare-and-set on ``error``); commits."""
    state = _state(error)
    attempt = (state[0] if state else 0) + 1
    row = session.get(MediaFile, row_id, populate_existing=True)
    message = session.get(Message, row.message_id) if row is not None else None
    if row is None or message is None or row.path is not None or row.error != error:
        session.commit()
        return None
    media = message.media or []
    url = media[row.position].get("url") if row.position < len(media) else None
    if attempt > MAX_ATTEMPTS or not url:
        # A worker died holding it as often as it may be tried, or the link is gone.
        final = _error_text("unreachable", "gave up") if url else "missing"
        _set_error(session, row_id, error, final)
        session.commit()
        return None
    claim = f"fetching {attempt} {_stamp(now + LEASE)} {secrets.token_hex(4)}"
    taken = _set_error(session, row_id, error, claim)
    session.commit()
    return _Job(id=row_id, url=url, attempt=attempt, claim=claim) if taken else None


def _fetch_one(
    session: Session, job: _Job, settings: _Settings, http: requests.Session, root: Path
) -> int:
    """Download one claimed file (no transaction open meanwhile) and record the outcome."""
    try:
        content_type, copy = _download(http, job.url, settings, root)
    except FetchFailed as failure:
        _record_failure(session, job, failure)
        return 0
    except Exception as error:  # a bug or the disk: retried, and never blocks the others
        log.exception("media %s: download failed", job.id)
        _record_failure(session, job, FetchFailed("failed", type(error).__name__, transient=True))
        return 0
    try:
        stored = session.execute(
            sa.update(MediaFile)
            .where(MediaFile.id == job.id, MediaFile.path.is_(None), MediaFile.error == job.claim)
            .values(
                path=copy.relative,
                size=copy.size,
                content_type=content_type,
                error=None,
                fetched_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        if stored.rowcount != 1:
            # Erased, or taken by another worker after the lease ran out, meanwhile.
            session.rollback()
            copy.discard()
            return 0
        session.commit()
    except BaseException:
        session.rollback()
        copy.discard()
        raise
    return 1


def _record_failure(session: Session, job: _Job, failure: FetchFailed) -> None:
    if failure.transient and job.attempt < MAX_ATTEMPTS:
        delay = RETRY_DELAYS[min(job.attempt, len(RETRY_DELAYS)) - 1]
        text = f"retry {job.attempt} {_stamp(utcnow() + delay)}: {failure}"
    else:
        text = _error_text("unreachable", str(failure)) if failure.transient else str(failure)
    log.info("media %s: %s", job.id, text)
    _set_error(session, job.id, job.claim, text)
    session.commit()


def _set_error(session: Session, row_id: int, old: str | None, new: str) -> bool:
    same = MediaFile.error.is_(None) if old is None else MediaFile.error == old
    result = session.execute(
        sa.update(MediaFile)
        .where(MediaFile.id == row_id, MediaFile.path.is_(None), same)
        .values(error=new[:ERROR_LENGTH])
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


# --- the download ---------------------------------------------------------------------


@dataclass
class _Stored:
    relative: str
    size: int
    writer: storage.MediaWriter

    def discard(self) -> None:
        self.writer.discard()


def _download(
    http: requests.Session, url: str, settings: _Settings, root: Path
) -> tuple[str, _Stored]:
    """Follow Twilio's redirects to the file and store it; FetchFailed says why not."""
    url = settings.address(url)
    if not settings.is_twilio(url):
        raise FetchFailed("not_twilio", urlsplit(url).hostname or "")
    deadline = time.monotonic() + settings.total_seconds
    credentials = HTTPBasicAuth(settings.account_sid, settings.auth_token)
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            response = http.get(
                url,
                # Twilio's own host only: never the CDN it redirects to.
                auth=credentials if settings.is_twilio(url) else None,
                stream=True,
                allow_redirects=False,
                timeout=(CONNECT_SECONDS, settings.read_timeout),
            )
        except requests.RequestException as error:
            raise FetchFailed("unreachable", type(error).__name__, transient=True) from None
        with response:
            if response.is_redirect:
                url = _next_hop(url, response.headers["Location"])
                continue
            _check_status(response.status_code)
            return _store(response, settings, root, deadline)
    raise FetchFailed("redirects", f"more than {MAX_REDIRECTS}")


def _next_hop(url: str, location: str) -> str:
    target = urljoin(url, location)
    scheme = urlsplit(target).scheme
    if scheme not in ("http", "https") or not urlsplit(target).hostname:
        raise FetchFailed("redirect", "not an http(s) address")
    if urlsplit(url).scheme == "https" and scheme != "https":
        raise FetchFailed("redirect", "from https to plain http")
    return target


def _check_status(status: int) -> None:
    if status == 200:
        return
    transient = status in (408, 425, 429) or status >= 500
    raise FetchFailed("http", str(status), transient=transient)


def _store(
    response: requests.Response, settings: _Settings, root: Path, deadline: float
) -> tuple[str, _Stored]:
    content_type = _media_type(response.headers.get("Content-Type"))
    if content_type not in ALLOWED_TYPES:
        raise FetchFailed("type", content_type or "none")
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > settings.max_bytes:
        raise FetchFailed("too_large", f"{length} bytes")
    with storage.MediaWriter(content_type, root) as writer:
        head = b""
        sniffed = False
        try:
            for chunk in response.iter_content(64 * 1024):
                if writer.size + len(chunk) > settings.max_bytes:
                    raise FetchFailed("too_large", f"over {settings.max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise FetchFailed("slow", f"over {settings.total_seconds:g} s", transient=True)
                if not sniffed:
                    head += chunk[: SNIFF_BYTES - len(head)]
                    if len(head) >= SNIFF_BYTES:
                        _check_magic(content_type, head)
                        sniffed = True
                writer.write(chunk)
        except requests.RequestException as error:
            raise FetchFailed("cut", type(error).__name__, transient=True) from None
        if not sniffed:
            _check_magic(content_type, head)
        relative = writer.commit()
    return content_type, _Stored(relative=relative, size=writer.size, writer=writer)


def _check_magic(content_type: str, head: bytes) -> None:
    if not looks_like(content_type, head):
        raise FetchFailed("mismatch", f"{content_type} content does not look like one")


def looks_like(content_type: str, head: bytes) -> bool:
    """Whether a file's first bytes are those of ``content_type``."""
    match content_type:
        case "image/jpeg":
            return head.startswith(b"\xff\xd8\xff")
        case "image/png":
            return head.startswith(b"\x89PNG\r\n\x1a\n")
        case "image/gif":
            return head.startswith((b"GIF87a", b"GIF89a"))
        case "image/webp":
            return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
        case "application/pdf":
            return head.startswith(b"%PDF-")
        case "audio/ogg":
            return head.startswith(b"OggS")
        case "audio/mpeg":
            return head.startswith(b"ID3") or (
                len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
            )
        case "video/mp4":
            return head[4:8] == b"ftyp"
    return False


def _media_type(value: object) -> str:
    """ "image/JPEG; charset=x" -> "image/jpeg"."""
    return str(value or "").split(";", 1)[0].strip().lower()


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or (443 if scheme == "https" else 80)


def _stamp(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def _error_text(code: str, detail: str) -> str:
    return (f"{code}: {detail}" if detail else code)[:ERROR_LENGTH]
