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
        "asked_before": True,  # unless the caller knows better: the channel checks
    }
    assert reply.texts == ["¡Hola!"]
    assert (reply.intent, reply.confidence, reply.language) == ("greet", 0.91, "es")


def test_resume_goes_through_the_desk_channel_with_the_token_in_a_header(rasa):
    BotClient(rasa.url, "rasa-token").resume("conv-key")

    [call] = rasa.calls
    assert call["path"] == "/webhooks/desk/resume"  # no token in any URL
    assert call["auth"] == "Bearer rasa-token"
    assert call["json"] == {"sender": "conv-key"}


def test_a_server_error_means_unavailable_and_never_quotes_the_answer(rasa):
    rasa.answer["status"] = 500

    with pytest.raises(BotUnavailable, match="500") as raised:
        BotClient(rasa.url, "t").send("k", "hola", message_id="1", metadata={})

    assert "¡Hola!" not in str(raised.value)


def test_a_closed_port_means_unavailable():
    with pytest.raises(BotUnavailable, match="no Rasa server reachable"):
        BotClient("http://127.0.0.1:9", "t", timeout=2).send(
            "k", "hola", message_id="1", metadata={}
        )


def test_an_answer_of_the_wrong_shape_means_unavailable(rasa):
    rasa.answer["body"] = {"messages": "not a list"}

    with pytest.raises(BotUnavailable, match="wrong shape"):
        BotClient(rasa.url, "t").send("k", "hola", message_id="1", metadata={})


def test_paused_and_repeated_turns_are_read(rasa):
    rasa.answer["body"] |= {"paused": True, "repeated": True}

    reply = BotClient(rasa.url, "t").send("k", "hola", message_id="1", metadata={})

    assert reply.paused and reply.repeated


def test_the_procedure_nlu_found_is_read(rasa):
    rasa.answer["body"] |= {"procedure": "pasaporte"}

    reply = BotClient(rasa.url, "t").send("k", "el pasaporte", message_id="1", metadata={})

    assert reply.procedure == "pasaporte"


def test_a_bot_that_names_no_procedure_still_answers(rasa):
    """Rasa servers from before the field, and messages that name no procedure."""
    reply = BotClient(rasa.url, "t").send("k", "hola", message_id="1", metadata={})

    assert reply.procedure is None and reply.texts == ["¡Hola!"]


@pytest.mark.parametrize(
    ("given", "kept"),
    [("", None), ({"value": "curp"}, None), ("x" * 80, "x" * 64), (" curp ", "curp")],
)
def test_a_procedure_of_an_odd_shape_is_kept_only_as_a_short_text(rasa, given, kept):
    rasa.answer["body"] |= {"procedure": given}

    assert BotClient(rasa.url, "t").send("k", "hola", message_id="1", metadata={}).procedure == kept


def test_each_conversation_keeps_to_one_server_and_moves_when_it_is_down():
    answers = {"status": 200, "body": {"messages": []}}
    first = JsonStandIn(lambda *args: (answers["status"], answers["body"]))
    second = JsonStandIn(lambda *args: (answers["status"], answers["body"]))
    try:
        client = BotClient(f"{first.url}, {second.url}", "t")
        keys = [f"conversation-{i}" for i in range(40)]
        homes = {key: client.server_for(key)[0] for key in keys}
        for key in keys:
            for _ in range(3):
                client.send(key, "hola", message_id="1", metadata={})
        by_server = {first.url: first, second.url: second}
        for key in keys:
            senders = {call["json"]["sender"] for call in by_server[homes[key]].calls}
            assert key in senders
            other = second if homes[key] == first.url else first
            assert key not in {call["json"]["sender"] for call in other.calls}
        assert set(homes.values()) == {first.url, second.url}  # both get a share

        first.stop()
        moved = next(key for key in keys if homes[key] == first.url)
        client.send(moved, "hola", message_id="2", metadata={})
        assert moved in {call["json"]["sender"] for call in second.calls}
    finally:
        second.stop()


def test_a_failure_never_quotes_credentials_from_the_url():
    client = BotClient("http://rasa-user:s3cret-pass@127.0.0.1:9", "the-token", timeout=2)

    with pytest.raises(BotUnavailable) as raised:
        client.send("k", "hola", message_id="1", metadata={})

    text = str(raised.value)
    assert "s3cret-pass" not in text and "the-token" not in text
    assert "127.0.0.1:9" in text


def test_every_worker_thread_keeps_its_own_connection_to_rasa():
    client = BotClient("http://rasa.internal:5005", "token", connections=24)

    # requests keeps ten by default: the sixteen inbound threads reconnected on most calls.
    assert client.http.get_adapter("http://rasa.internal:5005")._pool_maxsize == 24
    assert client.http.get_adapter("https://rasa.internal")._pool_maxsize == 24
