"""One real loop, end to end: a citizen on WhatsApp/SMS, the Rasa assistant, an agent.

Everything runs for real (Rasa with the trained model, the action server, the desk
under gunicorn and its worker); only Twilio is a local stand-in for its REST API.
"""

from __future__ import annotations

import json

import pytest
import requests
import sqlalchemy as sa

from desk.models import Case, Conversation, Message
from desk.models import message as m
from tests.e2e.helpers import (
    agent_session,
    conversation_of,
    form_token,
    fresh,
    let_the_reopen_window_pass,
)
from tests.e2e.stack import DESK_NUMBER

pytestmark = pytest.mark.e2e


def test_a_whatsapp_greeting_gets_the_assistants_answer(stack, db):
    phone = "+5215510000001"

    response = stack.citizen_says(phone, "¡Hola!")

    assert response.status_code == 200
    assert "<Response" in response.text
    reply = stack.wait_for(lambda: stack.replies_to(phone), "the greeting")[0]
    assert (reply.to, reply.from_) == (f"whatsapp:{phone}", f"whatsapp:{DESK_NUMBER}")
    assert "asistente del Centro de Atención al Bienestar" in reply.body
    inbound = fresh(db, sa.select(Message).filter_by(direction=m.INBOUND, body="¡Hola!")).one()
    assert inbound.intent == "greet" and inbound.confidence > 0.5
    # Rasa saw the text untouched (its own Twilio channel would have made it "@Hola!").
    # Its HTTP API is off: the tracker store itself says what it got.
    tracker = sa.create_engine(stack.tracker_url)
    with tracker.connect() as connection:
        said = connection.execute(
            sa.text(
                "SELECT data FROM events WHERE sender_id = :key AND type_name = 'user' "
                "ORDER BY id DESC LIMIT 1"
            ),
            {"key": inbound.conversation.key},
        ).scalar_one()
    tracker.dispose()
    assert json.loads(said)["text"] == "¡Hola!"


def test_rasa_answers_nothing_without_the_channel_token_and_has_no_open_api(stack):
    message = {"sender": "intruso", "message": "hola"}
    assert requests.post(f"{stack.rasa_url}/webhooks/desk/webhook", json=message).status_code == 401
    # --enable-api is off: no tracker, no model swap, with or without a token.
    assert requests.get(f"{stack.rasa_url}/conversations/x/tracker", timeout=10).status_code == 404
    assert requests.put(f"{stack.rasa_url}/model", json={}, timeout=10).status_code in (404, 405)


def test_the_action_server_refuses_calls_without_its_token(stack):
    forged = {"next_action": "action_handoff", "tracker": {"sender_id": "x"}}
    url = f"http://127.0.0.1:{stack.actions_port}/webhook"

    assert requests.post(url, json=forged, timeout=10).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert requests.post(url, json=forged, headers=wrong, timeout=10).status_code == 401


def test_handoff_agent_reply_resolve_and_the_assistant_answers_again(stack, db):
    phone = "+5215510000002"

    # The citizen asks for a person: a case with a folio, and the folio on the phone.
    stack.citizen_says(phone, "quiero hablar con una persona")
    folio_reply = stack.wait_for(
        lambda: [r for r in stack.replies_to(phone) if "folio" in r.body], "the folio"
    )[0]
    case = fresh(db, sa.select(Case)).all()[-1]
    assert case.folio in folio_reply.body
    assert (case.status, case.reason) == ("new", "citizen_request")
    assert conversation_of(db, phone).mode == "human"

    # The next message lands in the case, and the assistant says nothing. (First let
    # the one-time privacy notice, queued right after the folio, arrive.)
    stack.wait_for(
        lambda: [r for r in stack.replies_to(phone) if "privacidad" in r.body], "the privacy notice"
    )
    replies_so_far = len(stack.replies_to(phone))
    stack.citizen_says(phone, "es sobre mi pensión, no me ha llegado")
    landed = stack.wait_for(
        lambda: fresh(
            db,
            sa.select(Message).filter_by(
                body="es sobre mi pensión, no me ha llegado", status=m.DONE
            ),
        ).first(),
        "routing",
    )
    assert landed.case_id == case.id
    assert (
        fresh(
            db, sa.select(Message).where(Message.direction == m.OUTBOUND, Message.id > landed.id)
        ).all()
        == []
    )
    assert len(stack.replies_to(phone)) == replies_so_far

    # The agent answers from the desk; the answer reaches the phone.
    browser = agent_session(stack)
    case_url = f"{stack.desk_url}/cases/{case.id}"
    assert "es sobre mi pensión" in browser.get(case_url).text
    sent = browser.post(
        f"{case_url}/reply",
        allow_redirects=False,
        data={
            "body": "Hola, soy Ana. Ya revisé tu registro.",
            "csrf_token": form_token(browser, case_url),
        },
    )
    assert sent.status_code == 302
    agent_reply = stack.wait_for(
        lambda: [r for r in stack.replies_to(phone) if r.body.startswith("Hola, soy Ana")],
        "the agent",
    )[0]
    assert agent_reply.from_ == f"whatsapp:{DESK_NUMBER}"

    # Resolving tells the citizen and asks how it went; the rating is kept on the case.
    resolved = browser.post(
        f"{case_url}/resolve",
        allow_redirects=False,
        data={"csrf_token": form_token(browser, case_url)},
    )
    assert resolved.status_code == 302
    notice = stack.wait_for(
        lambda: [r for r in stack.replies_to(phone) if "resuelto" in r.body],
        "the resolution notice",
    )[0]
    assert "del 1 (mal) al 5" in notice.body
    stack.citizen_says(phone, "5")
    stack.wait_for(
        lambda: [r for r in stack.replies_to(phone) if r.body.startswith("¡Gracias")],
        "thanks for the rating",
    )
    assert fresh(db, sa.select(Case).filter_by(id=case.id)).one().csat_score == 5

    # Soon after, the citizen's next message reopens the same case: a person answers.
    stack.citizen_says(phone, "perdón, una cosa más")
    stack.wait_for(
        lambda: fresh(db, sa.select(Case).filter_by(id=case.id, reopened_count=1)).first(),
        "the case reopened",
    )
    assert conversation_of(db, phone).mode == "human"
    resolved = browser.post(
        f"{case_url}/resolve",
        allow_redirects=False,
        data={"csrf_token": form_token(browser, case_url)},
    )
    assert resolved.status_code == 302

    # Days later the citizen starts again with the assistant.
    let_the_reopen_window_pass(db, case.id)
    stack.citizen_says(phone, "hola")
    stack.wait_for(
        lambda: [r for r in stack.replies_to(phone) if "asistente del Centro" in r.body],
        "the assistant again",
    )
    assert conversation_of(db, phone).mode == "bot"


def test_a_forged_signature_gets_403_and_no_answer(stack, db):
    phone = "+5215510000003"

    response = stack.citizen_says(phone, "hola", token="forged-token")

    assert response.status_code == 403
    assert (
        fresh(db, sa.select(Conversation).filter_by(citizen_address=f"whatsapp:{phone}")).first()
        is None
    )


def test_a_replayed_message_sid_is_answered_once(stack, db):
    phone = "+5215510000004"
    stack.citizen_says(phone, "hola", sid="SMreplayed0000000000000000000001")
    stack.wait_for(lambda: stack.replies_to(phone), "the first answer")

    again = stack.citizen_says(phone, "hola", sid="SMreplayed0000000000000000000001")
    # A later message is the barrier: once it is answered, a replay would have been too.
    stack.citizen_says(phone, "gracias")
    stack.wait_for(
        lambda: [r for r in stack.replies_to(phone) if "gusto" in r.body],
        "the answer to the later message",
    )

    assert again.status_code == 200
    greetings = [r for r in stack.replies_to(phone) if "asistente del Centro" in r.body]
    assert len(greetings) == 1


def test_an_sms_is_answered_from_the_sms_number_and_delivery_is_recorded(stack, db):
    phone = "+5215510000005"

    stack.citizen_says(phone, "buenas tardes", channel="sms")

    reply = stack.wait_for(lambda: stack.replies_to(phone, "sms"), "the SMS answer")[0]
    assert (reply.to, reply.from_) == (phone, DESK_NUMBER)
    assert reply.status_callback == f"{stack.desk_url}/channels/twilio/status"
    delivered = stack.wait_for(
        lambda: fresh(
            db, sa.select(Message).filter_by(provider_sid=reply.sid, delivery_status="delivered")
        ).first(),
        "the status callback",
    )
    assert delivered.author == m.BOT
