"""Builders for prepared messages, and people with each role signed in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.models import Agent, CannedReply, Case, WhatsAppTemplate
from desk.models.agent import ADMIN, SUPERVISOR, TRAINER

SID = "HX" + "0123456789abcdef" * 2


@pytest.fixture
def make_canned(db: Session) -> Callable[..., CannedReply]:
    def make(shortcut: str, body_es: str, **fields: Any) -> CannedReply:
        reply = CannedReply(
            shortcut=shortcut,
            title=fields.pop("title", shortcut.replace("-", " ").capitalize()),
            body_es=body_es,
            body_en=fields.pop("body_en", ""),
            **fields,
        )
        db.add(reply)
        db.commit()
        return reply

    return make


@pytest.fixture
def make_template(db: Session) -> Callable[..., WhatsAppTemplate]:
    counter = iter(range(1, 1000))

    def make(body: str, variables: list[str], **fields: Any) -> WhatsAppTemplate:
        template = WhatsAppTemplate(
            name=fields.pop("name", f"plantilla_{next(counter)}"),
            content_sid=fields.pop("content_sid", SID),
            body=body,
            variables=variables,
            **fields,
        )
        db.add(template)
        db.commit()
        return template

    return make


@pytest.fixture
def make_case_on(db: Session, make_conversation, make_case) -> Callable[..., Case]:
    """A case whose citizen last wrote ``hours_ago`` (None: never) on ``channel``."""

    def make(
        channel: str = "whatsapp",
        hours_ago: float | None = 1,
        profile_name: str | None = "María López",
        language: str = "es",
    ) -> Case:
        conversation = make_conversation(
            channel,
            profile_name=profile_name,
            language=language,
            last_inbound_at=None if hours_ago is None else utcnow() - timedelta(hours=hours_ago),
        )
        return make_case(conversation)

    return make


def sign_in(
    client: FlaskClient, make_agent: Callable[..., Agent], role: str, **fields: Any
) -> Agent:
    person = make_agent(email=f"{role}@cab.gob.mx", role=role, **fields)
    response = client.post("/login", data={"email": person.email, "password": "contraseña-segura"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return person


@pytest.fixture
def admin(client: FlaskClient, make_agent) -> Agent:
    return sign_in(client, make_agent, ADMIN, name="Alma Admin")


@pytest.fixture
def supervisor(client: FlaskClient, make_agent) -> Agent:
    return sign_in(client, make_agent, SUPERVISOR, name="Sergio Supervisor")


@pytest.fixture
def trainer(client: FlaskClient, make_agent) -> Agent:
    return sign_in(client, make_agent, TRAINER, name="Teresa Entrenadora")
