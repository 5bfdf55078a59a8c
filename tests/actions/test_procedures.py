"""Answers from the catalog: the procedure from the message or from memory, menus by number."""

from __future__ import annotations

import asyncio

import pytest

from actions.answers import sms_segments
from actions.procedures import ActionAnswerProcedure, ActionSelectOption, ActionShowMenu
from tests.actions.conftest import make_tracker, user


def run(action, dispatcher, tracker):
    return asyncio.run(action.run(dispatcher, tracker, {}))


def texts(dispatcher):
    return [m["text"] for m in dispatcher.messages]


def slots(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_requirements_for_the_named_procedure(dispatcher):
    tracker = make_tracker(
        [
            user(
                "k necesito pa sacar el pasaporte",
                "ask_requirements",
                entities={"procedure": "pasaporte"},
            )
        ]
    )

    events = run(ActionAnswerProcedure(), dispatcher, tracker)

    [answer] = texts(dispatcher)
    assert answer.startswith("Pasaporte mexicano — requisitos\n• ")
    assert "acta de nacimiento" in answer
    assert "https://www.gob.mx/pasaporte" in answer
    assert slots(events) == {
        "procedure": "pasaporte",
        "topic": "requirements",
        "menu_context": None,
    }


def test_a_follow_up_on_cost_uses_the_remembered_procedure(dispatcher):
    tracker = make_tracker(
        [user("y cuanto cuesta?", "ask_cost")],
        slots={"procedure": "pasaporte", "topic": "requirements"},
    )

    run(ActionAnswerProcedure(), dispatcher, tracker)

    [answer] = texts(dispatcher)
    assert "$4,280" in answer and "2026" in answer
    # Discount amounts for 2026 are unknown: the citizen is sent to the official site.
    assert answer.endswith("Confírmalo en el sitio oficial: https://www.gob.mx/pasaporte")


def test_and_the_acta_repeats_the_last_question_about_the_new_procedure(dispatcher):
    tracker = make_tracker(
        [user("¿y el acta?", "inform_procedure", entities={"procedure": "acta"})],
        slots={"procedure": "pasaporte", "topic": "cost"},
    )

    events = run(ActionAnswerProcedure(), dispatcher, tracker)

    assert slots(events)["procedure"] == "acta_nacimiento"
    assert slots(events)["topic"] == "cost"
    assert "Acta" in texts(dispatcher)[0] or "acta" in texts(dispatcher)[0]


def test_a_typo_in_the_name_still_finds_the_procedure(dispatcher):
    tracker = make_tracker(
        [user("requisitos del pasaprote", "ask_requirements", entities={"procedure": "pasaprote"})]
    )

    events = run(ActionAnswerProcedure(), dispatcher, tracker)

    assert slots(events)["procedure"] == "pasaporte"


def test_an_unknown_procedure_gets_the_menu_not_a_guess(dispatcher):
    tracker = make_tracker(
        [
            user(
                "cuanto cuesta la licencia de manejo",
                "ask_cost",
                entities={"procedure": "licencia de manejo"},
            )
        ]
    )

    events = run(ActionAnswerProcedure(), dispatcher, tracker)

    assert texts(dispatcher)[0].startswith("No tengo información de ese trámite.")
    assert "1 Llave MX" in texts(dispatcher)[1]
    assert slots(events)["menu_context"] == "procedures"


def test_a_question_without_any_procedure_asks_which_and_remembers_the_question(dispatcher):
    tracker = make_tracker([user("cuanto cuesta", "ask_cost")])

    events = run(ActionAnswerProcedure(), dispatcher, tracker)

    assert texts(dispatcher)[0].startswith("¿Sobre qué trámite?")
    assert slots(events) == {"menu_context": "procedures", "topic": "cost"}


def test_a_number_after_the_menu_picks_the_procedure_and_answers_the_pending_question(
    dispatcher,
):
    tracker = make_tracker(
        [user("4", "select_option")], slots={"menu_context": "procedures", "topic": "cost"}
    )

    events = run(ActionSelectOption(), dispatcher, tracker)

    assert slots(events)["procedure"] == "pasaporte"
    assert "$1,795" in texts(dispatcher)[0]


def test_a_number_after_an_overview_picks_a_topic(dispatcher):
    tracker = make_tracker(
        [user("la 2", "select_option")], slots={"menu_context": "topics", "procedure": "curp"}
    )

    events = run(ActionSelectOption(), dispatcher, tracker)

    assert slots(events)["topic"] == "cost"
    assert texts(dispatcher)[0].startswith("CURP — costo\nGratis.")


def test_a_number_off_the_menu_shows_it_again(dispatcher):
    tracker = make_tracker([user("99", "select_option")], slots={"menu_context": "procedures"})

    run(ActionSelectOption(), dispatcher, tracker)

    assert texts(dispatcher)[0] == "Ese número no está en el menú."


def test_the_menu_lists_every_procedure_by_number_in_english_when_asked(dispatcher):
    tracker = make_tracker([user("menu", "help_menu")], slots={"language": "en"})

    events = run(ActionShowMenu(), dispatcher, tracker)

    menu = texts(dispatcher)[0]
    assert menu.startswith("Pick a number:")
    assert "4 Mexican passport" in menu and "15 Help phone lines" in menu
    assert slots(events) == {"menu_context": "procedures", "topic": None}


def test_answers_come_in_english_for_english_conversations(dispatcher):
    tracker = make_tracker(
        [user("how much is the passport", "ask_cost", entities={"procedure": "passport"})],
        slots={"language": "en"},
    )

    run(ActionAnswerProcedure(), dispatcher, tracker)

    assert texts(dispatcher)[0].startswith("Mexican passport — cost\n2026 fees")


@pytest.mark.parametrize("intent", ["ask_what", "ask_requirements", "ask_cost", "ask_where"])
def test_sms_answers_stay_within_three_segments_for_the_passport(dispatcher, intent):
    tracker = make_tracker(
        [user("pasaporte", intent, entities={"procedure": "pasaporte"}, channel="sms")]
    )

    run(ActionAnswerProcedure(), dispatcher, tracker)

    [answer] = texts(dispatcher)
    assert sms_segments(answer) <= 3
    assert "https://www.gob.mx/pasaporte" in answer


def test_status_questions_point_to_where_the_citizen_can_check(dispatcher):
    tracker = make_tracker(
        [user("ya depositaron la pension?", "ask_status", entities={"procedure": "pension"})],
        slots={"procedure": "pension_adultos_mayores"},
    )

    run(ActionAnswerProcedure(), dispatcher, tracker)

    answer = texts(dispatcher)[0]
    assert "No puedo ver pagos ni registros personales" in answer
    assert "800 639 4264" in answer


def test_a_problem_gets_what_to_do_and_the_offer_of_a_person(dispatcher):
    tracker = make_tracker(
        [user("ya hice mi llave mx pero nunca me llegó el código", "report_problem")]
    )

    events = run(ActionAnswerProcedure(), dispatcher, tracker)

    [answer] = texts(dispatcher)
    assert answer.startswith("Llave MX — No llega el correo o el código")
    assert "spam" in answer
    assert "¿Te paso con una persona del Centro? Responde «sí»." in answer
    assert slots(events) == {"procedure": "llave_mx", "topic": "problems", "menu_context": "person"}


def test_a_procedure_named_without_an_entity_is_still_the_one_answered(dispatcher):
    # Without the NLU resolver (a model trained before it), the action reads the text.
    tracker = make_tracker([user("oiga y cuanto cuesta el pasaporte de 10 años", "ask_cost")])

    run(ActionAnswerProcedure(), dispatcher, tracker)

    assert texts(dispatcher)[0].startswith("Pasaporte mexicano — costo")


def test_a_partial_name_that_fits_several_asks_which_of_those_only(dispatcher):
    tracker = make_tracker(
        [user("cuando depositan la pension", "ask_status", entities={"procedure": "pension"})]
    )

    events = run(ActionAnswerProcedure(), dispatcher, tracker)

    assert texts(dispatcher)[0] == "¿Cuál de estos? Escribe su número:"
    assert (
        texts(dispatcher)[1] == "8 Pensión Adultos Mayores\n9 Pensión Mujeres Bienestar (60 a 64)"
    )
    assert slots(events) == {"menu_context": "procedures", "topic": "status"}


def test_who_asks_can_settle_which_pension_is_meant(dispatcher):
    text = "my father is 70 and hasn't received his bienestar pension"
    tracker = make_tracker(
        [user(text, "report_problem", entities={"procedure": "bienestar pension"})]
    )

    events = run(ActionAnswerProcedure(), dispatcher, tracker)

    assert slots(events)["procedure"] == "pension_adultos_mayores"


def test_when_two_procedures_are_named_the_other_is_offered_in_a_line(dispatcher):
    text = "en la oficina de pasaportes me dijeron que mi acta tiene un error en la fecha"
    tracker = make_tracker([user(text, "report_problem", entities={"procedure": "acta"})])

    run(ActionAnswerProcedure(), dispatcher, tracker)

    [answer] = texts(dispatcher)
    assert answer.startswith("Acta de nacimiento en línea — ")
    assert "¿Preguntabas por Pasaporte mexicano? Escribe «Pasaporte»." in answer


def test_a_partial_name_is_settled_by_what_the_message_rules_out(dispatcher):
    text = "se puede cobrar la pension de mi abuelo si el no puede ir al banco"
    tracker = make_tracker([user(text, "ask_where", entities={"procedure": "pension"})])

    events = run(ActionAnswerProcedure(), dispatcher, tracker)

    assert slots(events)["procedure"] == "pension_adultos_mayores"


def test_a_programme_only_hinted_at_in_the_message_is_found_by_its_words(dispatcher):
    text = "se puede cobrar la pension d mi abuelo si el no puede ir al banco"
    tracker = make_tracker([user(text, "ask_where")])  # DIET marked nothing

    events = run(ActionAnswerProcedure(), dispatcher, tracker)

    assert slots(events)["procedure"] == "pension_adultos_mayores"


def test_a_slip_of_diet_is_never_answered_as_an_unknown_procedure(dispatcher):
    tracker = make_tracker([user("una pregunta de algo", "ask_what", entities={"procedure": "de"})])

    run(ActionAnswerProcedure(), dispatcher, tracker)

    assert texts(dispatcher)[0].startswith("¿Sobre qué trámite?")
