"""The training runner end to end, with stand-in commands that talk like Rasa 3.6.

Real Rasa never runs here: a small script prints what `rasa train` and `rasa test nlu`
print (tqdm's carriage returns included) and writes the files they write.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from desk.models.training import FAILED, SUCCEEDED, AssistantModel
from desk.training import jobs, runner

STAND_IN = r"""
import io, json, sys, tarfile, time
from pathlib import Path

LOG = "2026-11-29 11:19:24 INFO     "
VALIDATING = LOG + "rasa.cli.train  - Started validating domain and training data..."
HOOKS = LOG + "rasa.engine.training.hooks  - "

def say(text, end="\n"):
    sys.stdout.write(text + end)
    sys.stdout.flush()

step = sys.argv[1]
if step == "train":
    out, name = Path(sys.argv[2]), sys.argv[3]
    say(VALIDATING)
    say(HOOKS + "Starting to train component 'DIETClassifier'.")
    for epoch in range(0, 51):
        bar = "█" * (epoch // 5)
        rest = f"{epoch}/50 [00:0{epoch % 10}<00:30,  1.01s/it, t_loss=3.08]"
        say(f"\rEpochs: {epoch * 2:3d}%|{bar:<10}| {rest}", end="")
    say("")
    say(HOOKS + "Finished training component 'DIETClassifier'.")
    archive = out / f"{name}.tar.gz"
    metadata = json.dumps({"model_id": "6c1f2a0e9d8b4c3aa1b2c3d4e5f60718"}).encode()
    with tarfile.open(archive, "w:gz") as bundle:
        info = tarfile.TarInfo("metadata.json")
        info.size = len(metadata)
        bundle.addfile(info, io.BytesIO(metadata))
    say(f"\x1b[92mYour Rasa model is trained and saved at '{archive}'.\x1b[0m")
elif step == "test":
    model, results = Path(sys.argv[2]), Path(sys.argv[3])
    assert model.is_file()
    results.mkdir(parents=True)
    say("2026-11-29 11:22:01 INFO     rasa.nlu.test  - Running model for predictions:")
    row = lambda f1, n: {"precision": f1, "recall": f1, "f1-score": f1, "support": n}
    (results / "intent_report.json").write_text(json.dumps({
        "ask_cost": row(0.96, 25), "ask_requirements": row(0.90, 20),
        "nlu_fallback": row(0.0, 0), "accuracy": 0.93,
        "macro avg": row(0.62, 45), "weighted avg": row(0.93, 45),
    }))
    (results / "DIETClassifier_report.json").write_text(json.dumps({
        "procedure": row(0.91, 30), "folio": row(1.0, 4),
    }))
elif step == "fail":
    say(VALIDATING)
    say("Traceback (most recent call last):")
    say('  File "/work/main/.venv-bot/bin/rasa", line 8, in <module>')
    say("rasa.shared.exceptions.YamlSyntaxException: Failed to read 'data/nlu/tramites.yml'.")
    sys.exit(1)
elif step == "quiet-fail":
    sys.exit(2)
elif step == "half-test":
    results = Path(sys.argv[3])
    results.mkdir(parents=True)
    (results / "intent_errors.json").write_text("[")
    say("rasa.shared.exceptions.RasaException: the test run broke off.")
    sys.exit(1)
elif step == "stories":
    say("2026-11-29 11:23:10 INFO     rasa.core.test  - \tCorrect:          29 / 29")
elif step == "sleep":
    say(VALIDATING)
    time.sleep(30)
"""


@pytest.fixture
def trainer(make_agent):
    return make_agent(email="tere.entrenadora@cab.gob.mx", name="Teresa Ruiz", role="trainer")


@pytest.fixture
def settings(tmp_path):
    script = tmp_path / "rasa_stand_in.py"
    script.write_text(STAND_IN, "utf-8")
    root = tmp_path / "repo"
    root.mkdir()

    def make(train: str = "train", test: str = "test", stories: str = "stories") -> runner.Settings:
        return runner.Settings(
            root=root,
            instance=tmp_path / "instance",
            training_command=f"{sys.executable} {script} {train} {{out}} {{name}}",
            test_command=f"{sys.executable} {script} {test} {{model}} {{results}}",
            stories_command=f"{sys.executable} {script} {stories} {{model}} {{results}}",
        )

    return make


def run_one(db, settings: runner.Settings, stopping: threading.Event | None = None):
    job = runner.run_once(db, settings, "trainer-1:4242", stopping or threading.Event())
    assert job is not None
    db.expire_all()
    return job


def test_a_job_trains_tests_and_keeps_the_model_under_its_fingerprint(db, trainer, settings):
    jobs.queue_job(db, trainer)
    chosen = settings()

    job = run_one(db, chosen)

    assert job.status == SUCCEEDED
    model = db.scalar(sa.select(AssistantModel).filter_by(job_id=job.id))
    kept = chosen.instance / "models" / model.filename
    assert model.sha256 == hashlib.sha256(kept.read_bytes()).hexdigest()
    assert model.filename == f"{model.sha256[:12]}.tar.gz"
    assert model.size == kept.stat().st_size
    assert model.rasa_model_id == "6c1f2a0e9d8b4c3aa1b2c3d4e5f60718"
    assert not (chosen.instance / "models" / "jobs" / f"job-{job.id}.tar.gz").exists()


def test_the_figures_are_the_held_out_macro_f1_without_the_fallback_and_the_procedure_f1(
    db, trainer, settings
):
    jobs.queue_job(db, trainer)

    job = run_one(db, settings())

    model = job.model
    assert model.intent_f1 == pytest.approx((0.96 + 0.90) / 2)
    assert model.procedure_f1 == pytest.approx(0.91)
    assert sorted(model.per_intent) == ["ask_cost", "ask_requirements"]


def test_the_whole_output_goes_to_the_log_file_and_its_end_to_the_job(db, trainer, settings):
    jobs.queue_job(db, trainer)
    chosen = settings()

    job = run_one(db, chosen)

    log = (chosen.instance / "training" / f"job-{job.id}.log").read_bytes().decode()
    assert log.count("\rEpochs:") == 51
    assert "Running model for predictions" in log
    tail = job.log_tail.splitlines()
    assert "Correct:          29 / 29" in tail[-1]  # the conversation tests run last
    # 51 redraws of the bar leave one line in the tail, as on a terminal.
    assert [line for line in tail if line.startswith("Epochs:")] == [
        "Epochs: 100%|██████████| 50/50 [00:00<00:30,  1.01s/it, t_loss=3.08]"
    ]


def test_a_failing_command_fails_the_job_with_its_last_error_line(db, trainer, settings):
    jobs.queue_job(db, trainer)

    job = run_one(db, settings(train="fail"))

    assert job.status == FAILED
    assert job.error == (
        "rasa.shared.exceptions.YamlSyntaxException: Failed to read 'data/nlu/tramites.yml'."
    )
    assert job.model is None


def test_a_command_that_fails_without_a_word_says_to_look_at_the_log(db, trainer, settings):
    jobs.queue_job(db, trainer)

    job = run_one(db, settings(train="quiet-fail"))

    assert (job.status, job.error) == (FAILED, runner.FAILED_SILENTLY)


def test_a_test_run_that_leaves_no_report_fails_the_job(db, trainer, settings):
    jobs.queue_job(db, trainer)

    job = run_one(db, settings(test="quiet-fail"))

    assert (job.status, job.error) == (FAILED, runner.FAILED_SILENTLY)


def test_a_job_that_fails_after_training_removes_its_archive_and_reports_but_keeps_its_log(
    db, trainer, settings
):
    jobs.queue_job(db, trainer)
    chosen = settings(test="half-test")

    job = run_one(db, chosen)

    assert job.status == FAILED
    assert not (chosen.instance / "models" / "jobs" / f"job-{job.id}.tar.gz").exists()
    assert not (chosen.instance / "training" / f"job-{job.id}-results").exists()
    assert "the test run broke off" in (
        chosen.instance / "training" / f"job-{job.id}.log"
    ).read_text("utf-8")


def test_a_job_that_fails_while_recording_its_model_removes_the_kept_archive(
    db, trainer, settings, monkeypatch
):
    def database_gone(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(jobs, "succeed", database_gone)
    jobs.queue_job(db, trainer)
    chosen = settings()

    job = run_one(db, chosen)

    assert (job.status, job.error) == (FAILED, runner.INTERNAL)
    assert list((chosen.instance / "models").glob("*.tar.gz")) == []
    assert (chosen.instance / "training" / f"job-{job.id}.log").is_file()


def test_a_failed_job_leaves_alone_an_identical_archive_another_model_keeps(
    db, trainer, settings, monkeypatch
):
    jobs.queue_job(db, trainer)
    chosen = settings()
    kept = db.scalar(sa.select(AssistantModel).filter_by(job_id=run_one(db, chosen).id))
    archive = chosen.instance / "models" / kept.filename

    def same_archive_again(path):  # the archive's name comes from its hash
        return kept.sha256, archive.stat().st_size

    monkeypatch.setattr(runner, "fingerprint", same_archive_again)
    jobs.queue_job(db, trainer)
    second = run_one(db, chosen)  # the same hash is refused as a second model

    assert second.status == FAILED
    assert archive.is_file()


def test_a_missing_command_fails_the_job_instead_of_the_runner(db, trainer, settings, tmp_path):
    jobs.queue_job(db, trainer)
    chosen = settings()
    missing = runner.Settings(
        root=chosen.root,
        instance=chosen.instance,
        training_command=".venv-bot/bin/rasa train --out {out}",
    )

    job = run_one(db, missing)

    assert job.status == FAILED
    assert job.error.startswith(".venv-bot/bin/rasa: No such file")


def test_stopping_the_runner_stops_the_command_and_fails_the_job(db, trainer, settings):
    jobs.queue_job(db, trainer)
    stopping = threading.Event()
    stopping.set()
    started = time.monotonic()

    job = run_one(db, settings(train="sleep"), stopping)

    assert time.monotonic() - started < 10
    assert (job.status, job.error) == (FAILED, runner.STOPPED)


def test_with_nothing_queued_the_runner_runs_nothing(db, settings):
    assert runner.run_once(db, settings(), "trainer-1:4242", threading.Event()) is None


def test_the_command_does_not_inherit_the_desks_secrets(monkeypatch):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "f3c1d2e4a5b6c7d8e9f0a1b2c3d4e5f6")
    monkeypatch.setenv("DATABASE_URL", "postgresql://desk:s3creta@db/ventanilla")

    environment = runner.child_environment()

    assert "TWILIO_AUTH_TOKEN" not in environment
    assert "DATABASE_URL" not in environment
    assert environment["RASA_TELEMETRY_ENABLED"] == "false"


def test_the_dependencies_deprecation_noise_stays_out_of_the_log_unless_the_operator_wants_it(
    monkeypatch,
):
    monkeypatch.delenv("PYTHONWARNINGS", raising=False)
    quiet = runner.child_environment()
    noisy = subprocess.run(
        [sys.executable, "-c", "import warnings; warnings.warn('old API', DeprecationWarning)"],
        env=quiet,
        capture_output=True,
        text=True,
    )
    useful = subprocess.run(
        [sys.executable, "-c", "import warnings; warnings.warn('intent has 1 example')"],
        env=quiet,
        capture_output=True,
        text=True,
    )
    monkeypatch.setenv("PYTHONWARNINGS", "default")

    assert noisy.stderr == "" and "intent has 1 example" in useful.stderr
    assert runner.child_environment()["PYTHONWARNINGS"] == "default"


def test_credentials_in_an_error_line_are_blanked():
    line = "OperationalError: could not connect to postgresql://rasa:s3creta@db:5432/tracker"

    assert "s3creta" not in runner.redact(line)


def test_the_placeholders_are_filled_in_each_word_of_the_command():
    assert runner.command(
        ".venv-bot/bin/rasa test nlu --model {model} --out {results}",
        model="/srv/instance/models/jobs/job-7.tar.gz",
        results="/srv/instance/training/job-7-results",
    ) == [
        ".venv-bot/bin/rasa",
        "test",
        "nlu",
        "--model",
        "/srv/instance/models/jobs/job-7.tar.gz",
        "--out",
        "/srv/instance/training/job-7-results",
    ]


def test_figures_read_from_a_results_folder_without_an_intent_report_fail(tmp_path: Path):
    with pytest.raises(runner.Failed) as failed:
        runner.read_figures(tmp_path)

    assert failed.value.reason == runner.NO_REPORT


def test_the_patch_command_says_plainly_when_the_data_is_not_a_git_checkout(app, tmp_path):
    app.config["TRAINING_DATA_ROOT"] = str(tmp_path)

    result = app.test_cli_runner().invoke(args=["training-patch"])

    assert result.exit_code == 0
    assert result.output == f"{tmp_path} is not a git checkout: there is no diff to show.\n"


def test_a_trained_model_is_judged_by_the_gate_with_its_conversation_tests(db, trainer, settings):
    jobs.queue_job(db, trainer)
    run_one(db, settings())
    jobs.queue_job(db, trainer)
    run_one(db, settings(stories="quiet-fail"))

    passed, failed = db.scalars(sa.select(AssistantModel).order_by(AssistantModel.id)).all()
    assert (passed.stories_passed, passed.gate_passed) == (True, True)
    # Same figures, but a conversation broke: it may not go live.
    assert (failed.stories_passed, failed.gate_passed) == (False, False)
    assert failed.gate_reasons


def shipped_archive(path: Path, model_id: str = "5b0e7c1d2a3f4e5d6c7b8a9f0e1d2c3b") -> Path:
    """A model archive as `make train` leaves it, with Rasa's metadata."""
    import io
    import json
    import tarfile

    metadata = json.dumps({"model_id": model_id}).encode()
    with tarfile.open(path, "w:gz") as bundle:
        info = tarfile.TarInfo("metadata.json")
        info.size = len(metadata)
        bundle.addfile(info, io.BytesIO(metadata))
    return path


def test_before_the_first_model_the_shipped_one_is_tested_once_and_judged_against(
    app, db, trainer, settings, tmp_path
):
    app.config["MODEL_FALLBACK_PATH"] = str(shipped_archive(tmp_path / "ventanilla.tar.gz"))
    chosen = settings()

    jobs.queue_job(db, trainer)
    first = run_one(db, chosen)
    jobs.queue_job(db, trainer)
    second = run_one(db, chosen)

    shipped, trained, retrained = db.scalars(
        sa.select(AssistantModel).order_by(AssistantModel.id)
    ).all()
    assert (shipped.job_id, shipped.rasa_model_id) == (None, "5b0e7c1d2a3f4e5d6c7b8a9f0e1d2c3b")
    assert shipped.intent_f1 == pytest.approx(0.93)  # the stand-in's figures
    assert set(shipped.per_intent) == {"ask_cost", "ask_requirements"}
    assert (trained.job_id, retrained.job_id) == (first.id, second.id)
    assert trained.gate_passed and retrained.gate_passed
    tested = "Running model for predictions"
    logs = chosen.instance / "training"
    assert (logs / f"job-{first.id}.log").read_text("utf-8").count(tested) == 2
    assert (logs / f"job-{second.id}.log").read_text("utf-8").count(tested) == 1


def test_the_runner_and_the_commands_it_starts_yield_the_cpu_to_the_citizens(app, monkeypatch):
    from desk.training import cli

    niced: list[int] = []
    monkeypatch.setattr(cli.os, "nice", niced.append)
    monkeypatch.setattr(cli.runner, "serve", lambda *args, **kwargs: None)
    monkeypatch.setattr(cli.signal, "signal", lambda *args: None)

    result = app.test_cli_runner().invoke(args=["training-runner"])

    assert result.exit_code == 0, result.output
    assert niced == [15]
