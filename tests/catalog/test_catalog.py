"""The procedure catalog: every file valid, names unique, answers sourced and phone-sized."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from actions import answers
from actions.catalog import CATALOG_DIR, Catalog, CatalogError, catalog, main, normalize

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
TOPICS = ("what", "requirements", "cost", "where", "duration", "status")


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
