"""The live feed under test: no background thread (each test looks when it wants, with
``live.poll()``) and a clock the test moves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from desk.live.feed import Feed
from desk.live.views import FEED
from desk.models import Agent


class FakeClock:
    """time.monotonic as the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeNow:
    """utcnow as the test says."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def wall() -> FakeNow:
    return FakeNow()


@pytest.fixture
def live(app: Flask, clock: FakeClock, wall: FakeNow) -> Feed:
    feed = Feed(app.extensions["desk.db"], autostart=False, clock=clock, now=wall)
    app.extensions[FEED] = feed
    # Streams that notice their end quickly and never wait for a real heartbeat.
    app.config.update(LIVE_TICK_SECONDS=0.01, LIVE_HEARTBEAT_SECONDS=60, LIVE_STREAM_SECONDS=2)
    feed.poll()  # its cursor starts here: what the test stores next is new
    return feed


@pytest.fixture
def sign_in(client: FlaskClient, make_agent) -> Callable[..., Agent]:
    def sign(role: str = "agent") -> Agent:
        person = make_agent(email=f"{role}@cab.gob.mx", role=role)
        response = client.post(
            "/login", data={"email": person.email, "password": "contraseña-segura"}
        )
        assert response.status_code == 302
        return person

    return sign


def chunks(response) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A streamed response's pieces, as the server writes them."""
    for chunk in response.response:
        yield chunk.decode() if isinstance(chunk, bytes) else chunk
