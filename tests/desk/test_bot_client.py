"""The desk's client for Rasa, against a local HTTP stand-in for the Rasa server."""

from __future__ import annotations

import pytest

from desk.bot_client import BotClient, BotUnavailable
from tests.support.json_standin import JsonStandIn


@pytest.fixture
def rasa():
    answer = {
        "status": 200,
        "body": {
            "messages": [
                {"recipient_id": "k", "text": "¡Hola!"},
                {"recipient_id": "k", "image": "x.png"},
            ],
            "intent": {"name": "greet", "confidence": 0.91},
            "language": "es",
        },
    }
    server = JsonStandIn(lambda method, path, headers, body: (answer["status"], answer["body"]))
    server.answer = answer
    yield server
    server.stop()


def test_send_posts_to_the_desk_channel_with_the_token_and_reads_the_parse(rasa):
    client = BotClient(rasa.url, "rasa-token")

    reply = client.send("conv-key", "¡Hola!", message_id="7", metadata={"channel": "sms"})

    [call] = rasa.calls
    assert call["path"] == "/webhooks/desk/webhook"
    assert call["auth"] == "Bearer rasa-token"
    assert call["json"] == {
        "sender": "conv-key",
        "message": "¡Hola!",
        "message_id": "7",
        "metadata": {"channel": "sms"},
    }
    assert reply.texts == ["¡Hola!"]
    assert (reply.intent, reply.confidence, reply.language) == ("greet", 0.91, "es")


def test_resume_posts_resume_and_the_missing_listen_with_the_api_token(rasa):
    BotClient(rasa.url, "rasa-token").resume("conv-key")

    [call] = rasa.calls
    assert call["path"] == "/conversations/conv-key/tracker/events?token=rasa-token"
    assert call["json"] == [{"event": "resume"}, {"event": "action", "name": "action_listen"}]


def test_a_server_error_means_unavailable(rasa):
    rasa.answer["status"] = 500

    with pytest.raises(BotUnavailable, match="500"):
        BotClient(rasa.url, "t").send("k", "hola", message_id="1", metadata={})


def test_a_closed_port_means_unavailable():
    with pytest.raises(BotUnavailable, match="unreachable"):
        BotClient("http://127.0.0.1:9", "t", timeout=2).send(
            "k", "hola", message_id="1", metadata={}
        )
