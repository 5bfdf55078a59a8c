"""Builders for the dashboard's tests: cases and messages at chosen local times, and
people of each role signed in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from desk.dashboard.services import Period
from desk.models import Agent, Case, Conversation
from desk.models.case import LOCAL_TZ

PASSWORD = "contraseña-segura"
# A week of March 2026 (Mexico City keeps UTC-6 all year since 2022).
WEEK = Period(date(2026, 3, 1), date(2026, 3, 7))
# "Now" for the metrics that look at what is still pending: after the week.
AFTER = datetime(2026, 4, 1, 12, tzinfo=UTC)


def local(day: int, hour: int = 12, minute: int = 0, *, month: int = 3, year: int = 2026):
    """A Mexico City wall-clock time, as the aware UTC instant the desk stores."""
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ).astimezone(UTC)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@pytest.fixture
def add_case(db: Session, make_conversation) -> Callable[..., Case]:
    """A case with exactly the times given (the lifecycle service stamps 'now')."""

    def add(conversation: Conversation | None = None, **fields: Any) -> Case:
        fields.setdefault("opened_at", local(3))
        fields.setdefault("reason", "citizen_request")
        fields.setdefault("status", "new")
        fields.setdefault("priority", "normal")
        fields.setdefault("tags", [])
        case = Case(conversation=conversation or make_conversation(), **fields)
        db.add(case)
        db.commit()
        return case

    return add


@pytest.fixture
def sign_in(client: FlaskClient, make_agent) -> Callable[..., Agent]:
    def sign(role: str, **fields: Any) -> Agent:
        person = make_agent(role=role, password=PASSWORD, **fields)
        response = client.post("/login", data={"email": person.email, "password": PASSWORD})
        assert response.status_code == 302
        return person

    return sign
