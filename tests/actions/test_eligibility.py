"""Programmes by situation: the person's age, sex, school and land, read from the message,
against the catalog's eligibility rules."""

from __future__ import annotations

import asyncio

import pytest

from actions.catalog import catalog
from actions.eligibility import ActionCheckEligibility
from actions.situation import FEMALE, IF_WOMAN, MALE, UPPER_SECONDARY, YES, fits, read_situation
from tests.actions.conftest import make_tracker, user


@pytest.mark.parametrize(
    "said, age, turning, sex",
    [
        ("mi suegra va a cumplir 64, ¿a qué tiene derecho?", 63, 64, FEMALE),
        ("mi abuelo ya tiene 66 y no recibe nada", 66, None, MALE),
        ("tengo 61 años soy mujer que apoyo me toca", 61, None, FEMALE),
        ("mi mamá tiene sesenta y dos", 62, None, FEMALE),
        ("my grandpa is 68, what can he get", 68, None, MALE),
        ("my mom is turning sixty five", 64, 65, FEMALE),
        ("mi papá cumplió 65 el mes pasado", 65, None, MALE),
        ("tengo 2 hijos y no tengo trabajo", None, None, None),
    ],
)
def test_age_and_sex_come_from_the_message(said, age, turning, sex):
    person = read_situation(said).person

    assert (person.age, person.turning, person.sex) == (age, turning, sex)


@pytest.mark.parametrize(
    "said",
    [
        "mi sobrino entró al conalep, ¿hay apoyo?",
        "mi hija va en la prepa",
        "my son is in high school",
    ],
)
def test_upper_secondary_schools_are_recognised_by_their_names(said):
    assert read_situation(said).school == UPPER_SECONDARY


def programme(slug):
    return catalog().get(slug)


def test_a_woman_of_63_fits_mujeres_bienestar_and_not_the_older_adults_pension():
    situation = read_situation("mi mamá tiene 63")

    assert fits(programme("pension_mujeres"), situation) == YES
    assert fits(programme("pension_adultos_mayores"), situation) is None


def test_when_the_sex_is_unknown_mujeres_bienestar_fits_only_if_she_is_a_woman():
    assert fits(programme("pension_mujeres"), read_situation("tengo 62 años")) == IF_WOMAN


def test_a_man_of_62_fits_no_pension():
    situation = read_situation("mi papá tiene 62")

    assert fits(programme("pension_mujeres"), situation) is None
    assert fits(programme("pension_adultos_mayores"), situation) is None


def test_living_abroad_rules_out_the_pensions():
    situation = read_situation("mi abuela tiene 70 y vive en estados unidos")

    assert fits(programme("pension_adultos_mayores"), situation) is None


def run(tracker, dispatcher):
    return asyncio.run(ActionCheckEligibility().run(dispatcher, tracker, {}))


def test_a_relative_about_to_turn_64_gets_the_programme_named_first(dispatcher):
    tracker = make_tracker(
        [user("mi suegra va a cumplir 64, ¿a qué tiene derecho?", "ask_eligibility")]
    )

    events = run(tracker, dispatcher)

    [answer] = [m["text"] for m in dispatcher.messages]
    assert answer.startswith("Pensión Mujeres Bienestar (60 a 64): le corresponde a tu suegra")
    assert {
        "event": "slot",
        "timestamp": None,
        "name": "procedure",
        "value": "pension_mujeres",
    } in (events)


def test_turning_65_soon_names_the_older_adults_pension_too(dispatcher):
    tracker = make_tracker([user("mi mamá cumple 65 la próxima semana", "ask_eligibility")])

    run(tracker, dispatcher)

    answer = dispatcher.messages[0]["text"]
    assert "Pensión Mujeres Bienestar" in answer
    assert "Pensión Adultos Mayores: le corresponderá a tu mamá al cumplir 65." in answer


def test_a_student_in_conalep_gets_the_benito_juarez_grant(dispatcher):
    run(
        make_tracker([user("mi sobrino entró al conalep, ¿hay apoyo?", "ask_eligibility")]),
        dispatcher,
    )

    assert dispatcher.messages[0]["text"].startswith("Beca Benito Juárez")


def test_when_nothing_fits_the_answer_says_so_plainly(dispatcher):
    events = run(
        make_tracker([user("tengo 40 años que apoyo me dan", "ask_eligibility")]), dispatcher
    )

    answer = dispatcher.messages[0]["text"]
    assert "ninguno de los programas del Bienestar que conozco te corresponde" in answer
    assert "Pensión" not in answer
    assert events == [{"event": "slot", "timestamp": None, "name": "menu_context", "value": None}]


def test_without_an_age_or_a_school_the_assistant_asks_for_them(dispatcher):
    run(make_tracker([user("a qué programas tengo derecho", "ask_eligibility")]), dispatcher)

    assert dispatcher.messages[0]["text"].startswith("Para decirte qué programas")


def test_english_conversations_are_answered_in_english_and_short_on_sms(dispatcher):
    tracker = make_tracker(
        [user("my grandpa is 68, what can he get", "ask_eligibility", channel="sms")],
        slots={"language": "en"},
    )

    run(tracker, dispatcher)

    answer = dispatcher.messages[0]["text"]
    assert answer.startswith(catalog().get("pension_adultos_mayores").short_name("en"))
    assert "your grandfather qualifies (aged 68)" in answer


def test_two_people_in_one_message_are_each_read():
    people = read_situation("mis abuelos: él 65 recién cumplidos y ella 63").people

    assert [(p.age, p.sex) for p in people] == [(65, MALE), (63, FEMALE)]


@pytest.mark.parametrize(
    "said, age",
    [
        ("Mi papa ya llego a los sesenta y ocho y no cobra nada", 68),
        ("mi papá 70 y mi mamá 62", 70),
        ("mi mamá nació en 1960", None),  # computed from today's year: checked below
    ],
)
def test_ages_come_in_many_shapes(said, age):
    person = read_situation(said).person
    if age is None:
        assert 60 < person.age < 80
    else:
        assert person.age == age


def test_each_person_gets_the_programme_that_fits_them(dispatcher):
    run(
        make_tracker([user("mis abuelos: él 65 recién cumplidos y ella 63", "ask_eligibility")]),
        dispatcher,
    )

    answer = dispatcher.messages[0]["text"]
    assert "Pensión Adultos Mayores: le corresponde a él (65 años)" in answer
    assert "Pensión Mujeres Bienestar (60 a 64): le corresponde a ella (63 años)" in answer


def test_a_question_about_a_document_is_answered_about_the_document(dispatcher):
    tracker = make_tracker(
        [user("soy extranjero con residencia, puedo sacar el rfc con mi curp?", "ask_eligibility")]
    )

    run(tracker, dispatcher)

    assert dispatcher.messages[0]["text"].startswith("RFC con CURP")


def test_a_programme_named_without_who_asks_gets_who_it_is_for(dispatcher):
    tracker = make_tracker([user("quien puede entrar a sembrando vida?", "ask_eligibility")])

    run(tracker, dispatcher)

    assert dispatcher.messages[0]["text"].startswith("Sembrando Vida: ")


def test_old_age_without_a_number_names_the_pensions_by_age_and_asks_it(dispatcher):
    run(
        make_tracker([user("mi papá ya es de la tercera edad, le toca algo?", "ask_eligibility")]),
        dispatcher,
    )

    answer = dispatcher.messages[0]["text"]
    assert answer.startswith("Pensión Adultos Mayores: Personas de 65 años o más")
    assert "Mujeres Bienestar (60 a 64):" not in answer  # he is a man
    assert "¿Qué edad tiene?" in answer
