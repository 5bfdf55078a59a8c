"""The embedded default in a real browser (Debian's Chromium, driven by Playwright):
a citizen on the simulator phone and an agent in the desk, as a new user would try it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from desk.models import Agent

pytestmark = pytest.mark.e2e
WAIT_MS = 90_000  # the assistant's first answer can take a while on a busy 2-core machine


@pytest.fixture(scope="module")
def demo_agent(sandbox_stack):
    engine = sa.create_engine(sandbox_stack.database_url)
    with Session(engine) as session:
        agent = Agent(email="demo@cab.gob.mx", name="Agente Demo")
        agent.set_password("demo-ventanilla")
        session.add(agent)
        session.commit()
    engine.dispose()
    return "demo@cab.gob.mx", "demo-ventanilla"


def thread_has(phone, text: str) -> None:
    phone.wait_for_function(
        "text => [...document.querySelectorAll('#thread li')]"
        ".some(li => li.innerText.includes(text))",
        arg=text,
        timeout=WAIT_MS,
    )


def say(phone, text: str) -> None:
    phone.fill("#body", text)
    phone.click("#compose button")


def test_simulator_handoff_agent_reply_resolve_and_the_citizen_rates_it(
    sandbox_stack, browser, demo_agent
):
    base = sandbox_stack.desk_url
    phone = browser.new_page()
    phone.goto(f"{base}/simulator/")
    phone.fill("#phone", "+5215533334444")

    say(phone, "hola")
    thread_has(phone, "asistente del Centro de Atención al Bienestar")
    say(phone, "quiero hablar con un agente")
    thread_has(phone, "Tu folio es")
    folio = re.search(r"CAB-\d{4}-\d{6}", phone.inner_text("#thread")).group()

    desk = browser.new_page()
    desk.goto(f"{base}/cases/")
    desk.fill("#email", demo_agent[0])
    desk.fill("#password", demo_agent[1])
    desk.click("button[type=submit]")
    desk.click(f"text={folio}")
    assert "quiero hablar con un agente" in desk.inner_text(".transcript")
    desk.fill("#body", "Hola, soy del Centro. ¿En qué te ayudo?")
    desk.click("form.reply button")
    thread_has(phone, "soy del Centro")

    desk.click("form.resolve button")
    thread_has(phone, f"Tu caso {folio} quedó resuelto")
    # The assistant asks how it went; the rating is thanked and kept on the case.
    say(phone, "5")
    thread_has(phone, "Gracias por tu respuesta")
    desk.goto(f"{base}/cases/?view=done")
    assert folio in desk.inner_text("main")
