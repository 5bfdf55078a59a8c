"""Access: a citizen gets everything stored about their number, and only that; the
desk remembers that it was exported, without keeping any of it."""

from __future__ import annotations

import base64
import json

from tests.desk.privacy.conftest import PHOTO, audit_details


def _export(client, phone: str, shape: str):
    return client.post("/privacidad/solicitudes/exportar", data={"phone": phone, "shape": shape})


def test_the_json_export_has_every_conversation_message_case_note_and_file(
    client, supervisor, juana
):
    response = _export(client, "5512345678", "json")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    whatsapp, sms = data["conversations"]
    assert (whatsapp["channel"], sms["channel"]) == ("whatsapp", "sms")
    assert whatsapp["profile_name"] == "Juana Pérez"
    assert [msg["body"] for msg in whatsapp["messages"]] == [
        "Hola, soy Juana Pérez",
        "¡Hola! ¿En qué te ayudo?",
        "Mi CURP es PEJJ800101MDFRRN01, va foto de mi INE",
        "Gracias Juana Pérez, ya lo revisamos",
    ]
    assert [msg["author"] for msg in whatsapp["messages"]] == ["citizen", "bot", "citizen", "agent"]
    assert whatsapp["messages"][3]["delivery_status"] == "delivered"
    assert whatsapp["messages"][2]["case"] == juana.case.folio
    assert all(msg["at"] for msg in whatsapp["messages"])
    [photo] = whatsapp["messages"][2]["media"]
    assert photo["content_type"] == "image/jpeg" and photo["stored"] is True
    assert base64.b64decode(photo["content_base64"]) == PHOTO
    [case] = whatsapp["cases"]
    assert case["folio"] == juana.case.folio and case["status"] == "closed"
    assert case["topic"] == "pensión para adultos mayores" and case["tags"] == ["pension"]
    assert case["csat_score"] == 5
    assert case["notes"][0]["body"] == "Juana Pérez llamará del 5512345678"
    assert {"case.opened", "message.escalated"} <= {event["action"] for event in case["timeline"]}
    assert [msg["body"] for msg in sms["messages"]] == ["Soy Juana Pérez, escribo por SMS"]
    assert data["counts"] == {
        "conversations": 2,
        "messages": 5,
        "cases": 1,
        "notes": 1,
        "media_files": 1,
    }


def test_the_export_holds_nothing_of_another_citizen(client, supervisor, juana, pedro):
    text = _export(client, "+5215512345678", "json").get_data(as_text=True)

    for personal in [*pedro.personal, pedro.case.folio, pedro.whatsapp.key]:
        assert personal not in text
    assert juana.curp in text


def test_the_printable_page_shows_the_same_in_words_with_the_photo(
    client, supervisor, juana, pedro
):
    response = _export(client, "55 1234 5678", "html")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Mi CURP es PEJJ800101MDFRRN01" in page
    assert "Soy Juana Pérez, escribo por SMS" in page
    assert juana.case.folio in page and "pensión para adultos mayores" in page
    assert "Juana Pérez llamará del 5512345678" in page
    assert 'src="data:image/jpeg;base64,' + base64.b64encode(PHOTO).decode() in page
    assert "Pedro" not in page and pedro.case.folio not in page


def test_the_export_is_audited_without_any_personal_data(client, db, supervisor, juana):
    _export(client, "55 1234 5678", "json")
    _export(client, "+525512345678", "html")

    first, second = audit_details(db, "privacy.exported")
    assert first["supervisor"] == supervisor.id
    assert (first["messages"], first["media_files"], first["cases"]) == (5, 1, 1)
    assert first["shape"] == "json" and second["shape"] == "html"
    # The same person however the number was typed: requests can be counted per person.
    assert first["phone_hash"] == second["phone_hash"]
    written = json.dumps(first, ensure_ascii=False) + json.dumps(second, ensure_ascii=False)
    for personal in [*juana.personal, "Juana", "Hola, soy", "+52", supervisor.name]:
        assert personal not in written


def test_exporting_a_number_with_nothing_stored_is_a_404(client, db, supervisor, juana):
    response = _export(client, "3300000000", "json")

    assert response.status_code == 404
    assert audit_details(db, "privacy.exported") == []


def test_an_unknown_shape_or_a_bad_number_is_a_400(client, supervisor, juana):
    assert _export(client, "5512345678", "pdf").status_code == 400
    assert _export(client, "hola", "json").status_code == 400
