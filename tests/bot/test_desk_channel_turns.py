"""POST /webhooks/desk/webhook: a turn runs once per message, and a first try costs no
extra read of the tracker.

The channel is driven through ASGI as in test_desk_channel_forget.py; the turn itself is
a stand-in that writes what Rasa's would (the user event with its message id, and the
answer), so what is checked is the channel's own bookkeeping.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from rasa.core.channels.channel import UserMessage
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, UserUttered

from tests.bot.test_desk_channel_forget import CITIZEN, _many_sanic_apps, _with_channel

__all__ = ["_many_sanic_apps"]  # the fixture, used here too


ANSWER = "El pasaporte de 10 años cuesta…"


class LoggedStore(InMemoryTrackerStore):
    """Notes each read of a tracker the channel makes (not those inside a turn)."""

    def __init__(self, log: list[str]) -> None:
        super().__init__(Domain.empty())
        self.log = log
        self.in_turn = False

    async def retrieve(self, sender_id: str) -> Any:
        if not self.in_turn:
            self.log.append("read")
        return await super().retrieve(sender_id)


def _turns(agent: Any, store: LoggedStore, log: list[str]) -> None:
    """Rasa's turn, as the channel meets it: events saved, the answer collected."""

    async def handle_message(message: UserMessage) -> None:
        log.append("turn")
        store.in_turn = True
        tracker = await store.get_or_create_tracker(message.sender_id)
        tracker.update(
            UserUttered(
                message.text,
                intent={"name": "ask_cost", "confidence": 0.9},
                message_id=message.message_id,
            )
        )
        tracker.update(BotUttered(ANSWER))
        await store.save(tracker)
        store.in_turn = False
        await message.output_channel.send_text_message(message.sender_id, ANSWER)

    agent.handle_message = handle_message
    agent.is_ready = lambda: True


def _run(payloads: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    log: list[str] = []
    store = LoggedStore(log)
    answers: list[dict[str, Any]] = []

    async def scenario(post, agent):
        _turns(agent, store, log)
        for payload in payloads:
            status, answer = await post("/webhooks/desk/webhook", payload)
            assert status == 200, answer
            answers.append(answer)
            log.append("|")

    asyncio.run(_with_channel(store, scenario))
    return log, answers


def _message(**fields: Any) -> dict[str, Any]:
    return {"sender": CITIZEN, "message": "cuanto cuesta el pasaporte", **fields}


def test_a_first_try_runs_the_turn_without_looking_for_an_earlier_answer():
    log, [answer] = _run([_message(message_id="41", asked_before=False)])

    assert log == ["turn", "read", "|"]  # the one read is the reply's (intent, slots)
    assert answer["repeated"] is False
    assert answer["intent"]["name"] == "ask_cost"


def test_a_message_asked_before_and_answered_is_not_run_again():
    first_try = _message(message_id="41", asked_before=False)
    log, [first, again] = _run([first_try, _message(message_id="41", asked_before=True)])

    assert log == ["turn", "read", "|", "read", "|"]
    assert again["repeated"] is True
    assert again["messages"] == first["messages"]


def test_without_the_field_the_channel_looks_first_as_the_safe_side():
    log, [_, again] = _run([_message(message_id="41"), _message(message_id="41")])

    assert log == ["read", "turn", "read", "|", "read", "|"]
    assert again["repeated"] is True
