"""Erasure: nothing identifies the citizen afterwards, on the desk or in the assistant;
other citizens keep everything; it happens entirely or not at all."""

from __future__ import annotations

import json
import socket

import pytest
import sqlalchemy as sa

from desk.media import storage
from desk.models import AuditEvent, CaseNote, Conversation, MediaFile, Message
from desk.models import message as m
from desk.privacy import services
from tests.desk.conftest import csrf_token
from tests.desk.privacy.conftest import PHOTO, audit_details


def _erase(client, phone: str = "5512345678", confirmation: str = "55 1234 5678"):
    return client.post(
        "/privacidad/solicitudes/borrar", data={"phone": phone, "confirmation": confirmation}
    )


def _stored_text(db, conversation: Conversation) -> str:
    """Everything the database holds about a conversation, as one string to search."""
    messages = db.scalars(sa.select(Message).filter_by(conversation_id=conversation.id)).all()
    events = db.scalars(
        sa.select(AuditEvent).where(
            sa.or_(
                AuditEvent.conversation_id == conversation.id,
                AuditEvent.case_id.in_([case.id for case in conversation.cases]),
            )
        )
    ).all()
    notes = db.scalars(
        sa.select(CaseNote).where(CaseNote.case_id.in_([case.id for case in conversation.cases]))
    ).all()
    return json.dumps(
        [
            conversation.citizen_address,
            conversation.phone,
            conversation.profile_name,
            [(msg.body, msg.media, msg.content_variables, msg.error_message) for msg in messages],
            [event.details for event in events],
            [note.body for note in notes],
        ],
        ensure_ascii=False,
    )


def test_erasing_leaves_nothing_that_identifies_the_citizen(
    client, db, supervisor, juana, assistant
):
    response = _erase(client)

    assert response.status_code == 200
    db.expire_all()
    for conversation in (juana.whatsapp, juana.sms):
        stored = _stored_text(db, conversation)
        for personal in juana.personal:
            assert personal not in stored
        assert conversation.citizen_address.startswith("erased:")
        assert conversation.phone == conversation.citizen_address
        assert conversation.profile_name is None
    assert juana.whatsapp.citizen_address != juana.sms.citizen_address  # nothing links them
    assert {msg.body for msg in juana.messages} == {""}
    assert all(msg.media == [] for msg in juana.messages)
    assert not juana.photo_path.exists()
    assert db.get(MediaFile, juana.photo.id).path is None
    assert db.scalars(sa.select(CaseNote).filter_by(case_id=juana.case.id)).all() == []


def test_what_is_not_personal_stays(client, db, supervisor, juana, assistant):
    _erase(client)

    db.expire_all()
    # Statistics and the case's procedure survive: when, who answered, how it went.
    assert juana.case.topic == "pensión para adultos mayores"
    assert (juana.case.status, juana.case.csat_score) == ("closed", 5)
    assert [msg.author for msg in juana.messages] == ["citizen", "citizen", "agent", "citizen"]
    assert juana.messages[2].delivery_status == "delivered"
    escalated = db.scalars(sa.select(AuditEvent).filter_by(action="message.escalated")).first()
    assert escalated.details == {"message_id": juana.messages[1].id, "error": "[borrado]"}


def test_other_citizens_keep_everything(client, db, supervisor, juana, pedro, assistant):
    before = {c.id: _stored_text(db, c) for c in (pedro.whatsapp, pedro.sms)}

    _erase(client)

    db.expire_all()
    assert {c.id: _stored_text(db, c) for c in (pedro.whatsapp, pedro.sms)} == before
    assert pedro.photo_path.read_bytes() == PHOTO
    assert pedro.whatsapp.profile_name == "Pedro Gómez"
    assert db.scalars(sa.select(CaseNote).filter_by(case_id=pedro.case.id)).one()
    assert assistant.forgotten == [juana.whatsapp.key, juana.sms.key]


def test_the_assistant_forgets_each_conversation(client, db, supervisor, juana, assistant):
    page = _erase(client).get_data(as_text=True)

    assert assistant.forgotten == [juana.whatsapp.key, juana.sms.key]
    assert "El asistente también olvidó estas conversaciones" in page
    assert services.pending_trackers(db) == []


def test_with_rasa_down_the_desk_still_erases_and_says_the_assistant_has_not_forgotten(
    client, db, supervisor, juana, assistant
):
    assistant.down = True

    page = _erase(client).get_data(as_text=True)

    db.expire_all()
    assert {msg.body for msg in juana.messages} == {""}
    assert "El asistente no respondió" in page
    assert "2 conversación(es)" in page
    assert services.pending_trackers(db) == [juana.whatsapp, juana.sms]

    assistant.down = False
    assert services.forget_pending(db, assistant) == (2, 0)
    assert assistant.forgotten == [juana.whatsapp.key, juana.sms.key]
    assert services.pending_trackers(db) == []


def test_an_unreachable_rasa_server_is_recorded_as_still_to_forget(
    app, client, db, supervisor, juana
):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        app.config["RASA_URL"] = f"http://127.0.0.1:{probe.getsockname()[1]}"

    page = _erase(client).get_data(as_text=True)

    assert "El asistente no respondió" in page
    assert [c.id for c in services.pending_trackers(db)] == [juana.whatsapp.id, juana.sms.id]


def test_the_erasure_is_audited_without_personal_data(client, db, supervisor, juana, assistant):
    _erase(client)

    [erased] = audit_details(db, "privacy.erased")
    assert erased["supervisor"] == supervisor.id
    assert (erased["conversations"], erased["messages"], erased["media_files"]) == (2, 5, 1)
    assert erased["notes"] == 1 and erased["bytes"] == len(PHOTO)
    assert erased["conversation_ids"] == [juana.whatsapp.id, juana.sms.id]
    written = json.dumps(erased, ensure_ascii=False)
    for personal in [*juana.personal, "+52", supervisor.name]:
        assert personal not in written


def test_a_confirmation_that_is_not_the_same_number_is_a_400_and_erases_nothing(
    client, db, supervisor, juana, assistant
):
    response = _erase(client, confirmation="55 1234 5679")

    assert response.status_code == 400
    assert "No es el mismo número" in response.get_data(as_text=True)
    db.expire_all()
    assert juana.whatsapp.profile_name == "Juana Pérez"
    assert juana.photo_path.exists()
    assert assistant.forgotten == []


@pytest.mark.parametrize("confirmation", ["", "hola"])
def test_a_missing_or_garbled_confirmation_is_a_400(client, db, supervisor, juana, confirmation):
    assert _erase(client, confirmation=confirmation).status_code == 400
    db.expire_all()
    assert juana.messages[0].body == "Hola, soy Juana Pérez"


def test_the_confirmation_may_be_typed_in_another_form_of_the_same_number(
    client, db, supervisor, juana, assistant
):
    response = _erase(client, phone="+525512345678", confirmation="+52 1 55 1234 5678")

    assert response.status_code == 200
    db.expire_all()
    assert juana.whatsapp.profile_name is None


def test_a_number_with_an_active_case_is_not_erased_until_it_is_resolved(
    client, db, supervisor, juana, make_case, assistant
):
    active = make_case(juana.sms)

    response = _erase(client)

    assert response.status_code == 409
    assert active.folio in response.get_data(as_text=True)
    db.expire_all()
    assert juana.whatsapp.profile_name == "Juana Pérez"
    assert assistant.forgotten == []


def test_erasing_a_number_with_nothing_stored_is_a_404(client, supervisor, juana, assistant):
    assert _erase(client, phone="3300000000", confirmation="3300000000").status_code == 404


def test_a_failure_midway_changes_nothing(app, db, supervisor, juana, assistant, monkeypatch):
    def broken(*_args):
        raise RuntimeError("the database went away")

    # After the messages, conversations and notes were changed, before the commit.
    monkeypatch.setattr(services, "_scrub_audit", broken)
    found = services.find(db, "+525512345678")

    with pytest.raises(RuntimeError):
        services.erase(db, found, agent=supervisor, secret="k", bot=assistant)

    db.expire_all()
    assert [msg.body for msg in juana.messages] == [
        "Hola, soy Juana Pérez",
        "Mi CURP es PEJJ800101MDFRRN01, va foto de mi INE",
        "Gracias Juana Pérez, ya lo revisamos",
        "Soy Juana Pérez, escribo por SMS",
    ]
    assert juana.messages[1].media != []
    assert juana.whatsapp.citizen_address == "whatsapp:+5215512345678"
    assert juana.whatsapp.profile_name == "Juana Pérez"
    assert db.scalars(sa.select(CaseNote).filter_by(case_id=juana.case.id)).one()
    assert juana.photo_path.read_bytes() == PHOTO
    assert db.get(MediaFile, juana.photo.id).path is not None
    assert audit_details(db, "privacy.erased") == []
    assert services.pending_trackers(db) == []
    assert assistant.forgotten == []


def test_messages_still_queued_are_not_sent_after_the_erasure(
    client, db, supervisor, juana, make_message, assistant
):
    queued = make_message(juana.whatsapp, direction=m.OUTBOUND, body="Tu trámite está listo")

    _erase(client)

    db.expire_all()
    assert (queued.status, queued.error_code, queued.body) == (m.FAILED, "erased", "")


def test_a_file_that_cannot_be_deleted_rolls_the_database_back(
    db, supervisor, juana, assistant, monkeypatch
):
    def refused(_session, _message):
        raise PermissionError("the media folder is read-only")

    monkeypatch.setattr(storage, "erase_message_media", refused)

    with pytest.raises(PermissionError):
        services.erase(
            db, services.find(db, "+525512345678"), agent=supervisor, secret="k", bot=assistant
        )

    db.expire_all()
    assert juana.messages[0].body == "Hola, soy Juana Pérez"
    assert juana.whatsapp.profile_name == "Juana Pérez"
    assert db.get(MediaFile, juana.photo.id).path is not None
    assert assistant.forgotten == []


def test_the_pages_forms_carry_their_csrf_token(app, client, db, supervisor, juana, assistant):
    app.config["WTF_CSRF_ENABLED"] = True
    start = client.get("/privacidad/solicitudes").get_data(as_text=True)
    found = client.post(
        "/privacidad/solicitudes", data={"phone": "5512345678", "csrf_token": csrf_token(start)}
    ).get_data(as_text=True)
    form = {"phone": "+525512345678", "confirmation": "5512345678"}

    forged = client.post("/privacidad/solicitudes/borrar", data=form)
    erased = client.post(
        "/privacidad/solicitudes/borrar", data=form | {"csrf_token": csrf_token(found)}
    )

    assert forged.status_code == 400
    assert erased.status_code == 200
    db.expire_all()
    assert juana.whatsapp.profile_name is None
