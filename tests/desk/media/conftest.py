"""Media fixtures: Twilio's stand-in serving media, a CDN on another host, sample files."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.media import storage
from desk.models import MediaFile, Message
from tests.support.twilio_standin import TwilioStandIn

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "media-test-auth-token"
TWILIO_API = "https://api.twilio.com"

# The first bytes of real files of each kind, padded.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(200)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(200)
OGG = b"OggS\x00\x02" + bytes(200)


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    standin = TwilioStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def twilio_config(app: Flask, twilio: TwilioStandIn) -> dict[str, Any]:
    """The app as a deployment with Twilio (not the sandbox), its API at the stand-in."""
    app.config.update(
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_SANDBOX=False,
        TWILIO_API_BASE_URL=twilio.url,
        TWILIO_TIMEOUT_SECONDS=5.0,
    )
    return app.config  # type: ignore[return-value]


@pytest.fixture
def twilio_media(twilio: TwilioStandIn) -> Callable[..., str]:
    """Media on the stand-in; returns the https://api.twilio.com URL Twilio's webhook gives."""

    def add(data: bytes = JPEG, content_type: str = "image/jpeg", **options: Any) -> str:
        return TWILIO_API + twilio.add_media(ACCOUNT_SID, AUTH_TOKEN, data, content_type, **options)

    return add


@dataclass
class Answer:
    status: int = 200
    content_type: str = "image/jpeg"
    body: bytes = JPEG
    content_length: bool = True  # False: the body ends when the connection closes


@dataclass
class Cdn:
    """Another host (``localhost``, where Twilio's stand-in is 127.0.0.1) serving files."""

    answers: list[Answer] = field(default_factory=list)  # in turn; the last one repeats
    requests: list[dict[str, str | None]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://localhost:{self.server.server_address[1]}"

    def start(self) -> Cdn:
        cdn = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                cdn.requests.append({"path": self.path, "auth": self.headers.get("Authorization")})
                answer = cdn.answers.pop(0) if len(cdn.answers) > 1 else cdn.answers[0]
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                if answer.content_length:
                    self.send_header("Content-Length", str(len(answer.body)))
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args: Any) -> None:
                pass

        # HTTP/1.0: a body without Content-Length is one that ends with the connection.
        Handler.protocol_version = "HTTP/1.0"
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def cdn() -> Iterator[Cdn]:
    server = Cdn(answers=[Answer()]).start()
    yield server
    server.stop()


@pytest.fixture
def media_folder(app: Flask) -> Path:
    return storage.media_root()


def files_in(folder: Path) -> list[Path]:
    """Every file under the media folder, temporary ones included."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def stored_media(db: Session) -> Callable[..., MediaFile]:
    """A file already copied: on disk and in its row."""

    def store(message: Message, data: bytes = JPEG, content_type: str = "image/jpeg") -> MediaFile:
        with storage.MediaWriter(content_type, storage.media_root()) as writer:
            writer.write(data)
            relative = writer.commit()
        position = len(message.media or [])
        message.media = [
            *(message.media or []),
            {"url": f"{TWILIO_API}/media/{position}", "content_type": content_type},
        ]
        row = MediaFile(
            message_id=message.id,
            position=position,
            content_type=content_type,
            size=len(data),
            path=relative,
            fetched_at=utcnow(),
        )
        db.add(row)
        db.commit()
        return row

    return store
