"""Language: decided by the first clear message, switched only on request."""

from __future__ import annotations

import asyncio

import pytest

from actions.language import ActionSetLanguage, detect
from tests.actions.conftest import make_tracker, user


def run(tracker, dispatcher):
    return asyncio.run(ActionSetLanguage().run(dispatcher, tracker, {}))


@pytest.mark.parametrize(
    "text, language",
    [
        ("hola k necesito pa sacar el pasaporte", "es"),
        ("how much is the passport", "en"),
        ("hi", "en"),
        ("ok", None),
        ("1", None),
    ],
)
def test_detection(text, language):
    assert detect(text) == language


def test_the_first_clear_message_sets_the_language(dispatcher):
    events = run(
        make_tracker([user("hello, what do i need for the passport", "ask_requirements")]),
        dispatcher,
    )

    assert events == [{"event": "slot", "timestamp": None, "name": "language", "value": "en"}]


def test_an_unclear_first_message_leaves_it_open(dispatcher):
    assert run(make_tracker([user("ok", "affirm")]), dispatcher) == []


def test_once_set_it_does_not_drift(dispatcher):
    tracker = make_tracker([user("thanks", "thanks")], slots={"language": "es"})

    assert run(tracker, dispatcher) == []


@pytest.mark.parametrize(
    "text, entity, language",
    [
        ("english please", "en", "en"),
        ("en español porfa", "es", "es"),
        ("can we speak inglish", None, "en"),
    ],
)
def test_asking_switches(dispatcher, text, entity, language):
    tracker = make_tracker(
        [user(text, "change_language", entities={"language": entity} if entity else None)],
        slots={"language": "es" if language == "en" else "en"},
    )

    events = run(tracker, dispatcher)

    assert events[0]["value"] == language
