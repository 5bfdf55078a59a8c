"""The procedure resolver: a message that names a catalog procedure is about it,
whatever intent DIET picked; without one, anger asks for a person and an age asks
what applies."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.resolver import ProcedureResolver, labelled, reconsider

RANKING = [{"name": "greet", "confidence": 0.4}, {"name": "out_of_scope", "confidence": 0.3}]


def diet_read(text: str, intent: str, entities: list[dict] | None = None) -> Message:
    """The message as DIET leaves it, before the resolver."""
    return Message(
        data={
            "text": text,
            "intent": {"name": intent, "confidence": 0.4},
            "intent_ranking": [{"name": intent, "confidence": 0.4}, *RANKING],
            "entities": entities or [],
        }
    )


def parse(text: str, intent: str, entities: list[dict] | None = None) -> Message:
    message = diet_read(text, intent, entities)
    ProcedureResolver({}).process([message])
    return message


@pytest.mark.parametrize(
    "text, diet_said, becomes",
    [
        ("hola buenas tardes, cuanto cuesta el pasaporte", "greet", "ask_cost"),
        ("ya hice mi llave mx pero nunca me llegó el código", "out_of_scope", "report_problem"),
        ("el sat me pide la constancia con mi rfc", "nlu_fallback", "inform_procedure"),
        ("que papeles piden pa la curp", "affirm", "ask_requirements"),
        ("gracias, y cuanto tarda la matricula consular?", "thanks", "ask_duration"),
    ],
)
def test_an_intent_that_would_ignore_the_named_procedure_gives_way_to_its_topic(
    text, diet_said, becomes
):
    message = parse(text, diet_said)

    assert message.get("intent")["name"] == becomes
    assert message.get("resolver") == {"intent": diet_said, "became": becomes}


def test_when_diet_hesitated_between_questions_its_best_guess_about_the_procedure_wins():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "ask_where", "confidence": 0.45},
        {"name": "ask_what", "confidence": 0.4},
    ]

    assert reconsider("pasaporte de mi hijo", "nlu_fallback", ranking, True) == "ask_where"


@pytest.mark.parametrize(
    "intent", ["ask_cost", "report_problem", "human_handoff", "complaint", "ask_case_status"]
)
def test_questions_about_it_and_requests_for_a_person_are_left_alone(intent):
    assert reconsider("el pasaporte, ya me cansé", intent, RANKING, True) is None


def test_the_named_procedure_becomes_the_entity_where_diet_found_none():
    message = parse("hola, mi concesión de conagua ya caducó ¿qué hago?", "greet")

    [entity] = message.get("entities")
    assert entity["value"] == "conagua"
    assert message.get("text")[entity["start"] : entity["end"]] == "conagua"


def test_the_name_the_catalog_knows_comes_before_words_diet_marked_wrongly():
    text = "ya tengo mi llave mx pero no me llega el codigo"
    wrong = {"entity": "procedure", "value": "codigo", "start": 41, "end": 47}

    message = parse(text, "report_problem", [wrong])

    # The actions read the first; DIET's own guess stays, to be scored as DIET's.
    assert [e["value"] for e in message.get("entities")] == ["llave_mx", "codigo"]


def test_of_several_procedures_the_one_asked_about_comes_first():
    text = "does my son need llave mx for the benito juarez grant"
    llave = {"entity": "procedure", "value": "llave_mx", "start": 17, "end": 25}

    message = parse(text, "ask_requirements", [llave])

    assert [e["value"] for e in message.get("entities")] == ["beca_benito_juarez", "llave_mx"]


def test_a_partial_name_that_fits_one_procedure_alone_is_that_procedure():
    text = "vamos a poner una purificadora, que permiso federal necesito para el pozo"
    partial = {"entity": "procedure", "value": "permiso federal", "start": 36, "end": 51}

    message = parse(text, "ask_requirements", [partial])

    assert message.get("entities")[0]["value"] == "conagua"


def test_a_procedure_diet_found_is_kept():
    found = {"entity": "procedure", "value": "pasaporte", "start": 20, "end": 29}

    message = parse("necesito el acta para el pasaporte", "ask_requirements", [found])

    assert message.get("entities") == [found]


@pytest.mark.parametrize(
    "text", ["ya me cansé de este robot, páseme a alguien", "no sirves para nada", "eres un inútil"]
)
def test_anger_without_a_procedure_asks_for_a_person(text):
    assert reconsider(text, "nlu_fallback", RANKING, False) == "human_handoff"


def test_asking_whether_we_are_human_is_not_anger_but_asking_for_one_is():
    assert reconsider("eres un humano?", "bot_challenge", RANKING, False) is None
    assert reconsider("eres un robot inútil", "bot_challenge", RANKING, False) == "human_handoff"
    assert reconsider("hay alguien de verdad ahi?", "bot_challenge", RANKING, False) == (
        "human_handoff"
    )


@pytest.mark.parametrize("text", ["???", "y???", "huh??", "¿¿qué??"])
def test_question_marks_with_next_to_nothing_are_a_miss(text):
    assert reconsider(text, "affirm", RANKING, False) == "nlu_fallback"
    assert reconsider(text, "nlu_fallback", RANKING, False) is None


def test_an_age_with_a_relative_asks_what_applies():
    assert reconsider("mi abuelo ya tiene 66 y no recibe nada", "ask_status", RANKING, False) == (
        "ask_eligibility"
    )


def test_a_message_about_nothing_in_the_catalog_is_left_to_diet():
    assert reconsider("cuanto cuesta la licencia de manejo", "ask_cost", RANKING, False) is None
    assert parse("cuanto cuesta la licencia de manejo", "ask_cost").get("entities") == []


@pytest.mark.parametrize("text", ["6", "la 13", "opción 2", "4.", "el número 12"])
def test_a_bare_number_answers_the_last_menu(text):
    assert reconsider(text, "greet", RANKING, False) == "select_option"


@pytest.mark.parametrize(
    "text, diet_said",
    [
        ("quiero información de teléfono de atención", "human_handoff"),
        ("quiero información de teléfono de atención", "complaint"),
        ("quiero información de la curp certificada", "ask_case_status"),
    ],
)
def test_a_guess_without_the_words_that_make_it_gives_way_to_the_named_procedure(text, diet_said):
    assert reconsider(text, diet_said, RANKING, True) == "inform_procedure"


def test_asking_for_a_person_about_a_procedure_is_still_asking_for_a_person():
    text = "quiero hablar con una persona sobre mi pasaporte"

    assert reconsider(text, "human_handoff", RANKING, True) is None


def test_a_lone_word_diet_marks_as_a_procedure_by_mistake_is_dropped():
    slip = {"entity": "procedure", "value": "de", "start": 14, "end": 16}

    message = parse("una pregunta de algo", "ask_what", [slip])

    assert message.get("entities") == []


def test_a_message_a_trainer_labelled_reads_as_labelled_whatever_the_rules_say():
    text = "ya cayo la beca de los de secundaria?"
    assert reconsider(text, "ask_status", RANKING, False) == "ask_eligibility"  # the rule
    taught = ProcedureResolver({}, labels=labelled([(text, "ask_status")]))
    message = diet_read("Ya cayó la beca de los de secundaria??", "ask_status")

    taught.process([message])

    assert message.get("intent")["name"] == "ask_status"


def test_a_labelled_message_diet_misreads_gets_its_label():
    taught = ProcedureResolver({}, labels=labelled([("me urge mi acta", "ask_requirements")]))
    message = diet_read("me urge mi acta", "greet")

    taught.process([message])

    assert message.get("intent")["name"] == "ask_requirements"
    assert message.get("resolver") == {"intent": "greet", "became": "ask_requirements"}


def test_a_text_labelled_two_ways_is_left_to_diet_and_the_rules():
    labels = labelled([("hola", "greet"), ("Hola!", "affirm"), ("gracias", "thanks")])

    assert labels == {"gracias": "thanks"}


def test_the_labels_are_learnt_with_the_model_and_loaded_with_it(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("resolver")
    context = ExecutionContext(GraphSchema({}), "model")
    data = TrainingData(
        [Message(data={"text": "mi abuelo ya tiene 66 y no recibe nada", "intent": "ask_status"})]
    )
    ProcedureResolver.create({}, storage, resource, context).train(data)

    loaded = ProcedureResolver.load({}, storage, resource, context)
    message = diet_read("mi abuelo ya tiene 66 y no recibe nada", "ask_status")
    loaded.process([message])

    assert message.get("intent")["name"] == "ask_status"  # not ask_eligibility


def test_a_model_trained_before_labels_were_learnt_still_loads_with_the_rules(tmp_path):
    context = ExecutionContext(GraphSchema({}), "model")

    loaded = ProcedureResolver.load({}, LocalModelStorage(tmp_path), Resource("old"), context)
    message = diet_read("mi abuelo ya tiene 66 y no recibe nada", "ask_status")
    loaded.process([message])

    assert message.get("intent")["name"] == "ask_eligibility"
