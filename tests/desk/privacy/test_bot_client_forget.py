"""The desk asks the Rasa desk channel to forget a conversation, with its token."""

from __future__ import annotations

import pytest

from desk.bot_client import BotClient, BotUnavailable
from tests.support.json_standin import JsonStandIn


@pytest.fixture
def rasa():
    answer = {"status": 200, "body": {"status": "forgotten"}}
    server = JsonStandIn(lambda method, path, headers, body: (answer["status"], answer["body"]))
    server.answer = answer
    yield server
    server.stop()


def test_forget_posts_the_sender_to_the_desk_channel_with_the_token_in_a_header(rasa):
    BotClient(rasa.url, "rasa-token").forget("conv-key")

    [call] = rasa.calls
    assert call["path"] == "/webhooks/desk/forget"
    assert call["auth"] == "Bearer rasa-token"
    assert call["json"] == {"sender": "conv-key"}


@pytest.mark.parametrize("status", [401, 501, 503, 500])
def test_a_tracker_rasa_did_not_forget_is_unavailable(rasa, status):
    rasa.answer.update(status=status, body={"error": "x"})

    with pytest.raises(BotUnavailable, match=str(status)):
        BotClient(rasa.url, "rasa-token").forget("conv-key")
