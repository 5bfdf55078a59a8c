"""What the desk channel tells the desk NLU understood of a message, read from the
tracker: the intent, its confidence, the model, and the procedure the citizen named."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.channels.desk import _reply

MODEL = "6c1f2a0e9d8b4c3aa1b2c3d4e5f60718"


def _said(text: str, message_id: str, intent: str, entities: list[dict]) -> UserUttered:
    return UserUttered(
        text,
        intent={"name": intent, "confidence": 0.87},
        entities=entities,
        message_id=message_id,
        metadata={"model_id": MODEL},
    )


def _tracker(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("conversation-key", list(events))


def _entity(value: str, start: int, end: int, entity: str = "procedure") -> dict:
    return {"entity": entity, "value": value, "start": start, "end": end}


def test_the_reply_names_the_procedure_nlu_found_beside_the_intent_and_model():
    tracker = _tracker(
        _said("cuánto cuesta el pasaporte", "7", "ask_cost", [_entity("pasaporte", 17, 26)]),
        BotUttered("El pasaporte de 3 años cuesta…"),
    )

    reply = _reply(tracker, "7", [])

    assert reply["intent"] == {"name": "ask_cost", "confidence": 0.87, "model": MODEL}
    assert reply["procedure"] == "pasaporte"


def test_the_procedure_is_the_normalized_value_not_the_words_the_citizen_wrote():
    tracker = _tracker(
        _said("requisitos de la curp", "7", "ask_requirements", [_entity("curp", 16, 21)])
    )

    assert _reply(tracker, "7", [])["procedure"] == "curp"


def test_the_procedure_is_that_of_the_message_asked_about_not_the_latest():
    tracker = _tracker(
        _said("requisitos del pasaporte", "7", "ask_requirements", [_entity("pasaporte", 15, 24)]),
        _said("gracias", "8", "thank", []),
    )

    assert _reply(tracker, "7", [], repeated=True)["procedure"] == "pasaporte"
    assert _reply(tracker, "8", [])["procedure"] is None


def test_other_entities_are_no_procedure():
    tracker = _tracker(
        _said(
            "mi folio es CAB-2026-000123",
            "7",
            "ask_case_status",
            [
                _entity("CAB-2026-000123", 12, 27, entity="folio"),
            ],
        )
    )

    assert _reply(tracker, "7", [])["procedure"] is None


def test_without_a_tracker_nothing_was_understood():
    reply = _reply(None, "7", [])

    assert (reply["intent"], reply["procedure"]) == ({}, None)
