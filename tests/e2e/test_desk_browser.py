"""The helpdesk in a real browser (Debian's Chromium, driven by Playwright), as its
people use it: an agent takes a case, sees the citizen's next message arrive without
reloading, inserts a canned reply, sends it, writes a note and resolves; the citizen
rates the service; a WhatsApp case past 24 hours offers only templates; a supervisor
reads the dashboard; an agent sees phone numbers masked. Screenshots of the queue,
the case page and the dashboard go to SCREENSHOTS_DIR when it is set (docs/)."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.models import Agent, CannedReply, Case, Conversation, WhatsAppTemplate

pytestmark = pytest.mark.e2e
WAIT_MS = 90_000
PASSWORD = "contraseña-segura"
FIRST, SECOND = "+5215540001111", "+5215540002222"


@pytest.fixture(scope="module")
def desk_db(sandbox_stack):
    engine = sa.create_engine(sandbox_stack.database_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


@pytest.fixture(scope="module")
def people(desk_db):
    for email, name, role in (
        ("lucia@cab.gob.mx", "Lucía Agente", "agent"),
        ("sofia@cab.gob.mx", "Sofía Supervisora", "supervisor"),
    ):
        person = Agent(email=email, name=name, role=role)
        person.set_password(PASSWORD)
        desk_db.add(person)
    desk_db.add(
        CannedReply(
            shortcut="saludo",
            title="Saludo",
            body_es="Hola {nombre}, soy {agente}; reviso tu folio {folio}.",
            body_en="Hi {nombre}, I am {agente}; checking case {folio}.",
        )
    )
    desk_db.add(
        WhatsAppTemplate(
            name="seguimiento",
            content_sid="HX" + "b" * 32,
            language="es",
            body="Hola, seguimos tu caso {{1}}. Responde para continuar.",
            variables=["folio"],
        )
    )
    desk_db.commit()


def citizen_says(stack, phone: str, body: str) -> None:
    """What the simulator phone does: the desk signs it, it is posted like Twilio."""
    simulator = requests.Session()
    page = simulator.get(f"{stack.desk_url}/simulator/", timeout=10).text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    signed = simulator.post(
        f"{stack.desk_url}/simulator/api/sign",
        json={"phone": phone, "channel": "whatsapp", "body": body},
        headers={"X-CSRFToken": csrf},
        timeout=10,
    ).json()
    posted = requests.post(
        stack.desk_url + signed["url"],
        data=signed["params"],
        headers={"X-Twilio-Signature": signed["signature"]},
        timeout=10,
    )
    assert posted.status_code in (200, 204), posted.text


def case_of(desk_db, phone: str) -> Case:
    desk_db.expire_all()
    desk_db.rollback()
    conversation = desk_db.scalars(
        sa.select(Conversation).filter_by(citizen_address=f"whatsapp:{phone}")
    ).one()
    return desk_db.scalars(
        sa.select(Case).filter_by(conversation_id=conversation.id).order_by(Case.id.desc())
    ).first()


def wait_for_case(stack, desk_db, phone: str) -> Case:
    return stack.wait_for(lambda: _case_or_none(desk_db, phone), f"a case for {phone}", 120)


def _case_or_none(desk_db, phone: str) -> Case | None:
    try:
        return case_of(desk_db, phone)
    except sa.exc.NoResultFound:
        return None


def sign_in(browser, base: str, email: str):
    context = browser.new_context(viewport={"width": 1366, "height": 860})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page, errors


def shoot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def test_an_agent_works_a_case_to_resolution_and_the_citizen_rates_it(
    sandbox_stack,
    browser,
    desk_db,
    people,
):
    base = sandbox_stack.desk_url
    citizen_says(sandbox_stack, FIRST, "quiero hablar con un agente")
    citizen_says(sandbox_stack, SECOND, "quiero hablar con una persona")
    first = wait_for_case(sandbox_stack, desk_db, FIRST)
    wait_for_case(sandbox_stack, desk_db, SECOND)

    agent, errors = sign_in(browser, base, "lucia@cab.gob.mx")
    queue_text = agent.inner_text("main")
    assert first.folio in queue_text
    assert "40001111" not in queue_text and "•" in queue_text  # masked for agents
    shoot(agent, "queue")

    agent.click(f"text={first.folio}")
    agent.click("text=Tomar caso")
    agent.wait_for_selector("text=Tomado por")

    # The citizen writes while the page is open: it appears without a reload.
    citizen_says(sandbox_stack, FIRST, "es sobre mi pensión del bienestar")
    agent.wait_for_selector(
        "#transcript >> text=es sobre mi pensión del bienestar", timeout=WAIT_MS
    )

    agent.fill("#body", "/salu")
    agent.wait_for_selector("[role=option] >> text=Saludo", timeout=10_000)
    agent.keyboard.press("Enter")
    inserted = agent.input_value("#body")
    assert first.folio in inserted and "Lucía Agente" in inserted
    agent.click("form.reply-text button[type=submit]")
    agent.wait_for_selector(f"#transcript >> text=reviso tu folio {first.folio}")

    agent.fill("#note-body", "Revisar con el área de pensiones.")
    agent.click("text=Guardar nota")
    agent.wait_for_selector(".note-list >> text=Revisar con el área de pensiones.")
    shoot(agent, "case")

    agent.click("form.resolve button")
    agent.wait_for_load_state()
    sandbox_stack.wait_for(
        lambda: "del 1 (mal) al 5" in _last_reply(base, FIRST), "the satisfaction question", 60
    )
    citizen_says(sandbox_stack, FIRST, "5")
    sandbox_stack.wait_for(lambda: case_of(desk_db, FIRST).csat_score == 5, "the rating", 60)
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e]


def _last_reply(base: str, phone: str) -> str:
    shown = requests.get(
        f"{base}/simulator/api/messages",
        params={"phone": phone, "channel": "whatsapp"},
        timeout=10,
    ).json()["messages"]
    outbound = [m["body"] for m in shown if m["direction"] == "outbound"]
    return outbound[-1] if outbound else ""


def test_past_24_hours_a_whatsapp_case_offers_only_templates(
    sandbox_stack,
    browser,
    desk_db,
    people,
):
    case = wait_for_case(sandbox_stack, desk_db, SECOND)
    conversation = desk_db.get(Conversation, case.conversation_id)
    conversation.last_inbound_at = utcnow() - timedelta(hours=25)
    desk_db.commit()

    agent, _errors = sign_in(browser, sandbox_stack.desk_url, "lucia@cab.gob.mx")
    agent.goto(f"{sandbox_stack.desk_url}/cases/{case.id}")

    assert agent.locator("#body").count() == 0 or not agent.locator("#body").is_editable()
    assert "ventana de 24 horas" in agent.inner_text("#composer").lower()
    assert "seguimiento" in agent.inner_text("#composer")


def test_a_supervisor_sees_the_dashboard_charts_and_full_numbers(
    sandbox_stack,
    browser,
    desk_db,
    people,
):
    case = wait_for_case(sandbox_stack, desk_db, SECOND)
    supervisor, errors = sign_in(browser, sandbox_stack.desk_url, "sofia@cab.gob.mx")
    supervisor.goto(f"{sandbox_stack.desk_url}/cases/{case.id}")
    assert SECOND in supervisor.inner_text(".case-side")

    supervisor.goto(f"{sandbox_stack.desk_url}/dashboard/")
    supervisor.wait_for_function(
        "() => [...document.querySelectorAll('canvas')].filter(c => c.offsetParent && "
        "c.width > 0).length >= 3",
        timeout=WAIT_MS,
    )
    assert re.search(r"\d", supervisor.inner_text("main"))
    shoot(supervisor, "dashboard")
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e]


def test_a_supervisor_answers_with_a_template_resolves_and_handles_a_privacy_request(
    sandbox_stack, browser, desk_db, people
):
    base = sandbox_stack.desk_url
    second = wait_for_case(sandbox_stack, desk_db, SECOND)
    conversation = desk_db.get(Conversation, second.conversation_id)
    conversation.last_inbound_at = utcnow() - timedelta(hours=25)
    template = desk_db.scalars(sa.select(WhatsAppTemplate).filter_by(name="seguimiento")).one()
    desk_db.commit()
    supervisor, errors = sign_in(browser, base, "sofia@cab.gob.mx")

    # Outside the window: the approved template goes, with the folio filled in.
    supervisor.goto(f"{base}/cases/{second.id}")
    supervisor.check(f"#template-{template.id}")
    supervisor.click("form.reply-template button[type=submit]")
    supervisor.wait_for_selector(f"#transcript >> text=seguimos tu caso {second.folio}")
    supervisor.click("form.resolve button")
    supervisor.wait_for_load_state()
    assert case_of(desk_db, SECOND).status == "resolved"

    # The first citizen asks for their data, then for its erasure.
    supervisor.goto(f"{base}/privacidad/solicitudes")
    supervisor.fill("#phone", FIRST)
    supervisor.click("button:has-text('Buscar')")
    first = case_of(desk_db, FIRST)
    assert first.folio in supervisor.inner_text("main")
    with supervisor.expect_download() as download:
        supervisor.click("button[value=json]")
    exported = Path(download.value.path()).read_text()
    assert "es sobre mi pensión del bienestar" in exported

    supervisor.fill("#confirmation", FIRST)
    supervisor.click("button.danger")
    supervisor.wait_for_selector("text=Datos borrados")
    assert "El asistente también olvidó" in supervisor.inner_text("main")
    desk_db.expire_all()
    desk_db.rollback()
    assert FIRST not in (desk_db.get(Conversation, first.conversation_id).phone or "")
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e]
