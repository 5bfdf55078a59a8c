"""The procedure catalog: every file valid, names unique, answers sourced and phone-sized."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from actions import answers
from actions.catalog import CATALOG_DIR, Catalog, CatalogError, catalog, main, normalize, words

REQUIRED = {
    "llave_mx",
    "curp",
    "acta_nacimiento",
    "pasaporte",
    "matricula_consular",
    "rfc",
    "efirma",
    "pension_adultos_mayores",
    "pension_mujeres",
    "beca_benito_juarez",
    "sembrando_vida",
    "conagua",
    "imss_nss",
    "semanas_cotizadas",
    "lineas_atencion",
}
FILES = sorted(CATALOG_DIR.glob("*.yml"))
TOPICS = answers.TOPICS


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_file_follows_the_schema(path: Path):
    schema = json.loads((CATALOG_DIR / "schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)

    jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_the_catalog_covers_the_procedures_citizens_ask_about():
    assert {p.slug for p in catalog().procedures} >= REQUIRED


def test_the_menu_numbers_them_one_to_n():
    assert [p.menu_order for p in catalog().procedures] == list(range(1, len(FILES) + 1))


def test_a_broken_file_is_refused_with_its_name(tmp_path):
    for path in [CATALOG_DIR / "schema.json", CATALOG_DIR / "curp.yml"]:
        (tmp_path / path.name).write_text(path.read_text())
    broken = yaml.safe_load((CATALOG_DIR / "rfc.yml").read_text())
    del broken["cost"]
    (tmp_path / "rfc.yml").write_text(yaml.safe_dump(broken, allow_unicode=True))

    with pytest.raises(CatalogError, match=r"rfc.yml: \(top\): 'cost' is a required property"):
        Catalog.load(tmp_path)


def test_an_alias_may_name_only_one_procedure(tmp_path):
    for path in [CATALOG_DIR / "schema.json", CATALOG_DIR / "curp.yml", CATALOG_DIR / "rfc.yml"]:
        (tmp_path / path.name).write_text(path.read_text())
    rfc = yaml.safe_load((tmp_path / "rfc.yml").read_text())
    rfc["aliases"]["es"].append("mi curp")
    rfc["menu_order"] = 2
    (tmp_path / "rfc.yml").write_text(yaml.safe_dump(rfc, allow_unicode=True))
    curp = yaml.safe_load((tmp_path / "curp.yml").read_text())
    curp["menu_order"] = 1
    (tmp_path / "curp.yml").write_text(yaml.safe_dump(curp, allow_unicode=True))

    with pytest.raises(CatalogError, match="'mi curp' belongs to both curp and rfc"):
        Catalog.load(tmp_path)


@pytest.mark.parametrize(
    "said, slug",
    [
        ("pasaporte", "pasaporte"),
        ("PASAPROTE", "pasaporte"),
        ("passport", "pasaporte"),
        ("el acta", "acta_nacimiento"),
        ("benito juares", "beca_benito_juarez"),
        ("la pension de los abuelitos", "pension_adultos_mayores"),
        ("e.firma", "efirma"),
        ("semanas cotisadas", "semanas_cotizadas"),
        ("nss", "imss_nss"),
        ("Llave MX", "llave_mx"),
    ],
)
def test_citizens_words_resolve_to_a_procedure(said, slug):
    assert catalog().resolve(said).slug == slug


@pytest.mark.parametrize("said", ["tacos", "licencia de manejo", ""])
def test_other_words_resolve_to_nothing(said):
    assert catalog().resolve(said) is None


def test_the_generated_nlu_is_current_and_maps_every_alias_to_its_slug():
    assert main(["catalog", "check-nlu"]) == 0
    generated = yaml.safe_load(
        (CATALOG_DIR.parent / "nlu" / "procedures_generated.yml").read_text()
    )["nlu"]
    synonyms = {block["synonym"]: block["examples"] for block in generated if "synonym" in block}
    assert set(synonyms) == {p.slug for p in catalog().procedures}
    assert "- pasaport\n" in synonyms["pasaporte"]


@pytest.mark.parametrize("procedure", catalog().procedures, ids=lambda p: p.slug)
def test_uncertain_facts_send_the_citizen_to_the_official_site(procedure):
    for topic in ("requirements", "cost", "where", "duration"):
        section = procedure.section(topic)
        reply = answers.answer(procedure, topic, "es")
        if section["uncertain"] and procedure.official_url:
            assert reply.closing == f"Confírmalo en el sitio oficial: {procedure.official_url}"


@pytest.mark.parametrize("procedure", catalog().procedures, ids=lambda p: p.slug)
def test_every_answer_fits_twilio_and_names_no_figure_outside_the_catalog(procedure):
    source = normalize(yaml.safe_dump(procedure.data, allow_unicode=True))
    for language in ("es", "en"):
        for topic in TOPICS:
            for channel in ("whatsapp", "sms"):
                for text in answers.for_channel(
                    answers.answer(procedure, topic, language), channel
                ):
                    assert 0 < len(text) <= 1600
                    # The topic menu's own numbers are options, not facts.
                    text = text.replace(answers.TEXT[language]["topic_menu"], "")
                    for figure in _figures(text):
                        assert figure in source, (procedure.slug, topic, figure)


def _figures(text: str) -> list[str]:
    return re.findall(r"\$?\d[\d,]*(?:\.\d+)?", normalize(text))


SENTENCES = (
    "hola buenas, una pregunta sobre {name} porfa",
    "oiga disculpe, me pueden orientar con {name}?",
    "I need help with {name} please",
)


@pytest.mark.parametrize("procedure", catalog().procedures, ids=lambda p: p.slug)
def test_every_name_of_a_procedure_is_found_inside_a_sentence(procedure):
    names = [
        procedure.name("es"),
        procedure.name("en"),
        procedure.short_name("es"),
        procedure.short_name("en"),
        *procedure.aliases(),
    ]
    for number, name in enumerate(names):
        sentence = SENTENCES[number % len(SENTENCES)].format(name=name)
        assert catalog().find(sentence) == procedure, sentence


@pytest.mark.parametrize(
    "message, slug, spelt",
    [
        ("ya hice mi llave mx pero nunca me llegó el código", "llave_mx", "llave mx"),
        ("mi concesión de conagua ya caducó, ¿qué hago?", "conagua", "conagua"),
        ("what does a passport for my son cost", "pasaporte", "passport"),
        (
            "buenas tardes quería saber cuanto cuesta el pasaprote de 10 años",
            "pasaporte",
            "pasaprote",
        ),
        ("cual es el telefono del pasaporte", "pasaporte", "pasaporte"),
        ("mis semanas cotisadas del imss", "semanas_cotizadas", "semanas cotisadas"),
    ],
)
def test_a_message_names_its_procedure_with_typos_and_the_directory_last(message, slug, spelt):
    [first, *_] = catalog().mentions(message)

    assert first.procedure.slug == slug
    assert normalize(message[first.text_start : first.text_end]) == spelt


@pytest.mark.parametrize(
    "message",
    ["me llamo juan", "la licencia de manejo", "cuanto cuesta", "q onda", "mi mamá tiene 63"],
)
def test_ordinary_words_are_not_taken_for_a_procedure(message):
    assert catalog().mentions(message) == []


@pytest.mark.parametrize("procedure", catalog().procedures, ids=lambda p: p.slug)
def test_every_answer_opens_with_its_procedures_name_short_on_sms(procedure):
    for language in ("es", "en"):
        for topic in TOPICS:
            reply = answers.answer(procedure, topic, language)
            [whatsapp, *_] = answers.for_channel(reply, "whatsapp")
            [sms, *_] = answers.for_channel(reply, "sms")
            assert whatsapp.startswith(procedure.name(language)), (topic, whatsapp[:60])
            assert sms.startswith(procedure.short_name(language)), (topic, sms[:60])


@pytest.mark.parametrize("procedure", catalog().procedures, ids=lambda p: p.slug)
def test_a_problem_answer_always_offers_a_person_even_on_sms(procedure):
    for language, offer in (("es", "Responde «sí»"), ("en", 'Reply "yes"')):
        for channel in ("whatsapp", "sms"):
            text = "\n".join(
                answers.for_channel(answers.answer(procedure, "problems", language), channel)
            )
            assert offer in text


def test_the_problem_the_citizen_describes_is_the_one_answered():
    llave = catalog().get("llave_mx")

    reply = answers.answer(llave, "problems", "es", "olvidé mi contraseña de la llave")

    assert "contraseña" in reply.label.lower()
    assert len(reply.body[0].split("\n")) == 1  # that problem alone, not the whole list


def test_short_names_are_names_of_their_own_procedure():
    for procedure in catalog().procedures:
        for language in ("es", "en"):
            assert catalog().resolve(procedure.short_name(language)) == procedure
            assert words(procedure.short_name(language))


@pytest.mark.parametrize("procedure", catalog().procedures, ids=lambda p: p.slug)
def test_every_sms_answer_fits_three_segments_and_keeps_its_closing(procedure):
    for language in ("es", "en"):
        for topic in TOPICS:
            reply = answers.answer(procedure, topic, language)
            [sms] = answers.for_channel(reply, "sms")
            assert reply.closing is None or sms.endswith(reply.closing)
            # Only a closing too long by itself (IMSS's 90-character address) may
            # push past three segments; the name still opens the answer.
            opening = answers.heading(reply, "sms", "").rstrip()
            bare = answers.sms_segments(f"{opening} …\n\n{reply.closing or ''}")
            assert answers.sms_segments(sms) <= max(answers.SMS_SEGMENTS, bare), (topic, language)


def test_a_problem_not_described_lists_the_known_ones_and_asks_which():
    reply = answers.answer(catalog().get("llave_mx"), "problems", "es", "tengo un problema")

    assert reply.body[0].startswith("• Olvidé mi usuario\n• ")
    assert reply.body[1] == "Cuéntame cuál es y te digo qué hacer."
