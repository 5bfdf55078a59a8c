"""POST /webhooks/desk/forget: a citizen's erasure reaches the assistant's memory.

The channel is mounted on a Sanic app the way Rasa mounts it and driven through ASGI,
with a real Rasa Agent and real tracker stores (in memory, and the SQL store Ventanilla
deploys), so what is checked is what the store keeps afterwards.
"""

from __future__ import annotations

import asyncio
import json
import uuid
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage, register
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.core.tracker_store import (
        InMemoryTrackerStore,
        SerializedTrackerAsText,
        SQLTrackerStore,
        TrackerStore,
    )
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, UserUttered
    from sanic import Sanic
    from sanic.asgi import ASGIApp

    from bot.channels.desk import DeskInput

TOKEN = "the-rasa-token"
CITIZEN = "conversation-key-of-the-citizen"
SOMEONE_ELSE = "conversation-key-of-someone-else"

Scenario = Callable[[Callable[..., Awaitable[tuple[int, dict[str, Any]]]], Agent], Awaitable[None]]


async def _ignore(_message: UserMessage) -> None:
    raise AssertionError("forgetting runs no turn")


async def _with_channel(store: TrackerStore, scenario: Scenario) -> None:
    """Run ``scenario(post, agent)`` against the desk channel of a started Sanic app."""
    app = Sanic(f"forget_{uuid.uuid4().hex}")
    register([DeskInput(TOKEN)], app, "/webhooks/")
    domain = Domain.empty()
    agent = Agent(domain=domain, tracker_store=store, lock_store=InMemoryLockStore())
    app.ctx.agent = agent
    lifespan: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    started = asyncio.Event()

    async def lifespan_send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    await lifespan.put({"type": "lifespan.startup"})
    # Sanic 21.12's own __call__ mishandles the lifespan scope once it ends (it goes on
    # to serve it as a request), so the lifespan is driven through ASGIApp directly.
    app.asgi = True
    running = asyncio.create_task(
        ASGIApp.create(
            app, {"type": "lifespan", "asgi": {"version": "3.0"}}, lifespan.get, lifespan_send
        )
    )
    await asyncio.wait_for(started.wait(), timeout=30)

    async def post(
        path: str, payload: dict[str, Any], token: str | None = TOKEN
    ) -> tuple[int, dict[str, Any]]:
        body = json.dumps(payload).encode()
        headers = [(b"host", b"rasa"), (b"content-type", b"application/json")]
        headers.append((b"content-length", str(len(body)).encode()))
        if token is not None:
            headers.append((b"authorization", f"Bearer {token}".encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 40000),
            "server": ("rasa", 5005),
        }
        requests = [{"type": "http.request", "body": body, "more_body": False}]
        answer: dict[str, Any] = {"status": None, "body": b""}

        async def receive() -> dict[str, Any]:
            if requests:
                return requests.pop()
            await asyncio.sleep(3600)  # the client never disconnects first
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")

        await app(scope, receive, send)
        return answer["status"], json.loads(answer["body"] or b"{}")

    try:
        await scenario(post, agent)
    finally:
        await lifespan.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(running, timeout=30)


async def _remember(agent: Agent, sender: str, text: str) -> None:
    tracker = await agent.tracker_store.get_or_create_tracker(sender)
    tracker.update(UserUttered(text, intent={"name": "greet", "confidence": 1.0}))
    tracker.update(BotUttered("¡Hola! ¿En qué te ayudo?"))
    await agent.tracker_store.save(tracker)


async def _events(agent: Agent, sender: str) -> list[Any]:
    tracker = await agent.tracker_store.retrieve_full_tracker(sender)
    return [] if tracker is None else list(tracker.events)


@pytest.fixture(autouse=True)
def _many_sanic_apps(monkeypatch: pytest.MonkeyPatch) -> None:
    # Sanic rewrites its request handling at an app's start-up, once per process unless
    # in test mode; every test here starts an app of its own.
    monkeypatch.setattr(Sanic, "test_mode", True)


def _in_memory() -> TrackerStore:
    return InMemoryTrackerStore(Domain.empty())


def _sql(folder: Path) -> TrackerStore:
    # A whole URL, as bot/endpoints.py configures it for production.
    return SQLTrackerStore(Domain.empty(), host=f"sqlite:///{folder / 'tracker.db'}")


@pytest.mark.parametrize("token", [None, "a-guess"], ids=["no token", "wrong token"])
def test_forget_without_the_token_is_refused_and_the_tracker_stays(token):
    async def scenario(post, agent):
        await _remember(agent, CITIZEN, "Soy Juana Pérez, mi CURP es PEJJ800101MDFRRN01")

        status, answer = await post("/webhooks/desk/forget", {"sender": CITIZEN}, token=token)

        assert (status, answer) == (401, {"error": "invalid token"})
        assert len(await _events(agent, CITIZEN)) >= 2

    asyncio.run(_with_channel(_in_memory(), scenario))


@pytest.mark.parametrize("store", ["in memory", "sql"])
def test_forget_empties_the_citizens_tracker_and_no_one_elses(store, tmp_path):
    async def scenario(post, agent):
        await _remember(agent, CITIZEN, "Soy Juana Pérez, mi CURP es PEJJ800101MDFRRN01")
        await _remember(agent, SOMEONE_ELSE, "hola")

        status, answer = await post("/webhooks/desk/forget", {"sender": CITIZEN})

        assert (status, answer) == (200, {"status": "forgotten"})
        assert await _events(agent, CITIZEN) == []
        assert await agent.tracker_store.retrieve(CITIZEN) is None
        assert [e.text for e in await _events(agent, SOMEONE_ELSE) if e.type_name == "user"] == [
            "hola"
        ]

    chosen = _in_memory() if store == "in memory" else _sql(tmp_path)
    asyncio.run(_with_channel(chosen, scenario))


def test_the_sql_store_keeps_no_row_of_the_forgotten_conversation(tmp_path):
    sql = _sql(tmp_path)

    async def scenario(post, agent):
        await _remember(agent, CITIZEN, "mi teléfono es 55 1234 5678")

        status, _answer = await post("/webhooks/desk/forget", {"sender": CITIZEN})

        assert status == 200
        with sql.session_scope() as session:
            rows = session.query(sql.SQLEvent).filter(sql.SQLEvent.sender_id == CITIZEN).count()
        assert rows == 0

    asyncio.run(_with_channel(sql, scenario))


def test_forgetting_twice_is_no_error():
    async def scenario(post, agent):
        await _remember(agent, CITIZEN, "hola")

        first = await post("/webhooks/desk/forget", {"sender": CITIZEN})
        second = await post("/webhooks/desk/forget", {"sender": CITIZEN})

        assert first == second == (200, {"status": "forgotten"})

    asyncio.run(_with_channel(_in_memory(), scenario))


class ElsewhereTrackerStore(TrackerStore, SerializedTrackerAsText):
    """Stands for a store the channel has no delete for (Mongo, DynamoDB, a custom one)."""

    def __init__(self, domain: Domain) -> None:
        self.kept: dict[str, str] = {}
        super().__init__(domain)

    async def save(self, tracker: Any) -> None:
        self.kept[tracker.sender_id] = self.serialise_tracker(tracker)

    async def retrieve(self, sender_id: str) -> Any:
        raw = self.kept.get(sender_id)
        return None if raw is None else self.deserialise_tracker(sender_id, raw)

    async def retrieve_full_tracker(self, sender_id: str) -> Any:
        return await self.retrieve(sender_id)

    async def keys(self) -> Any:
        return self.kept.keys()


def test_a_store_it_cannot_delete_from_answers_501_so_the_desk_keeps_it_pending():
    async def scenario(post, agent):
        await _remember(agent, CITIZEN, "hola")

        status, _answer = await post("/webhooks/desk/forget", {"sender": CITIZEN})

        assert status == 501
        assert len(await _events(agent, CITIZEN)) >= 2

    asyncio.run(_with_channel(ElsewhereTrackerStore(Domain.empty()), scenario))


def test_forget_without_a_sender_is_a_400():
    async def scenario(post, _agent):
        assert (await post("/webhooks/desk/forget", {}))[0] == 400
        assert (await post("/webhooks/desk/forget", {"sender": ""}))[0] == 400

    asyncio.run(_with_channel(_in_memory(), scenario))
