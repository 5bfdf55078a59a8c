"""The composer on the case page and POST /cases/<id>/reply: free text inside
WhatsApp's window (always on SMS), an approved template outside it."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import sqlalchemy as sa

from desk.models import Message
from desk.models import case as c
from desk.models import message as m
from desk.replies.window import sms_segments
from tests.desk.replies.conftest import SID

APPOINTMENT = "Hola {{1}}, tu cita del caso {{2}} es el {{3}}."


def sent(db) -> list[Message]:
    return list(db.scalars(sa.select(Message).filter_by(direction=m.OUTBOUND)))


def composer_of(page: str) -> str:
    found = re.search(r'<section class="composer".*?</section>', page, re.S)
    assert found, "no composer on the page"
    return found.group(0)


def attribute(page: str, element_id: str, name: str) -> str:
    tag = re.search(rf'<[^>]*\bid="{element_id}"[^>]*>', page, re.S)
    assert tag, f"no #{element_id} in the page"
    value = re.search(rf'\b{name}="([^"]*)"', tag.group(0))
    assert value, f"#{element_id} has no {name}"
    return html.unescape(value.group(1))


# --- the page -----------------------------------------------------------------------------


def test_inside_the_window_the_agent_writes_free_text_and_sees_the_time_left(
    client, logged_in, make_case_on
):
    case = make_case_on(hours_ago=1)

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert 'id="body"' in page and 'id="reply-text"' in page
    assert "Ventana de WhatsApp abierta: quedan 22 h 59 min" in page
    closes_at = datetime.fromisoformat(attribute(page, "composer", "data-closes-at"))
    assert closes_at == case.conversation.last_inbound_at + timedelta(hours=24)
    assert 'src="/static/composer.js"' in page


def test_outside_the_window_free_text_is_gone_and_templates_are_offered(
    client, logged_in, make_case_on, make_template
):
    case = make_case_on(hours_ago=25, profile_name="María")
    template = make_template(APPOINTMENT, ["nombre", "folio", "fecha"], name="cita")

    page = composer_of(client.get(f"/cases/{case.id}").get_data(as_text=True))

    assert 'id="reply-text"' not in page and 'name="body"' not in page
    assert "La ventana de 24 horas de WhatsApp se cerró" in page
    assert f'id="template-{template.id}"' in page
    # nombre and folio fill themselves; the date is the agent's to type.
    assert f'name="var_{template.id}_3"' in page
    assert f'name="var_{template.id}_1"' not in page
    assert f"Hola María, tu cita del caso {case.folio} es el [fecha]." in page


def test_a_citizen_who_never_wrote_on_whatsapp_gets_templates_only(client, logged_in, make_case_on):
    case = make_case_on(hours_ago=None)

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert 'id="reply-text"' not in page
    assert "No hay plantillas aprobadas activas" in page


def test_an_sms_case_counts_segments_on_the_server_too(client, logged_in, make_case_on):
    case = make_case_on("sms", hours_ago=None)
    text = "Tu trámite " + "x" * 80  # the á makes it UCS-2: 91 units, two segments

    response = client.post(f"/cases/{case.id}/reply", data={"body": text + "y" * 1600})
    page = response.get_data(as_text=True)

    assert response.status_code == 400
    expected = sms_segments(text + "y" * 1600)
    assert attribute(page, "body-counter", "data-segments") == str(expected.count)
    assert attribute(page, "body-counter", "data-encoding") == "UCS-2"
    assert attribute(page, "body-counter", "data-units") == str(expected.units)
    assert f"{expected.units} caracteres · {expected.count} SMS (UCS-2)" in page
    assert 'id="ucs2-hint"' in page and "fuera de GSM-7" in page


def test_an_empty_sms_composer_starts_at_zero(client, logged_in, make_case_on):
    case = make_case_on("sms", hours_ago=None)

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert "0 caracteres · 0 SMS (GSM-7) · quedan 160" in page
    assert 'id="window-state"' not in page  # SMS has no window
    assert 'id="reply-template"' not in page  # nor templates


# --- sending ----------------------------------------------------------------------------------


def test_free_text_inside_the_window_is_queued(client, db, logged_in, make_case_on):
    case = make_case_on(hours_ago=23.9)

    response = client.post(f"/cases/{case.id}/reply", data={"body": "Ya lo reviso."})

    assert response.status_code == 302
    [reply] = sent(db)
    assert (reply.body, reply.content_sid, reply.content_variables) == ("Ya lo reviso.", None, None)


def test_free_text_outside_the_window_is_refused_and_kept_for_the_agent(
    client, db, logged_in, make_case_on
):
    case = make_case_on(hours_ago=24.01)

    response = client.post(f"/cases/{case.id}/reply", data={"body": "¿Sigues ahí?"})

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "solo se pueden enviar plantillas aprobadas" in page
    assert "¿Sigues ahí?" in page  # in a read-only box, to copy into a template
    assert sent(db) == []


def test_free_text_on_sms_goes_whenever(client, db, logged_in, make_case_on):
    case = make_case_on("sms", hours_ago=None)

    assert client.post(f"/cases/{case.id}/reply", data={"body": "Hola"}).status_code == 302
    assert [reply.body for reply in sent(db)] == ["Hola"]


def test_a_template_goes_out_with_its_content_sid_and_variables(
    client, db, logged_in, make_case_on, make_template
):
    case = make_case_on(hours_ago=30, profile_name="María")
    template = make_template(APPOINTMENT, ["nombre", "folio", "fecha"])

    response = client.post(
        f"/cases/{case.id}/reply",
        data={"template_id": template.id, f"var_{template.id}_3": "lunes 3 de marzo"},
    )

    assert response.status_code == 302
    [reply] = sent(db)
    assert reply.body == f"Hola María, tu cita del caso {case.folio} es el lunes 3 de marzo."
    assert reply.content_sid == SID
    assert reply.content_variables == {"1": "María", "2": case.folio, "3": "lunes 3 de marzo"}
    assert (reply.author, reply.agent_id, reply.case_id) == (m.AGENT, logged_in.id, case.id)


def test_a_template_can_also_go_inside_the_window(
    client, db, logged_in, make_case_on, make_template
):
    case = make_case_on(hours_ago=1)
    template = make_template("Tu folio es {{1}}.", ["folio"])

    response = client.post(f"/cases/{case.id}/reply", data={"template_id": template.id})

    assert response.status_code == 302
    assert [reply.content_sid for reply in sent(db)] == [SID]


def test_a_template_missing_a_field_is_refused_with_the_fields_name(
    client, db, logged_in, make_case_on, make_template
):
    case = make_case_on(hours_ago=30)
    template = make_template(APPOINTMENT, ["nombre", "folio", "fecha de la cita"])

    response = client.post(
        f"/cases/{case.id}/reply",
        data={"template_id": template.id, f"var_{template.id}_3": "   "},
    )

    assert response.status_code == 400
    assert "Falta «fecha de la cita»" in response.get_data(as_text=True)
    assert sent(db) == []


def test_the_name_of_a_nameless_citizen_is_asked_of_the_agent(
    client, db, logged_in, make_case_on, make_template
):
    case = make_case_on(hours_ago=30, profile_name=None)
    template = make_template("Hola {{1}}.", ["nombre"])

    refused = client.post(f"/cases/{case.id}/reply", data={"template_id": template.id})
    accepted = client.post(
        f"/cases/{case.id}/reply",
        data={"template_id": template.id, f"var_{template.id}_1": "Juan"},
    )

    assert refused.status_code == 400 and "Falta «nombre»" in refused.get_data(as_text=True)
    assert accepted.status_code == 302
    assert [reply.body for reply in sent(db)] == ["Hola Juan."]


def test_what_the_agent_typed_is_shown_again_after_an_error(
    client, logged_in, make_case_on, make_template
):
    case = make_case_on(hours_ago=30, profile_name=None)
    template = make_template("Hola {{1}}, tu cita es el {{2}}.", ["nombre", "fecha"])

    page = client.post(
        f"/cases/{case.id}/reply",
        data={"template_id": template.id, f"var_{template.id}_2": "lunes"},
    ).get_data(as_text=True)

    assert attribute(page, f"var-{template.id}-2", "value") == "lunes"
    assert "Hola [nombre], tu cita es el lunes." in page


def test_a_deactivated_or_unknown_template_is_refused(
    client, db, logged_in, make_case_on, make_template
):
    case = make_case_on(hours_ago=30)
    old = make_template("Hola.", [], active=False)

    for template_id in (old.id, 999_999):
        response = client.post(f"/cases/{case.id}/reply", data={"template_id": template_id})
        assert response.status_code == 400
        assert "no existe o está desactivada" in response.get_data(as_text=True)
    assert sent(db) == []


def test_waiting_for_the_citizen_after_a_template_moves_the_case_to_pending(
    client, db, logged_in, make_case_on, make_template
):
    case = make_case_on(hours_ago=30)
    template = make_template("Tu folio es {{1}}.", ["folio"])

    client.post(
        f"/cases/{case.id}/reply", data={"template_id": template.id, "wait_for_citizen": "y"}
    )

    db.refresh(case)
    assert case.status == c.PENDING


def test_line_breaks_from_the_browser_are_sent_as_one_character(
    client, db, logged_in, make_case_on
):
    case = make_case_on("sms", hours_ago=None)

    client.post(f"/cases/{case.id}/reply", data={"body": "Hola\r\nMaría"})

    assert [reply.body for reply in sent(db)] == ["Hola\nMaría"]


def test_a_reply_to_a_resolved_case_is_refused(client, db, logged_in, make_case_on):
    case = make_case_on("sms", hours_ago=None)
    client.post(f"/cases/{case.id}/resolve")
    before = len(sent(db))

    response = client.post(f"/cases/{case.id}/reply", data={"body": "¿Algo más?"})

    assert response.status_code == 409
    assert len(sent(db)) == before
