"""The agents' pages: the queue, a case with its transcript, reply and resolve."""

from __future__ import annotations

import sqlalchemy as sa

from desk.models import Message
from desk.models import case as c
from desk.models import conversation as conv
from desk.models import message as m


def test_the_queue_shows_open_cases_with_their_folio(client, logged_in, make_case):
    case = make_case(topic="pasaporte")

    page = client.get("/cases/").get_data(as_text=True)

    assert case.folio in page
    assert "pasaporte" in page
    assert "Pidió una persona" in page


def test_the_queue_is_paginated(app, client, logged_in, make_case):
    app.config["CASES_PER_PAGE"] = 2
    opened = [make_case() for _ in range(3)]

    first = client.get("/cases/").get_data(as_text=True)
    second = client.get("/cases/?page=2").get_data(as_text=True)

    # Due soonest first: with equal targets, the one waiting longest.
    assert opened[0].folio in first and opened[2].folio not in first
    assert opened[2].folio in second
    assert "Página 2 de 2" in second


def test_a_bad_page_number_is_a_clear_error(client, logged_in):
    response = client.get("/cases/?page=0")

    assert response.status_code == 400
    assert "page debe ser un número entero de 1 en adelante." in response.get_data(as_text=True)


def test_the_case_page_shows_the_whole_conversation_with_delivery_status(
    client, logged_in, make_conversation, make_message, make_case
):
    conversation = make_conversation()
    make_message(conversation, body="quiero un agente")
    make_message(
        conversation,
        direction=m.OUTBOUND,
        body="Tu folio es …",
        status=m.DONE,
        delivery_status="delivered",
    )
    case = make_case(conversation)

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert "quiero un agente" in page
    assert "Tu folio es …" in page
    assert "entregado" in page  # Twilio's "delivered", in the agents' language
    assert "Resolver" in page


def test_an_unknown_case_is_404(client, logged_in):
    assert client.get("/cases/999999").status_code == 404


def test_replying_queues_the_answer_for_the_citizen(client, db, logged_in, make_case):
    case = make_case()

    response = client.post(f"/cases/{case.id}/reply", data={"body": "Hola, ya lo reviso."})

    assert response.status_code == 302
    reply = db.scalars(sa.select(Message).filter_by(direction=m.OUTBOUND)).one()
    assert (reply.body, reply.author, reply.agent_id) == (
        "Hola, ya lo reviso.",
        m.AGENT,
        logged_in.id,
    )


def test_an_empty_reply_is_refused_with_a_message(client, db, logged_in, make_case):
    case = make_case()

    response = client.post(f"/cases/{case.id}/reply", data={"body": ""})

    assert response.status_code == 400
    assert "Escribe la respuesta." in response.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_a_reply_over_twilios_limit_is_refused(client, db, logged_in, make_case):
    case = make_case()

    response = client.post(f"/cases/{case.id}/reply", data={"body": "x" * 1601})

    assert response.status_code == 400
    assert db.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_resolving_closes_the_case_and_returns_the_conversation_to_the_bot(
    client, db, logged_in, make_case
):
    case = make_case()

    response = client.post(f"/cases/{case.id}/resolve")

    assert response.status_code == 302
    db.refresh(case)
    assert case.status == c.RESOLVED
    assert case.conversation.mode == conv.BOT
    queue = client.get("/cases/").get_data(as_text=True)
    assert f"Caso {case.folio} resuelto" in queue  # the confirmation
    assert "No hay casos abiertos." in queue


def test_replying_to_a_resolved_case_is_refused(client, db, logged_in, make_case):
    case = make_case()
    client.post(f"/cases/{case.id}/resolve")

    response = client.post(f"/cases/{case.id}/reply", data={"body": "¿sigues ahí?"})

    assert response.status_code == 409
    assert db.scalar(sa.select(sa.func.count()).select_from(Message).filter_by(author=m.AGENT)) == 0
