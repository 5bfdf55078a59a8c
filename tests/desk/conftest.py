"""Desk fixtures: every test runs once on SQLite and once on PostgreSQL.

Each test works inside a transaction that is rolled back; services that commit
only release a savepoint. Builders (make_conversation, make_case, …) keep tests short.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from desk import create_app
from desk.bot_client import BotReply, BotUnavailable
from desk.cli import upgrade_database
from desk.db import get_session, utcnow
from desk.models import Agent, Case, Conversation, Message
from desk.models import message as m
from desk.services import cases
from tests.support.postgres import temporary_schema, unreachable_reason

AUTH_TOKEN = "test-twilio-auth-token"
BASE_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PUBLIC_BASE_URL": "https://desk.example.test",
    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    "DESK_API_TOKEN": "test-desk-api-token",
    "RASA_TOKEN": "test-rasa-token",
    "WTF_CSRF_ENABLED": False,
    # Not the trained model of the checkout: a test that wants a shipped model makes one.
    "MODEL_FALLBACK_PATH": "/nonexistent/ventanilla.tar.gz",
}


def _migrated(url: str, instance: str) -> str:
    os.environ["DESK_INSTANCE_PATH"] = instance
    app = create_app(BASE_CONFIG | {"DATABASE_URL": url})
    with app.app_context():
        upgrade_database()
    app.extensions["desk.db"].kw["bind"].dispose()
    return url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("sqlite")
    return _migrated(f"sqlite:///{folder / 'desk.db'}", str(folder))


@pytest.fixture(scope="session")
def postgresql_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    reason = unreachable_reason()
    if reason and os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason}, and REQUIRE_POSTGRES=1 (CI) needs it")
    if reason:
        pytest.skip(reason)
    with temporary_schema("desk_test") as url:
        yield _migrated(url, str(tmp_path_factory.mktemp("pg")))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def app(database_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("DESK_INSTANCE_PATH", str(tmp_path))
    app = create_app(BASE_CONFIG | {"DATABASE_URL": database_url})
    engine = app.extensions["desk.db"].kw["bind"]
    connection = engine.connect()
    transaction = connection.begin()
    app.extensions["desk.db"] = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    with app.app_context():
        yield app
    transaction.rollback()
    connection.close()
    engine.dispose()


@pytest.fixture
def db(app: Flask) -> Session:
    """The session the app uses in this test (requests share the test's app context)."""
    return get_session()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- builders -------------------------------------------------------------------------


@pytest.fixture
def make_conversation(db: Session) -> Callable[..., Conversation]:
    counter = iter(range(1000, 10_000))

    def make(channel: str = "whatsapp", **fields: Any) -> Conversation:
        prefix = "whatsapp:" if channel == "whatsapp" else ""
        # A conversation exists because the citizen wrote: WhatsApp's window is open.
        fields.setdefault("last_inbound_at", utcnow())
        conversation = Conversation(
            channel=channel,
            citizen_address=fields.pop("citizen_address", f"{prefix}+52155500{next(counter)}"),
            desk_address=fields.pop("desk_address", f"{prefix}+525500000000"),
            **fields,
        )
        db.add(conversation)
        db.commit()
        return conversation

    return make


@pytest.fixture
def make_message(db: Session, make_conversation) -> Callable[..., Message]:
    def make(conversation: Conversation | None = None, **fields: Any) -> Message:
        fields.setdefault("direction", m.INBOUND)
        fields.setdefault("author", m.CITIZEN if fields["direction"] == m.INBOUND else m.BOT)
        fields.setdefault("body", "hola")
        if fields["direction"] == m.INBOUND:
            fields.setdefault("provider_sid", "SM" + uuid.uuid4().hex)
        message = Message(conversation=conversation or make_conversation(), **fields)
        db.add(message)
        db.commit()
        return message

    return make


@pytest.fixture
def make_case(db: Session, make_conversation) -> Callable[..., Case]:
    def make(
        conversation: Conversation | None = None,
        reason: str = "citizen_request",
        topic: str | None = None,
    ) -> Case:
        case, _ = cases.open_case(
            db, conversation or make_conversation(), reason=reason, topic=topic
        )
        db.commit()
        return case

    return make


@pytest.fixture
def make_agent(db: Session) -> Callable[..., Agent]:
    counter = iter(range(1, 1000))

    def make(email: str | None = None, password: str = "contraseña-segura", **fields: Any) -> Agent:
        agent = Agent(
            email=email or f"agente{next(counter)}@cab.gob.mx",
            name=fields.pop("name", "Ana Agente"),
            **fields,
        )
        agent.set_password(password)
        db.add(agent)
        db.commit()
        return agent

    return make


@pytest.fixture
def agent(make_agent) -> Agent:
    return make_agent(email="ana@cab.gob.mx", password="contraseña-segura")


@pytest.fixture
def logged_in(client: FlaskClient, agent: Agent) -> Agent:
    response = client.post("/login", data={"email": agent.email, "password": "contraseña-segura"})
    assert response.status_code == 302
    return agent


# --- stand-ins for the other side of the desk's doors ----------------------------------


@dataclass
class FakeBot:
    """Answers like the Rasa desk channel, or fails like an unreachable Rasa."""

    texts: list[str] = field(default_factory=lambda: ["¡Hola! ¿En qué te ayudo?"])
    intent: str = "greet"
    confidence: float = 0.97
    language: str | None = None
    down: bool = False
    paused: bool = False  # the turn handed the conversation to a person
    broken: Exception | None = None  # raised as is: a bug, not an unreachable Rasa
    sent: list[dict[str, Any]] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    on_send: Callable[[str], None] | None = None

    def send(
        self,
        sender: str,
        text: str,
        *,
        message_id: str,
        metadata: dict[str, Any],
        asked_before: bool = True,
    ) -> BotReply:
        if self.down:
            raise BotUnavailable("Rasa at http://127.0.0.1:5005 failed: ConnectionError")
        if self.broken is not None:
            raise self.broken
        self.sent.append(
            {
                "sender": sender,
                "text": text,
                "message_id": message_id,
                "metadata": metadata,
                "asked_before": asked_before,
            }
        )
        if self.on_send:
            self.on_send(sender)
        return BotReply(
            texts=list(self.texts),
            intent=self.intent,
            confidence=self.confidence,
            language=self.language,
            paused=self.paused,
        )

    def resume(self, sender: str) -> None:
        if self.down:
            raise BotUnavailable("Rasa unreachable")
        self.resumed.append(sender)


@pytest.fixture
def bot() -> FakeBot:
    return FakeBot()


def outbound_of(db: Session, conversation: Conversation) -> list[Message]:
    return list(
        db.scalars(
            sa.select(Message)
            .filter_by(conversation_id=conversation.id, direction=m.OUTBOUND)
            .order_by(Message.id)
        )
    )


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)
