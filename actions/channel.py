"""What the desk told Rasa about the message: the channel it came from."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.answers import Answer, for_channel


def channel(tracker: Tracker) -> str:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return (event.get("metadata") or {}).get("channel") or "whatsapp"
    return "whatsapp"


def send(dispatcher, tracker: Tracker, reply: Answer) -> None:  # type: ignore[no-untyped-def]
    """Utter an answer, fitted to WhatsApp or to SMS's segments."""
    for text in for_channel(reply, channel(tracker)):
        dispatcher.utter_message(text=text)
