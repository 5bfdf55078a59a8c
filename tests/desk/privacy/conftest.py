"""Privacy fixtures: a signed-in supervisor, a citizen with everything the desk can
hold about a person (two channels, a case with a note, a photo on disk, audit events),
and a stand-in for the assistant's forget call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from desk.bot_client import BotUnavailable
from desk.db import utcnow
from desk.models import Agent, AuditEvent, Case, CaseNote, Conversation, MediaFile, Message
from desk.models import case as c
from desk.models import message as m
from desk.privacy import services
from desk.services import audit

PASSWORD = "contraseña-segura"
PHOTO = b"\xff\xd8\xff\xe0 a photo of an INE card \xff\xd9"


@dataclass
class Citizen:
    """Everything stored about one person, and the words that identify them."""

    national: str  # the ten digits
    name: str
    curp: str
    whatsapp: Conversation
    sms: Conversation
    case: Case
    note: CaseNote
    messages: list[Message]
    photo: MediaFile
    photo_path: Path

    @property
    def personal(self) -> list[str]:
        """Strings that must not survive an erasure, nor reach an audit record."""
        return [self.national, self.name, self.curp]


@dataclass
class ForgetfulBot:
    """The assistant's forget call, or an unreachable Rasa."""

    down: bool = False
    forgotten: list[str] = field(default_factory=list)

    def forget(self, sender: str) -> None:
        if self.down:
            raise BotUnavailable("no Rasa server reachable: http://127.0.0.1:5005: ConnectionError")
        self.forgotten.append(sender)


@pytest.fixture
def media_folder(app: Flask, tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    app.config["MEDIA_FOLDER"] = str(folder)
    return folder


@pytest.fixture
def make_citizen(
    db: Session, make_conversation, make_message, make_case, make_agent, media_folder: Path
) -> Callable[..., Citizen]:
    agents = iter(range(1, 100))

    def make(national: str, name: str, curp: str) -> Citizen:
        agent = make_agent(email=f"agente-{national}-{next(agents)}@cab.gob.mx")
        whatsapp = make_conversation(
            "whatsapp", citizen_address=f"whatsapp:+521{national}", profile_name=name
        )
        sms = make_conversation("sms", citizen_address=f"+52{national}")
        first = make_message(whatsapp, body=f"Hola, soy {name}", status=m.DONE, intent="greet")
        make_message(
            whatsapp,
            direction=m.OUTBOUND,
            body="¡Hola! ¿En qué te ayudo?",
            status=m.DONE,
            delivery_status="read",
        )
        case = make_case(whatsapp, topic="pensión para adultos mayores")
        case.tags = ["pension"]
        with_photo = make_message(
            whatsapp,
            body=f"Mi CURP es {curp}, va foto de mi INE",
            status=m.DONE,
            case_id=case.id,
            media=[{"url": "https://api.twilio.com/Media/ME1", "content_type": "image/jpeg"}],
        )
        reply = make_message(
            whatsapp,
            direction=m.OUTBOUND,
            author=m.AGENT,
            agent=agent,
            body=f"Gracias {name}, ya lo revisamos",
            status=m.DONE,
            delivery_status="delivered",
            case_id=case.id,
        )
        by_sms = make_message(sms, body=f"Soy {name}, escribo por SMS", status=m.DONE)
        photo_path = media_folder / whatsapp.key / "0.jpg"
        photo_path.parent.mkdir()
        photo_path.write_bytes(PHOTO)
        photo = MediaFile(
            message_id=with_photo.id,
            position=0,
            content_type="image/jpeg",
            size=len(PHOTO),
            path=f"{whatsapp.key}/0.jpg",
            fetched_at=utcnow(),
        )
        note = CaseNote(case_id=case.id, agent_id=agent.id, body=f"{name} llamará del {national}")
        db.add_all([photo, note])
        audit.record(
            db,
            "message.escalated",
            actor="system",
            case=case,
            message_id=with_photo.id,
            error=f"could not route the message of {name}",
        )
        case.status, case.csat_score = c.CLOSED, 5
        case.resolved_at = case.closed_at = utcnow() - timedelta(days=2)
        db.commit()
        return Citizen(
            national=national,
            name=name,
            curp=curp,
            whatsapp=whatsapp,
            sms=sms,
            case=case,
            note=note,
            messages=[first, with_photo, reply, by_sms],
            photo=photo,
            photo_path=photo_path,
        )

    return make


@pytest.fixture
def juana(make_citizen) -> Citizen:
    return make_citizen("5512345678", "Juana Pérez", "PEJJ800101MDFRRN01")


@pytest.fixture
def pedro(make_citizen) -> Citizen:
    """Another citizen: nothing of his may leave in Juana's export or go in her erasure."""
    return make_citizen("5587654321", "Pedro Gómez", "GOPP750505HDFMDR02")


@pytest.fixture
def supervisor(client: FlaskClient, make_agent) -> Agent:
    person = make_agent(email="sofia@cab.gob.mx", name="Sofía Supervisora", role="supervisor")
    response = client.post("/login", data={"email": person.email, "password": PASSWORD})
    assert response.status_code == 302
    return person


@pytest.fixture
def plain_agent(client: FlaskClient, make_agent) -> Agent:
    person = make_agent(email="ana@cab.gob.mx", role="agent")
    response = client.post("/login", data={"email": person.email, "password": PASSWORD})
    assert response.status_code == 302
    return person


@pytest.fixture
def assistant(monkeypatch: pytest.MonkeyPatch) -> ForgetfulBot:
    """The assistant the erase page talks to."""
    stand_in = ForgetfulBot()
    monkeypatch.setattr(services, "bot_for", lambda _config: stand_in)
    return stand_in


def audit_details(db: Session, action: str) -> list[dict[str, Any]]:
    return [
        event.details
        for event in db.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    ]
