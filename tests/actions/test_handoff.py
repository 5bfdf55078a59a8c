"""Handoff actions: a case in the desk, the folio to the citizen, the assistant paused."""

from __future__ import annotations

import asyncio

from actions.handoff import ActionAffirm, ActionFallback, ActionHandoff, previous_intent
from tests.actions.conftest import make_tracker, user


def run(action, dispatcher, tracker):
    return asyncio.run(action.run(dispatcher, tracker, {}))


def test_asking_for_a_person_opens_a_case_tells_the_folio_and_pauses(desk, dispatcher):
    tracker = make_tracker(
        [user("quiero hablar con un agente", "human_handoff")], slots={"procedure": "pasaporte"}
    )

    events = run(ActionHandoff(), dispatcher, tracker)

    assert desk.opened == [
        {"conversation": "conv-key", "reason": "citizen_request", "topic": "pasaporte"}
    ]
    assert dispatcher.messages[0]["response"] == "utter_handoff"
    assert dispatcher.messages[0]["folio"] == "CAB-2026-000007"
    assert events == [{"event": "pause", "timestamp": None}]


def test_when_the_desk_is_down_the_citizen_is_told_and_the_assistant_carries_on(desk, dispatcher):
    desk.down = True

    events = run(ActionHandoff(), dispatcher, make_tracker([user("agente", "human_handoff")]))

    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_failed"]
    assert events == []


def test_a_first_miss_asks_with_the_menu(desk, dispatcher):
    tracker = make_tracker([user("hola", "greet"), user("asdf qwer", "nlu_fallback", 0.2)])

    events = run(ActionFallback(), dispatcher, tracker)

    said = [m["text"] for m in dispatcher.messages]
    assert said[0] == "No estoy seguro de entenderte. ¿Es sobre alguno de estos trámites?"
    assert "1 Llave MX" in said[1]
    assert desk.opened == []
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "action_listen"}


def test_out_of_scope_twice_in_a_row_hands_off(desk, dispatcher):
    tracker = make_tracker(
        [user("cuentame un chiste", "out_of_scope"), user("y el clima?", "out_of_scope")]
    )

    run(ActionFallback(), dispatcher, tracker)

    assert desk.opened[0]["reason"] == "bot_fallback"


def test_a_complaint_opens_a_complaint_case(desk, dispatcher):
    tracker = make_tracker([user("me trataron pesimo en el modulo", "complaint")])

    run(ActionHandoff(), dispatcher, tracker)

    assert desk.opened[0]["reason"] == "complaint"
    assert dispatcher.messages[0]["response"] == "utter_handoff_complaint"


def test_a_second_miss_in_a_row_hands_off(desk, dispatcher):
    tracker = make_tracker(
        [
            user("asdf", "nlu_fallback", 0.2),
            {"event": "bot", "text": "Perdón, no te entendí."},
            user("zxcv", "nlu_fallback", 0.1),
        ]
    )

    events = run(ActionFallback(), dispatcher, tracker)

    assert desk.opened[0]["reason"] == "bot_fallback"
    assert events == [{"event": "pause", "timestamp": None}]


def test_misses_before_a_previous_handoff_do_not_count():
    tracker = make_tracker(
        [
            user("asdf", "nlu_fallback"),
            {"event": "pause"},
            {"event": "resume"},
            user("zxcv", "nlu_fallback"),
        ]
    )

    assert previous_intent(tracker) is None


def test_the_previous_intent_is_the_one_before_the_current_message():
    tracker = make_tracker([user("hola", "greet"), user("gracias", "thanks")])

    assert previous_intent(tracker) == "greet"


def test_a_citizen_fed_up_with_the_assistant_reaches_a_person_marked_as_such(desk, dispatcher):
    tracker = make_tracker([user("ya me cansé de este robot, páseme a alguien", "human_handoff")])

    run(ActionHandoff(), dispatcher, tracker)

    assert desk.opened[0]["reason"] == "frustration"
    assert dispatcher.messages[0]["folio"] == "CAB-2026-000007"


def test_yes_to_the_person_offered_after_a_problem_hands_off(desk, dispatcher):
    tracker = make_tracker(
        [user("sí", "affirm")], slots={"menu_context": "person", "procedure": "llave_mx"}
    )

    events = run(ActionAffirm(), dispatcher, tracker)

    assert desk.opened == [
        {"conversation": "conv-key", "reason": "citizen_request", "topic": "llave_mx"}
    ]
    assert events == [{"event": "pause", "timestamp": None}]


def test_yes_with_nothing_offered_asks_which_procedure(desk, dispatcher):
    run(ActionAffirm(), dispatcher, make_tracker([user("si", "affirm")]))

    assert desk.opened == []
    assert dispatcher.messages[0]["response"] == "utter_affirm"


def test_question_marks_after_an_answer_that_did_not_help_reach_a_person(desk, dispatcher):
    tracker = make_tracker([user("cuanto cuesta", "ask_cost"), user("y???", "nlu_fallback")])

    run(ActionFallback(), dispatcher, tracker)

    assert desk.opened[0]["reason"] == "bot_fallback"


def test_question_marks_as_a_first_message_get_the_menu(desk, dispatcher):
    run(ActionFallback(), dispatcher, make_tracker([user("???", "nlu_fallback")]))

    assert desk.opened == []
