"""The trainers' loop end to end, in a real browser (issue 9): a citizen's message the
assistant misreads arrives; a trainer labels it in the review inbox; the scrubbed example
lands in data/nlu/reviewed/; the trainer retrains from the desk (a real, short `rasa
train`: the live model fine-tuned for a fifth of its epochs), the gate passes against the
live model, the trainer publishes, Rasa pulls the model from the desk and now understands
the message; rolling back puts the previous model back on Rasa. A trainer corrects a fee
in the catalog editor (a new source replacing the old fee's) and the next citizen who
asks gets the new fee, with no restart.

Everything runs for real (Rasa, the action server, the desk, its worker and the training
runner); the training data is a copy, so the repository is never written. Screenshots of
the inbox, a message, a job and the models go to SCREENSHOTS_DIR when it is set (docs/).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session

from desk.models import Agent, AssistantModel, Conversation, Message, TrainingJob
from desk.models import message as m
from desk.training import nlu_data, runner, scrub
from tests.e2e.helpers import fresh
from tests.e2e.stack import BOT_BIN, MODEL, ROOT, Stack

pytestmark = pytest.mark.e2e

WAIT_MS = 30_000
PASSWORD = "contraseña-segura"
TRAINER = "tere.entrenadora@cab.gob.mx"
# What `rasa train` reads and `rasa test` checks, copied so the review writes the copy.
TRAINING_INPUTS = ("config.yml", "data", "bot/domain", "tests/nlu", "tests/test_stories.yml")
# A real training, kept short: the live model fine-tuned on the data with the reviewed
# example, for a fifth of the configured epochs (10 of DIET's and TED's 50).
FINETUNE = (
    f"{BOT_BIN / 'rasa'} train --config config.yml --domain bot/domain"
    " --data data/nlu data/rules data/stories --out {out} --fixed-model-name {name}"
    f" --finetune {MODEL} --epoch-fraction 0.2"
)
# The shipped model is unsure of this (below 0.6: it waits for review). The
# citizen's name in it is personal data: the scrubber replaces it before it is written.
SAID = "me llamo Rosa Elena Vázquez y todavía no veo el depósito"
MEANT = "ask_status"
UNSURE = 0.6  # REVIEW_CONFIDENCE_BELOW: below it a message waits for review
TRAINING_DEADLINE = 20 * 60  # seconds; a deadline, not a measurement (the test prints that)


@pytest.fixture(scope="module")
def training_root(tmp_path_factory) -> Path:
    """A copy of the repository's training inputs: the review writes here, never there."""
    root = tmp_path_factory.mktemp("training") / "repo"
    for name in TRAINING_INPUTS:
        source, target = ROOT / name, root / name
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    # The runner's default test commands name the bot environment relative to the root.
    (root / ".venv-bot").symlink_to(ROOT / ".venv-bot")
    return root


@pytest.fixture(scope="module")
def stack(tmp_path_factory, training_root) -> Iterator[Stack]:
    running = Stack(
        tmp_path_factory.mktemp("training-stack"),
        model_server=True,
        training_runner=True,
        desk_env={
            "TRAINING_DATA_ROOT": str(training_root),
            "TRAINING_COMMAND": FINETUNE,
            # The action server answers from the catalog the trainers edit.
            "CATALOG_DIR": str(training_root / "data/procedures"),
        },
    )
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def shipped() -> str:
    """The Rasa model_id of the model the assistant shipped with: what the servers run
    until a trainer publishes one. The desk records it itself (tested on the held-out
    set before the first training) so the gate and a rollback have it."""
    model_id = runner.rasa_model_id(MODEL)
    assert model_id
    return model_id


@pytest.fixture(scope="module")
def db(stack: Stack) -> Iterator[Session]:
    # A plain engine: the desk's own takes SQLite's write lock on BEGIN.
    engine = sa.create_engine(stack.database_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


@pytest.fixture(scope="module")
def trainer(db: Session) -> str:
    person = Agent(email=TRAINER, name="Teresa Ruiz", role="trainer")
    person.set_password(PASSWORD)
    db.add(person)
    db.commit()
    return TRAINER


def loaded(stack: Stack) -> str | None:
    """The model_id Rasa reports; None while it is busy loading one."""
    try:
        return requests.get(f"{stack.rasa_url}/webhooks/desk/", timeout=5).json().get("model_id")
    except requests.RequestException:
        return None


def understood(stack: Stack, db: Session, phone: str) -> Message:
    """The citizen writes SAID; the inbound message once the desk recorded Rasa's reading."""
    assert stack.citizen_says(phone, SAID).status_code == 200
    return stack.wait_for(lambda: _read(db, phone), f"the assistant's reading for {phone}", 120)


def _read(db: Session, phone: str) -> Message | None:
    found = fresh(
        db,
        sa.select(Message)
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(
            Conversation.citizen_address == f"whatsapp:{phone}",
            Message.direction == m.INBOUND,
            Message.body == SAID,
        ),
    ).first()
    return found if found is not None and found.model_id else None


def latest_job(db: Session) -> TrainingJob | None:
    return fresh(db, sa.select(TrainingJob).order_by(TrainingJob.id.desc())).first()


def sign_in(browser, stack: Stack, email: str):
    context = browser.new_context(viewport={"width": 1366, "height": 860})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{stack.desk_url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page, errors


def shoot(page, name: str, *, full_page: bool = False) -> None:
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)


def test_a_trainer_teaches_the_assistant_a_message_publishes_it_and_rolls_back(
    stack, browser, db, shipped, trainer, training_root
):
    began = time.monotonic()
    scrubbed = scrub.scrub(SAID).text
    assert "Vázquez" not in scrubbed
    # Only an example that goes to training (not to the held-out set) can be learnt.
    assert not nlu_data.held_out(nlu_data.Example(scrubbed, MEANT))

    # A citizen writes; the shipped model misreads it, so it waits for review.
    before = understood(stack, db, "+5215560000001")
    assert before.model_id == shipped
    # Misread, or read too unsure to answer from: either way it waits for review.
    assert before.intent != MEANT or before.confidence < UNSURE, (before.intent, before.confidence)

    page, errors = sign_in(browser, stack, trainer)
    page.click("nav >> text=Revisión")
    row = page.locator("table.queue tr", has_text=SAID[:40])
    row.wait_for(timeout=WAIT_MS)
    shoot(page, "training-inbox")

    row.locator("a").click()
    assert scrubbed in page.inner_text(".scrubbed")
    # Before deciding, the trainer sees that this one teaches (it is not a test message).
    assert page.get_attribute(".destination", "data-destination") == "training"
    page.fill("#intent", MEANT)
    shoot(page, "training-message", full_page=True)  # the turn, the preview and the form
    page.press("#intent", "Enter")
    page.wait_for_selector("text=Ejemplo guardado en los datos de entrenamiento")
    written = (training_root / "data/nlu/reviewed" / f"{MEANT}.yml").read_text("utf-8")
    assert f"- {scrubbed}\n" in written and "Vázquez" not in written

    page.goto(f"{stack.desk_url}/training/jobs")
    page.click("button:has-text('Entrenar')")
    page.wait_for_selector("text=Entrenamiento en cola.")
    # The job page reloads itself every 2 s while the job runs: the epochs show there.
    stack.wait_for(lambda: (latest_job(db).epoch or 0) >= 3, "the training's epochs", 600)
    page.wait_for_selector("progress:not([value='0'])", timeout=WAIT_MS)
    shoot(page, "training-job")
    job = stack.wait_for(
        lambda: (j := latest_job(db)).status in ("succeeded", "failed") and j,
        "the training job",
        TRAINING_DEADLINE,
    )
    assert job.status == "succeeded", f"{job.error}\n{stack.logs()}"
    trained = fresh(db, sa.select(AssistantModel).filter_by(job_id=job.id)).one()
    # Tested before the first training: the model the servers ran, judged against.
    first = fresh(db, sa.select(AssistantModel).filter_by(rasa_model_id=shipped)).one()
    assert first.job_id is None and first.intent_f1 is not None
    print(
        f"\nretrain (fine-tuning, 0.2 of the epochs, then both tests): "
        f"{(job.finished_at - job.started_at).total_seconds():.0f} s"
        f"\nintent macro-F1 {first.intent_f1:.4f} -> {trained.intent_f1:.4f}; "
        f"procedure F1 {first.procedure_f1:.4f} -> {trained.procedure_f1:.4f}; "
        f"conversation tests passed: {trained.stories_passed}"
    )
    assert trained.gate_passed, trained.gate_reasons

    page.click(f"text={trained.filename}")  # the job's model, against the live one
    page.wait_for_selector("#per-intent")
    page.goto(f"{stack.desk_url}/training/models")
    published = time.monotonic()
    page.locator("table.queue tr", has_text=f"Modelo {trained.id}").locator(
        "button:has-text('Publicar')"
    ).click()
    page.wait_for_selector(f"text=Modelo {trained.id} publicado")
    stack.wait_for(lambda: loaded(stack) == trained.rasa_model_id, "Rasa on the new model", 180)
    pulled = time.monotonic() - published

    # The same words from another citizen: the new model reads what the trainer meant.
    after = understood(stack, db, "+5215560000002")
    answered = time.monotonic() - published
    assert after.model_id == trained.rasa_model_id
    assert after.intent == MEANT and after.confidence >= UNSURE, (after.intent, after.confidence)
    print(f"publish -> Rasa on the new model {pulled:.1f} s, answering with it {answered:.1f} s")
    page.reload()
    page.wait_for_selector("section[aria-labelledby=replicas] .badge")
    shoot(page, "training-models")

    page.click("button:has-text('Volver al modelo anterior')")
    page.wait_for_selector(f"text=De vuelta al modelo {first.id}")
    stack.wait_for(lambda: loaded(stack) == shipped, "Rasa on the old model", 180)
    print(f"whole test: {time.monotonic() - began:.0f} s")
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e]


def test_a_trainer_corrects_a_fee_and_the_assistant_answers_with_it_at_once(
    stack, browser, trainer, training_root
):
    page, errors = sign_in(browser, stack, trainer)
    page.click("nav >> text=Catálogo")
    page.click("a[href$='/content/pasaporte']")
    page.locator("#cost").get_by_role("link", name="Editar").click()
    for field in ("#es", "#en"):
        assert "$4,280" in page.input_value(field)
        page.fill(field, page.input_value(field).replace("$4,280", "$4,295"))
    page.click("button:has-text('Guardar')")
    # A figure no source backs: listed back, and nothing written until confirmed.
    page.wait_for_selector("#figures >> text=$4,295")
    assert "$4,295" not in (training_root / "data/procedures/pasaporte.yml").read_text("utf-8")
    page.fill("#source_ref", "sre 2026-11-20")
    page.select_option("#source_reliability", "oficial")
    page.check("input[name=remove_sources][value='mimorelia 2026-01-07']")
    page.check("#confirm_figures")
    page.click("button:has-text('Guardar')")
    page.wait_for_selector("text=fecha de revisión movida a 2026-11-20")

    phone = "+5215560000003"
    assert stack.citizen_says(phone, "cuanto cuesta el pasaporte de 10 años?").status_code == 200
    answer = stack.wait_for(lambda: stack.replies_to(phone), "the assistant's answer", 120)
    assert "$4,295" in answer[0].body and "$4,280" not in answer[0].body
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e]
