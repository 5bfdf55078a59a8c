"""Trainers read and edit the procedure catalog from the desk; the YAML keeps its shape."""

from __future__ import annotations

import difflib
from pathlib import Path

import sqlalchemy as sa
import yaml

from desk.content import services
from desk.models import AuditEvent

PASSPORT = Path("data/procedures/pasaporte.yml")
COST_ES = (
    "Tarifas 2026: 1 año $920 (solo menores de 3 años), 3 años $1,795, 6 años $2,440, "
    "10 años $4,280. Hay 50% de descuento para personas de 60 años o más, con discapacidad o "
    "trabajadores agrícolas temporales en Canadá; los montos con descuento se confirman en el "
    "sitio oficial."
)
COST_EN = (
    "2026 fees (MXN): 1 year $920 (under-3s only), 3 years $1,795, 6 years $2,440, 10 years "
    "$4,280. People aged 60+, people with disabilities and temporary farm workers in Canada get "
    "50% off; check the discounted amounts on the official site."
)


def text_of(root: Path) -> str:
    return (root / PASSPORT).read_text(encoding="utf-8")


def changed_lines(before: str, after: str) -> list[str]:
    """The lines a write removed (-) and added (+)."""
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def form(root: Path, section: str, **fields: object) -> dict[str, object]:
    """What the edit form posts when the trainer changes ``fields`` and nothing else."""
    found = services.procedure(root, "pasaporte")
    current = found.section(section)
    data: dict[str, object] = {
        "version": found.version,
        "es": "\n".join(current.es) if current.is_list else current.es,
        "en": "\n".join(current.en) if current.is_list else current.en,
    }
    if current.uncertain:
        data["uncertain"] = "y"
    if section == "cost":
        data |= {"free": "no", "year": "2026"}
    return data | fields


def edit_events(db) -> list[AuditEvent]:
    return list(db.scalars(sa.select(AuditEvent).filter_by(action="catalog_section_edited")))


# --- reading -------------------------------------------------------------------------


def test_agents_without_the_trainers_permission_get_403(client, logged_in, root):
    assert client.get("/content/").status_code == 403
    assert client.get("/content/pasaporte").status_code == 403
    assert client.get("/content/pasaporte/cost").status_code == 403
    assert client.post("/content/pasaporte/cost", data={}).status_code == 403


def test_the_list_shows_every_procedure_in_menu_order_with_its_date(client, trainer, root):
    response = client.get("/content/")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.index("Pasaporte mexicano") < html.index("RFC")  # menu order 4 before 13
    assert 'href="/content/pasaporte"' in html and "2026-03-03" in html
    assert '<a href="/content/">Catálogo</a>' in html  # the trainer's nav


def test_a_procedure_shows_each_section_with_sources_dates_flag_and_both_languages(
    client, trainer, root
):
    response = client.get("/content/pasaporte")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    cost = html[html.index('id="cost"') : html.index('id="where"')]
    assert "$4,280" in cost and "10 years" in cost  # es and en side by side
    assert "incierto" in cost
    assert "informador 2026-03-03" in cost and "prensa" in cost
    assert "la más reciente: 2026-03-03" in cost
    assert 'href="https://www.informador.mx/' in cost
    assert 'href="/content/pasaporte/cost"' in cost
    duration = html[html.index('id="duration"') : html.index('id="problems"')]
    assert "Sin fuentes." in duration
    problems = html[html.index('id="problems"') :]
    assert "Cambiar la cita o no pude ir" in problems
    assert 'href="/content/pasaporte/problems"' not in problems  # read only here


def test_the_edit_form_holds_both_languages_side_by_side(client, trainer, root):
    html = client.get("/content/pasaporte/requirements").get_data(as_text=True)

    assert '<textarea id="es"' in html and '<textarea id="en"' in html
    assert "Cita previa\nPrueba de nacionalidad" in html
    assert 'name="source_ref"' in html and 'name="source_reliability"' in html


def test_unknown_procedures_and_read_only_sections_are_not_found(client, trainer, root):
    assert client.get("/content/tramite_inventado").status_code == 404
    assert client.get("/content/..%2Fschema").status_code == 404
    assert client.get("/content/pasaporte/problems").status_code == 404
    assert client.post("/content/pasaporte/aliases", data={}).status_code == 404


# --- writing -------------------------------------------------------------------------


def test_an_edit_rewrites_only_the_values_it_changed(client, trainer, root):
    # A comment a content editor left in the file, which the editor must keep.
    path = root / PASSPORT
    path.write_text(
        text_of(root).replace("cost:\n", "# Tarifas: revisar cada enero (LFD)\ncost:\n"),
        encoding="utf-8",
    )
    before = text_of(root)
    new_es = (
        "Sin dato del tiempo de entrega en México. Pregunta al hacer tu cita en gob.mx/pasaporte."
    )

    response = client.post("/content/pasaporte/duration", data=form(root, "duration", es=new_es))

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/content/pasaporte#duration")
    assert changed_lines(before, text_of(root)) == [
        '-  es: "No tenemos el tiempo de entrega en oficinas de México. Confírmalo en '
        'gob.mx/pasaporte o al hacer tu cita."',
        f'+  es: "{new_es}"',
    ]
    assert "# Tarifas: revisar cada enero (LFD)\ncost:" in text_of(root)


def test_a_list_edit_changes_the_items_that_changed_and_keeps_the_others(client, trainer, root):
    current = services.procedure(root, "pasaporte").section("requirements")
    es = [*current.es[:-1], "Menores: con ambos padres o tutores"]
    en = [*current.en[:-1], "Minors: with both parents or guardians"]
    before = text_of(root)

    response = client.post(
        "/content/pasaporte/requirements",
        data=form(root, "requirements", es="\n".join(es) + "\n\n", en="\r\n".join(en)),
    )

    assert response.status_code == 302
    assert changed_lines(before, text_of(root)) == [
        '-    - "Menores: van con ambos padres o tutores; si hay consentimiento por escrito, '
        'se usan los formatos OP7 u OP8"',
        '+    - "Menores: con ambos padres o tutores"',
        '-    - "Minors: come with both parents or guardians; with written consent, forms OP7 '
        'or OP8 are used"',
        '+    - "Minors: with both parents or guardians"',
    ]


def test_saving_unchanged_text_writes_nothing(client, trainer, root, db):
    before = text_of(root)

    response = client.post("/content/pasaporte/cost", data=form(root, "cost"))

    assert response.status_code == 302
    assert text_of(root) == before and edit_events(db) == []


def test_the_flag_and_the_cost_facts_are_saved_too(client, trainer, root):
    data = form(root, "cost", free="unknown", year="")
    del data["uncertain"]

    assert client.post("/content/pasaporte/cost", data=data).status_code == 302

    cost = yaml.safe_load(text_of(root))["cost"]
    assert (cost["uncertain"], cost["free"], cost["year"]) == (False, None, None)
    assert "  free: null\n  year: null\n  uncertain: false\n" in text_of(root)


def test_an_edit_that_breaks_the_schema_is_refused_with_the_reason_and_writes_nothing(
    client, trainer, root, db
):
    before = text_of(root)

    response = client.post("/content/pasaporte/where", data=form(root, "where", en="x" * 321))

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "«where/en» pasa de 320 caracteres." in html
    assert "x" * 321 in html  # the trainer's text stays in the form
    assert text_of(root) == before and edit_events(db) == []


def test_requirements_must_keep_the_same_items_in_both_languages(client, trainer, root):
    before = text_of(root)
    data = form(root, "requirements")
    data["en"] = str(data["en"]) + "\nOne more"

    response = client.post("/content/pasaporte/requirements", data=data)

    assert response.status_code == 400
    assert "hay 5 en español y 6 en inglés" in response.get_data(as_text=True)
    assert text_of(root) == before


def test_a_source_needs_its_reliability(client, trainer, root):
    before = text_of(root)

    response = client.post(
        "/content/pasaporte/where", data=form(root, "where", source_ref="sre 2026-04-01")
    )

    assert response.status_code == 400
    assert "Elige la confiabilidad de la fuente." in response.get_data(as_text=True)
    assert text_of(root) == before


def test_an_edit_on_a_file_changed_since_the_form_opened_is_refused(client, trainer, root):
    data = form(root, "duration", es="Otro texto sin cifras.")
    path = root / PASSPORT
    path.write_text(text_of(root).replace("agency: SRE", "agency: S.R.E."), encoding="utf-8")
    before = text_of(root)

    response = client.post("/content/pasaporte/duration", data=data)

    assert response.status_code == 409
    assert "Alguien guardó esta sección mientras la editabas" in response.get_data(as_text=True)
    assert text_of(root) == before


# --- figures without a source ---------------------------------------------------------


def test_a_new_figure_is_flagged_and_the_edit_waits_for_confirmation(client, trainer, root):
    before = text_of(root)
    new_es = COST_ES.replace("$4,280", "$4,500")

    response = client.post("/content/pasaporte/cost", data=form(root, "cost", es=new_es))

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<strong>$4,500</strong>" in html
    assert "Confirmo que estas cifras vienen de una fuente" in html
    assert text_of(root) == before


def test_a_confirmed_figure_is_saved_in_a_section_that_keeps_its_sources(client, trainer, root):
    new_es = COST_ES.replace("$4,280", "$4,500")
    new_en = COST_EN.replace("$4,280", "$4,500")

    response = client.post(
        "/content/pasaporte/cost",
        data=form(root, "cost", es=new_es, en=new_en, confirm_figures="y"),
    )

    assert response.status_code == 302
    assert yaml.safe_load(text_of(root))["cost"]["es"] == new_es


def test_a_confirmed_figure_in_a_section_without_sources_needs_one(client, trainer, root):
    before = text_of(root)
    data = form(
        root,
        "duration",
        es="Entrega en 10 días hábiles en oficinas de México.",
        en="Delivery in 10 working days at offices in Mexico.",
        confirm_figures="y",
    )

    refused = client.post("/content/pasaporte/duration", data=data)

    assert refused.status_code == 400
    assert "esta sección no tiene ninguna" in refused.get_data(as_text=True)
    assert text_of(root) == before

    source = {
        "source_ref": "sre.gob.mx 2026-04-01",
        "source_url": "https://www.gob.mx/sre/prensa/entrega-pasaporte",
        "source_reliability": "oficial",
    }
    saved = client.post("/content/pasaporte/duration", data=data | source)

    assert saved.status_code == 302
    written = text_of(root)
    assert (
        '  sources:\n    - {ref: "sre.gob.mx 2026-04-01", '
        'url: "https://www.gob.mx/sre/prensa/entrega-pasaporte", reliability: oficial}\n'
    ) in written
    assert written.endswith('checked_on: "2026-04-01"\n')  # newer than 2026-03-03
    assert "2026-04-01" in client.get("/content/pasaporte").get_data(as_text=True)


def test_a_figure_named_by_the_added_source_is_not_flagged(client, trainer, root):
    data = form(
        root,
        "where",
        es="Citas al 55 1234 5678 de lunes a viernes.",
        en="Appointments on 55 1234 5678, Monday to Friday.",
        source_ref="sre, línea 55 1234 5678 (sin fecha)",
        source_reliability="oficial",
    )

    response = client.post("/content/pasaporte/where", data=data)

    assert response.status_code == 302
    assert yaml.safe_load(text_of(root))["checked_on"] == "2026-03-03"  # an undated source


# --- taking sources out -------------------------------------------------------------

STALE_SOURCE = "mimorelia 2026-01-07"


def test_the_edit_form_offers_to_take_out_each_source(client, trainer, root):
    html = client.get("/content/pasaporte/cost").get_data(as_text=True)

    assert html.count('name="remove_sources"') == 4
    assert f'value="{STALE_SOURCE}"' in html


def test_a_new_fee_replaces_the_source_of_the_old_one_and_only_that_line_changes(
    client, trainer, root, db
):
    before = text_of(root)
    data = form(
        root,
        "cost",
        es=COST_ES.replace("$4,280", "$4,295"),
        en=COST_EN.replace("$4,280", "$4,295"),
        source_ref="sre 2026-11-20",
        source_url="https://www.gob.mx/sre",
        source_reliability="oficial",
        remove_sources=[STALE_SOURCE],
        confirm_figures="y",
    )

    response = client.post("/content/pasaporte/cost", data=data)

    assert response.status_code == 302
    refs = [s["ref"] for s in yaml.safe_load(text_of(root))["cost"]["sources"]]
    assert STALE_SOURCE not in refs and refs[-1] == "sre 2026-11-20" and len(refs) == 4
    removed = [line for line in changed_lines(before, text_of(root)) if line.startswith("-")]
    assert len(removed) == 4  # es, en, checked_on and the cost's mimorelia line
    assert sum(STALE_SOURCE in line for line in removed) == 1
    assert "mimorelia 2026-01-07" in text_of(root)  # the other sections keep theirs
    [event] = edit_events(db)
    assert event.details["sources_removed"] == [STALE_SOURCE]
    assert STALE_SOURCE not in event.details["after"]["sources"]


def test_a_section_never_loses_its_last_source(client, trainer, root, db):
    before = text_of(root)
    refs = [s["ref"] for s in yaml.safe_load(before)["where"]["sources"]]

    response = client.post(
        "/content/pasaporte/where", data=form(root, "where", remove_sources=refs)
    )

    assert response.status_code == 400
    assert "La sección se quedaría sin fuentes" in response.get_data(as_text=True)
    assert text_of(root) == before and edit_events(db) == []


def test_a_source_that_is_no_longer_there_is_refused_and_nothing_is_written(
    client, trainer, root, db
):
    before = text_of(root)

    response = client.post(
        "/content/pasaporte/cost", data=form(root, "cost", remove_sources=["sre 1999-01-01"])
    )

    assert response.status_code == 400
    assert "La fuente «sre 1999-01-01» ya no está en esta sección." in response.get_data(
        as_text=True
    )
    assert text_of(root) == before and edit_events(db) == []


# --- the audit trail --------------------------------------------------------------------


def test_an_edit_is_recorded_with_who_what_and_before_and_after(client, trainer, root, db):
    new_en = "We do not know the delivery time in Mexico. Ask when you book at gob.mx/pasaporte."

    client.post(
        "/content/pasaporte/duration",
        data=form(
            root, "duration", en=new_en, source_ref="sre (sin fecha)", source_reliability="oficial"
        ),
    )

    [event] = edit_events(db)
    assert event.agent_id == trainer.id and event.actor == "agent"
    details = event.details
    assert (details["procedure"], details["section"]) == ("pasaporte", "duration")
    assert details["before"]["en"].startswith("We do not have the delivery time")
    assert details["after"]["en"] == new_en
    assert (details["before"]["sources"], details["after"]["sources"]) == ([], ["sre (sin fecha)"])
    assert details["source_added"] == "sre (sin fecha)" and details["figures_confirmed"] == []
