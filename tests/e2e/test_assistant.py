"""The assistant through the real channel: answers from the catalog as they reach the
citizen's phone (the Twilio stand-in), menus, language, folios, BAJA/ALTA."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from actions.answers import sms_segments
from desk.models import Message
from desk.models import message as m
from tests.e2e.helpers import (
    agent_session,
    conversation_of,
    form_token,
    fresh,
    let_the_reopen_window_pass,
)

pytestmark = pytest.mark.e2e


def converse(stack, phone: str, text: str, expect: str, *, channel: str = "whatsapp"):
    """Send a message and wait for the reply that contains ``expect``."""
    before = len(stack.replies_to(phone, channel))
    stack.citizen_says(phone, text, channel=channel)
    return stack.wait_for(
        lambda: [r for r in stack.replies_to(phone, channel)[before:] if expect in r.body],
        f"a reply containing {expect!r} to {text!r}",
    )[0]


def test_requirements_then_cost_then_another_procedure_without_repeating_names(stack):
    phone = "+5215520000001"

    requirements = converse(
        stack, phone, "k necesito pa sacar el pasaporte", "Pasaporte mexicano — requisitos"
    )
    cost = converse(stack, phone, "y cuanto cuesta?", "$4,280")
    acta = converse(stack, phone, "¿y el acta?", "copia certificada")

    assert "https://www.gob.mx/pasaporte" in requirements.body
    # Uncertain (the 2026 discount amounts): the citizen is sent to the official site.
    assert cost.body.endswith("Confírmalo en el sitio oficial: https://www.gob.mx/pasaporte")
    # One answer is one message, its closing link included.
    assert acta.body.endswith("Sitio oficial: https://www.miregistrocivil.gob.mx")
    # Once, closing the first answer.
    notices = [r for r in stack.replies_to(phone) if "Aviso de privacidad" in r.body]
    assert notices == [requirements]


def test_the_numbered_menu_is_answered_with_digits(stack):
    phone = "+5215520000002"

    converse(stack, phone, "menu", "1 Llave MX")
    overview = converse(stack, phone, "4", "Pasaporte mexicano:")
    cost = converse(stack, phone, "2", "$1,795")

    assert "1 requisitos · 2 costo" in overview.body
    assert cost.from_ == "whatsapp:+525500000000"


def test_an_english_conversation_is_answered_in_english(stack, db):
    phone = "+5215520000003"

    cost = converse(stack, phone, "hi, how much is the passport?", "2026 fees")

    answer, notice = cost.body.split("\n\nPrivacy notice")  # it closes the first answer
    assert answer.endswith("Please confirm it on the official site: https://www.gob.mx/pasaporte")
    assert "write STOP" in notice
    assert conversation_of(db, phone).language == "en"
    converse(stack, phone, "en español porfa", "seguimos en español")


def test_an_sms_answer_fits_in_three_segments(stack):
    phone = "+5215520000004"

    answer = converse(stack, phone, "requisitos del pasaporte", "(requisitos)", channel="sms")

    assert answer.body.startswith("Pasaporte (requisitos): ")
    assert sms_segments(answer.body) <= 3
    assert answer.to == phone and answer.from_ == "+525500000000"
    # On SMS the privacy notice goes alone: with it the answer would be six segments.
    stack.wait_for(
        lambda: [r for r in stack.replies_to(phone, "sms") if r.body.startswith("Aviso de")],
        "the notice on its own",
    )


def test_a_folio_is_told_to_its_owner_and_to_nobody_else(stack, db):
    owner, stranger = "+5215520000005", "+5215520000006"
    handoff = converse(stack, owner, "quiero hablar con un agente", "folio")
    folio = handoff.body.split("folio es ")[1].split(".")[0]
    browser = agent_session(stack)
    case_id = int(folio.rsplit("-", 1)[1])
    case_url = f"{stack.desk_url}/cases/{case_id}"
    browser.post(f"{case_url}/resolve", data={"csrf_token": form_token(browser, case_url)})
    # The notice is sent as the case closes, so it may already be out before the
    # citizen's next message: wait for it on its own. Days later, the assistant answers.
    stack.wait_for(
        lambda: [r for r in stack.replies_to(owner) if f"{folio} quedó resuelto" in r.body],
        "the resolution notice",
    )
    let_the_reopen_window_pass(db, case_id)
    converse(stack, owner, "hola", "Centro de Atención al Bienestar")

    mine = converse(stack, owner, f"como va mi folio {folio}", "quedó resuelto")
    theirs = converse(stack, stranger, f"como va el folio {folio}", "No encontré")

    assert folio in mine.body
    assert folio not in theirs.body and "resuelto" not in theirs.body


def test_baja_stops_the_assistant_and_alta_brings_it_back(stack, db):
    phone = "+5215520000007"
    converse(stack, phone, "hola", "Centro de Atención al Bienestar")

    converse(stack, phone, "BAJA", "ya no recibirás mensajes")
    replies = len(stack.replies_to(phone))
    stack.citizen_says(phone, "cuanto cuesta el pasaporte")
    silent = stack.wait_for(
        lambda: fresh(
            db, sa.select(Message).filter_by(body="cuanto cuesta el pasaporte", status=m.DONE)
        ).first(),
        "the ignored message",
    )
    assert (
        fresh(
            db, sa.select(Message).where(Message.direction == m.OUTBOUND, Message.id > silent.id)
        ).all()
        == []
    )
    assert len(stack.replies_to(phone)) == replies
    assert conversation_of(db, phone).opted_out is True

    converse(stack, phone, "ALTA", "Bienvenido de vuelta")
    converse(stack, phone, "cuanto cuesta el pasaporte", "$4,280")


def test_a_problem_gets_advice_and_a_yes_reaches_a_person(stack, db):
    phone = "+5215520000021"

    advice = converse(
        stack, phone, "ya hice mi llave mx pero nunca me llegó el código", "Responde «sí»"
    )
    handoff = converse(stack, phone, "si porfa", "folio")

    assert advice.body.startswith("Llave MX — ")
    assert "spam" in advice.body
    case = conversation_of(db, phone).cases[0]
    assert case.folio in handoff.body
    assert case.topic == "llave_mx"


def test_a_relative_s_age_is_answered_with_the_programme_that_fits(stack):
    answer = converse(
        stack, "+5215520000022", "mi suegra va a cumplir 64, a que tiene derecho?", "suegra"
    )

    assert answer.body.startswith("Pensión Mujeres Bienestar (60 a 64): le corresponde a tu suegra")


def test_a_citizen_fed_up_with_the_assistant_gets_a_person_not_the_menu(stack, db):
    phone = "+5215520000023"

    converse(stack, phone, "mmm lo del asunto aquel", "Elige un número")
    handoff = converse(stack, phone, "???", "folio")

    case = conversation_of(db, phone).cases[0]
    assert case.folio in handoff.body
    angry = converse(
        stack, "+5215520000024", "ya me cansé de este robot, páseme a alguien", "folio"
    )
    assert "folio" in angry.body
