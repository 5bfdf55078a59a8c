"""The admin pages for canned replies and WhatsApp templates (MANAGE_DESK only)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from desk.models import AuditEvent, CannedReply, WhatsAppTemplate
from tests.desk.replies.conftest import SID

ADMIN_PAGES = [
    "/replies/canned/admin",
    "/replies/canned/admin/new",
    "/replies/templates/admin",
    "/replies/templates/admin/new",
]


def canned_form(**fields: str) -> dict[str, str]:
    return {
        "shortcut": "horario",
        "title": "Horario de atención",
        "body_es": "Hola {nombre}, atendemos de 9 a 18 h.",
        "body_en": "",
    } | fields


def template_form(**fields: str) -> dict[str, str]:
    return {
        "name": "cita_recordatorio",
        "content_sid": SID,
        "language": "es",
        "purpose": "general",
        "body": "Hola {{1}}, tu cita del caso {{2}} es el {{3}}.",
        "variables": "nombre, folio, fecha de la cita",
    } | fields


# --- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_an_agent_cannot_reach_the_admin_pages(client, logged_in, page):
    assert client.get(page).status_code == 403


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_a_supervisor_cannot_either(client, supervisor, page):
    assert client.get(page).status_code == 403


def test_an_agent_cannot_create_or_deactivate_by_posting(client, db, logged_in, make_canned):
    reply = make_canned("horario", "De 9 a 18 h.")

    created = client.post("/replies/canned/admin/new", data=canned_form(shortcut="nuevo"))
    toggled = client.post(f"/replies/canned/admin/{reply.id}/active")
    templated = client.post("/replies/templates/admin/new", data=template_form())

    assert (created.status_code, toggled.status_code, templated.status_code) == (403, 403, 403)
    db.refresh(reply)
    assert reply.active
    assert db.scalar(sa.select(sa.func.count()).select_from(WhatsAppTemplate)) == 0


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_an_admin_reaches_every_admin_page(client, admin, page):
    assert client.get(page).status_code == 200


def test_the_top_bar_links_admins_to_the_prepared_messages_only(client, make_agent):
    from tests.desk.replies.conftest import sign_in

    sign_in(client, make_agent, "agent")
    as_agent = client.get("/cases/").get_data(as_text=True)
    client.post("/logout")
    sign_in(client, make_agent, "admin")
    as_admin = client.get("/cases/").get_data(as_text=True)

    assert 'href="/replies/canned/admin"' not in as_agent
    assert 'href="/replies/canned/admin">Respuestas</a>' in as_admin


# --- canned replies --------------------------------------------------------------------------


def test_an_admin_creates_a_canned_reply(client, db, admin):
    response = client.post("/replies/canned/admin/new", data=canned_form())

    assert response.status_code == 302
    reply = db.scalars(sa.select(CannedReply)).one()
    assert (reply.shortcut, reply.title, reply.active) == ("horario", "Horario de atención", True)
    assert "/horario" in client.get("/replies/canned/admin").get_data(as_text=True)
    event = db.scalars(sa.select(AuditEvent).filter_by(action="canned_reply.created")).one()
    assert (event.agent_id, event.details["shortcut"]) == (admin.id, "horario")


@pytest.mark.parametrize(
    "shortcut", ["Horario", "horario de", "horário", "hor_ario", "/horario", "x" * 41, ""]
)
def test_a_shortcut_is_lowercase_letters_digits_and_hyphens(client, db, admin, shortcut):
    response = client.post("/replies/canned/admin/new", data=canned_form(shortcut=shortcut))

    assert response.status_code == 400
    assert db.scalar(sa.select(sa.func.count()).select_from(CannedReply)) == 0


def test_a_shortcut_is_unique(client, db, admin, make_canned):
    make_canned("horario", "De 9 a 18 h.", active=False)  # even a deactivated one

    response = client.post("/replies/canned/admin/new", data=canned_form())

    assert response.status_code == 400
    assert "Ya hay una respuesta con ese atajo." in response.get_data(as_text=True)


def test_an_unknown_placeholder_is_refused(client, db, admin):
    response = client.post(
        "/replies/canned/admin/new", data=canned_form(body_en="Hi {name}, see {folio}.")
    )

    assert response.status_code == 400
    assert "{name} no se puede llenar" in response.get_data(as_text=True)


def test_an_admin_edits_a_canned_reply_and_may_keep_its_shortcut(client, db, admin, make_canned):
    reply = make_canned("horario", "De 9 a 18 h.")

    form = client.get(f"/replies/canned/admin/{reply.id}").get_data(as_text=True)
    response = client.post(
        f"/replies/canned/admin/{reply.id}",
        data=canned_form(title="Horario", body_es="De 8 a 16 h.", body_en="8 to 4."),
    )

    assert "De 9 a 18 h." in form
    assert response.status_code == 302
    db.refresh(reply)
    assert (reply.shortcut, reply.body_es, reply.body_en) == ("horario", "De 8 a 16 h.", "8 to 4.")


def test_deactivating_a_canned_reply_hides_it_from_the_composer_and_can_be_undone(
    client, db, admin, make_canned, make_case_on
):
    reply = make_canned("horario", "De 9 a 18 h.")
    case = make_case_on()

    client.post(f"/replies/canned/admin/{reply.id}/active")
    hidden = client.get(f"/replies/canned?case={case.id}&q=hor").get_json()["replies"]
    client.post(f"/replies/canned/admin/{reply.id}/active")
    shown = client.get(f"/replies/canned?case={case.id}&q=hor").get_json()["replies"]

    assert hidden == [] and [found["shortcut"] for found in shown] == ["horario"]
    assert db.get(CannedReply, reply.id) is not None  # kept, never deleted


def test_an_unknown_canned_reply_is_404(client, admin):
    assert client.get("/replies/canned/admin/999999").status_code == 404
    assert client.post("/replies/canned/admin/999999/active").status_code == 404


# --- WhatsApp templates ------------------------------------------------------------------------


def test_an_admin_creates_a_template(client, db, admin):
    response = client.post("/replies/templates/admin/new", data=template_form())

    assert response.status_code == 302
    template = db.scalars(sa.select(WhatsAppTemplate)).one()
    assert template.variables == ["nombre", "folio", "fecha de la cita"]
    assert (template.content_sid, template.purpose, template.active) == (SID, "general", True)
    listed = client.get("/replies/templates/admin").get_data(as_text=True)
    assert "cita_recordatorio" in listed and "{{3}} fecha de la cita" in listed


def test_the_known_variables_are_taken_in_any_case(client, db, admin):
    client.post("/replies/templates/admin/new", data=template_form(variables="Nombre, FOLIO, día"))

    assert db.scalars(sa.select(WhatsAppTemplate.variables)).one() == ["nombre", "folio", "día"]


@pytest.mark.parametrize(
    "fields, says",
    [
        ({"content_sid": "HX123"}, "32 dígitos hexadecimales"),
        ({"content_sid": "MG" + "0" * 32}, "32 dígitos hexadecimales"),
        ({"content_sid": SID + "0"}, "32 dígitos hexadecimales"),
        ({"variables": "nombre, folio"}, "El texto tiene 3 variable(s) y aquí hay 2."),
        ({"variables": "nombre, folio, fecha, hora"}, "El texto tiene 3 variable(s) y aquí hay 4."),
        ({"body": "Hola {{1}}, tu caso {{3}}.", "variables": "nombre, folio"}, "sin saltos"),
        ({"variables": "nombre,, fecha"}, "Hay una variable vacía"),
        ({"variables": "nombre, folio, {{3}}"}, "no sirve de etiqueta"),
        ({"purpose": "despedida"}, "Opción inválida."),
        ({"language": "fr"}, "Opción inválida."),
        ({"name": ""}, "Escribe el nombre."),
        ({"body": "x" * 1025, "variables": ""}, "1024"),
    ],
)
def test_a_template_that_twilio_would_not_match_is_refused(client, db, admin, fields, says):
    response = client.post("/replies/templates/admin/new", data=template_form(**fields))

    assert response.status_code == 400
    assert says in response.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(WhatsAppTemplate)) == 0


@pytest.mark.parametrize("purpose", ["case_resolved", "csat"])
def test_a_notice_template_may_only_use_what_the_desk_fills_alone(client, db, admin, purpose):
    refused = client.post("/replies/templates/admin/new", data=template_form(purpose=purpose))
    accepted = client.post(
        "/replies/templates/admin/new",
        data=template_form(
            purpose=purpose, body="Tu caso {{1}} quedó resuelto, {{2}}.", variables="folio, nombre"
        ),
    )

    assert refused.status_code == 400
    assert "nadie llena «fecha de la cita»" in refused.get_data(as_text=True)
    assert accepted.status_code == 302


def test_a_template_name_is_unique(client, db, admin, make_template):
    make_template("Hola.", [], name="cita_recordatorio")

    response = client.post("/replies/templates/admin/new", data=template_form())

    assert response.status_code == 400
    assert "Ya hay una plantilla con ese nombre." in response.get_data(as_text=True)


def test_an_admin_edits_a_template(client, db, admin, make_template):
    template = make_template("Hola {{1}}.", ["nombre"], name="saludo")

    form = client.get(f"/replies/templates/admin/{template.id}").get_data(as_text=True)
    response = client.post(
        f"/replies/templates/admin/{template.id}",
        data=template_form(
            name="saludo", body="Hola {{1}}, folio {{2}}.", variables="nombre,folio"
        ),
    )

    assert 'value="nombre"' in form  # the variables, as the admin typed them
    assert response.status_code == 302
    db.refresh(template)
    assert (template.body, template.variables) == ("Hola {{1}}, folio {{2}}.", ["nombre", "folio"])


def test_a_deactivated_template_is_no_longer_offered_in_the_composer(
    client, db, admin, make_template, make_case_on
):
    template = make_template("Hola {{1}}.", ["folio"], name="saludo")
    case = make_case_on(hours_ago=30)

    client.post(f"/replies/templates/admin/{template.id}/active")

    db.refresh(template)
    assert not template.active
    assert f'id="template-{template.id}"' not in client.get(f"/cases/{case.id}").get_data(
        as_text=True
    )
