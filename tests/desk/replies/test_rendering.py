"""Canned replies and templates filled with the case's own words."""

from __future__ import annotations

import pytest

from desk.models import CannedReply, WhatsAppTemplate
from desk.replies.rendering import (
    MissingVariable,
    TemplateError,
    canned_text,
    fields_of,
    search_canned,
    template_message,
    template_preview,
)

GREETING = CannedReply(
    shortcut="saludo",
    title="Saludo",
    body_es="Hola {nombre}, soy {agente}. Tu folio es {folio}.",
    body_en="Hi {nombre}, I'm {agente}. Your case number is {folio}.",
    active=True,
)


def test_a_canned_reply_is_filled_with_the_citizens_name_the_folio_and_the_agent(
    make_case_on, agent
):
    case = make_case_on(profile_name="María López")

    text = canned_text(GREETING, case, agent)

    assert text == f"Hola María López, soy Ana Agente. Tu folio es {case.folio}."


def test_a_missing_name_leaves_no_gap_behind(make_case_on, agent):
    case = make_case_on(profile_name=None)
    replies = [
        ("Hola {nombre}, ¿en qué te ayudo?", "Hola, ¿en qué te ayudo?"),
        ("¡Gracias, {nombre}!", "¡Gracias!"),
        ("{nombre}, tu trámite va bien.", "tu trámite va bien."),
        ("¡Hola {nombre}!\nTu folio es {folio}.", f"¡Hola!\nTu folio es {case.folio}."),
    ]

    filled = [
        canned_text(CannedReply(body_es=body, body_en=""), case, agent) for body, _ in replies
    ]

    assert filled == [expected for _, expected in replies]


def test_a_name_with_odd_spacing_is_tidied(make_case_on, agent):
    case = make_case_on(profile_name="  María \n López ")

    assert canned_text(GREETING, case, agent).startswith("Hola María López, soy")


def test_an_english_conversation_gets_the_english_text(make_case_on, agent):
    case = make_case_on(profile_name="John", language="en")

    assert canned_text(GREETING, case, agent) == (
        f"Hi John, I'm Ana Agente. Your case number is {case.folio}."
    )


def test_an_english_conversation_gets_spanish_when_there_is_no_english_text(make_case_on, agent):
    case = make_case_on(profile_name="John", language="en")
    spanish_only = CannedReply(body_es="Hola {nombre}.", body_en="   ")

    assert canned_text(spanish_only, case, agent) == "Hola John."


def canned(shortcut: str, title: str, body: str, active: bool = True) -> CannedReply:
    return CannedReply(shortcut=shortcut, title=title, body_es=body, body_en="", active=active)


LIBRARY = [
    canned("horario", "Horario de atención", "Atendemos de lunes a viernes de 9 a 18 h."),
    canned("curp", "Trámite de CURP", "La CURP se descarga gratis en gob.mx/curp."),
    canned("cita-pasaporte", "Cita de pasaporte", "Agenda tu cita en citas.sre.gob.mx."),
    canned("horario-viejo", "Horario anterior", "De 8 a 14 h.", active=False),
    canned("despedida", "Despedida", "Gracias por escribir; tu trámite queda resuelto."),
]


@pytest.mark.parametrize(
    "query, shortcuts",
    [
        ("", ["cita-pasaporte", "curp", "despedida", "horario"]),
        ("/hor", ["horario"]),  # the inactive one is never offered
        ("cu", ["curp"]),
        ("pasaporte", ["cita-pasaporte"]),
        ("tramite", ["curp", "despedida"]),  # without the accent; title before body
        ("TRÁMITE curp", ["curp"]),  # every word, any case
        ("gob.mx", ["cita-pasaporte", "curp"]),
        ("nada-parecido", []),
    ],
)
def test_canned_replies_are_found_by_shortcut_title_or_text(query, shortcuts):
    assert [reply.shortcut for reply in search_canned(LIBRARY, query)] == shortcuts


def test_a_shortcut_that_starts_with_the_query_comes_first():
    found = search_canned(LIBRARY, "c")

    assert [reply.shortcut for reply in found][:2] == ["cita-pasaporte", "curp"]


def test_the_search_returns_at_most_the_limit():
    many = [canned(f"r{n:02d}", f"Respuesta {n}", "texto") for n in range(20)]

    assert len(search_canned(many, "r", limit=8)) == 8


APPOINTMENT = WhatsAppTemplate(
    name="cita",
    body="Hola {{1}}, sobre tu caso {{2}}: tu cita es el {{3}}. Te atiende {{4}}.",
    variables=["nombre", "folio", "fecha de la cita", "agente"],
)


def test_a_template_is_filled_with_the_desks_values_and_the_agents_fields(make_case_on, agent):
    case = make_case_on(profile_name="María")

    text, variables = template_message(
        APPOINTMENT, case, agent, {"fecha de la cita": " 3 de marzo "}
    )

    assert text == (
        f"Hola María, sobre tu caso {case.folio}: tu cita es el 3 de marzo. Te atiende Ana Agente."
    )
    assert variables == {"1": "María", "2": case.folio, "3": "3 de marzo", "4": "Ana Agente"}


def test_a_template_field_left_empty_is_named_in_the_error(make_case_on, agent):
    case = make_case_on()

    with pytest.raises(MissingVariable) as missing:
        template_message(APPOINTMENT, case, agent, {"fecha de la cita": "  "})

    assert missing.value.variable == "fecha de la cita"
    assert "fecha de la cita" in str(missing.value)


def test_the_agent_may_give_the_name_only_when_the_citizen_gave_none(make_case_on, agent):
    named = make_case_on(profile_name="María")
    nameless = make_case_on(profile_name=None)
    extra = {"nombre": "Juan", "fecha de la cita": "lunes"}

    assert template_message(APPOINTMENT, named, agent, extra)[1]["1"] == "María"
    assert template_message(APPOINTMENT, nameless, agent, extra)[1]["1"] == "Juan"
    assert [field.name for field in fields_of(APPOINTMENT, named, agent)] == ["fecha de la cita"]
    assert [field.name for field in fields_of(APPOINTMENT, nameless, agent)] == [
        "nombre",
        "fecha de la cita",
    ]


def test_a_notice_sent_by_the_desk_has_no_agent_to_name(make_case_on):
    with pytest.raises(MissingVariable) as missing:
        template_message(APPOINTMENT, make_case_on(), None, {"fecha de la cita": "lunes"})

    assert missing.value.variable == "agente"


@pytest.mark.parametrize("value", ["lunes\nmartes", "lunes\tmartes", "lunes      martes"])
def test_a_field_whatsapp_would_refuse_is_refused_first(make_case_on, agent, value):
    with pytest.raises(TemplateError) as refused:
        template_message(APPOINTMENT, make_case_on(), agent, {"fecha de la cita": value})

    assert refused.value.variable == "fecha de la cita"


def test_a_template_past_1024_characters_once_filled_is_refused(make_case_on, agent):
    long = WhatsAppTemplate(name="larga", body="x" * 1000 + " {{1}}", variables=["detalle"])

    with pytest.raises(TemplateError, match="1,024"):
        template_message(long, make_case_on(), agent, {"detalle": "y" * 30})


def test_the_preview_shows_the_fields_still_to_fill(make_case_on, agent):
    case = make_case_on(profile_name="María")

    preview = template_preview(APPOINTMENT, case, agent)
    typed = template_preview(APPOINTMENT, case, agent, {"fecha de la cita": "lunes"})

    assert preview == (
        f"Hola María, sobre tu caso {case.folio}: tu cita es el [fecha de la cita]. "
        "Te atiende Ana Agente."
    )
    assert "tu cita es el lunes." in typed
