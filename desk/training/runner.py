"""The training runner: takes the queued job, trains, tests on the held-out set, records.

Runs as its own process (``flask --app desk training-runner``, the Procfile's
``trainer``) because `rasa train` lives in the bot's environment and takes minutes.
The commands are settings (TRAINING_COMMAND, TRAINING_TEST_COMMAND) so tests and
other machines can swap them; ``{out}``, ``{name}``, ``{model}`` and ``{results}`` in
them are filled in per job.

The command's output goes whole to ``<instance>/training/job-<id>.log`` and, read as
progress events, to the job. Only the main thread touches the database: a reader
thread hands it the output, and the main thread beats while the command is quiet.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import logging
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from desk.config import SETTINGS
from desk.db import get_session
from desk.models.training import AssistantModel, TrainingJob
from desk.training import jobs, models, progress
from desk.training.models import rasa_model_id

log = logging.getLogger(__name__)

DEFAULT_TRAINING_COMMAND = (
    ".venv-bot/bin/rasa train --config config.yml --domain bot/domain"
    " --data data/nlu data/rules data/stories --out {out} --fixed-model-name {name}"
)
DEFAULT_TEST_COMMAND = (
    ".venv-bot/bin/rasa test nlu --model {model} --domain bot/domain"
    " --nlu tests/nlu/test_nlu.yml --out {results}"
)
# The conversation tests, as `make test-stories` runs them: the gate wants them passed.
DEFAULT_STORIES_COMMAND = (
    ".venv-bot/bin/rasa test core --model {model} --stories tests/test_stories.yml"
    " --fail-on-prediction-errors --out {results}"
)
HEARTBEAT_SECONDS = 15.0
FLUSH_SECONDS = 1.0  # progress reaches the database at most this often
STOP_GRACE_SECONDS = 10.0
# The same reading as tests/nlu/quality.py: Rasa's own macro average counts
# nlu_fallback, which has no test examples and always scores 0.
SUMMARY_ROWS = ("accuracy", "macro avg", "weighted avg", "micro avg")
PROCEDURE = "procedure"
CREDENTIALS = re.compile(r"(://[^/\s:@]+:)[^@\s]+@|((?:token|password|secret|key)=)\S+", re.I)


def N_(text: str) -> str:
    """Marks a msgid for extraction; the job page translates it when it shows it."""
    return text


FAILED_SILENTLY = N_("El comando falló sin decir por qué; el registro completo tiene los detalles.")
NO_MODEL = N_("El entrenamiento terminó sin decir dónde guardó el modelo.")
NO_REPORT = N_("La prueba con el conjunto reservado no dejó su informe de intents.")
STOPPED = N_("El proceso de entrenamiento se detuvo antes de terminar este trabajo.")
INTERNAL = N_(
    "Error interno del proceso de entrenamiento; el registro completo tiene los detalles."
)


class Failed(Exception):
    """The job cannot go on; ``reason`` is what the trainer reads."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Settings:
    root: Path  # the repository the commands run in (TRAINING_DATA_ROOT)
    instance: Path
    training_command: str = DEFAULT_TRAINING_COMMAND
    test_command: str = DEFAULT_TEST_COMMAND
    stories_command: str = DEFAULT_STORIES_COMMAND
    stale_after: timedelta = timedelta(seconds=600)

    @classmethod
    def of(cls, app: Flask) -> Settings:
        return cls(
            root=Path(app.config["TRAINING_DATA_ROOT"]),
            instance=Path(app.instance_path),
            training_command=app.config.get("TRAINING_COMMAND") or DEFAULT_TRAINING_COMMAND,
            test_command=app.config.get("TRAINING_TEST_COMMAND") or DEFAULT_TEST_COMMAND,
            stories_command=app.config.get("TRAINING_STORIES_COMMAND") or DEFAULT_STORIES_COMMAND,
            stale_after=timedelta(seconds=app.config.get("TRAINING_JOB_STALE_SECONDS", 600)),
        )


@dataclass(frozen=True)
class Figures:
    intent_f1: float
    procedure_f1: float | None
    per_intent: dict[str, dict[str, Any]]


@dataclass
class Progress:
    """What the main thread has read and not yet written to the job."""

    stage: str | None = None
    epoch: int | None = None
    epochs: int | None = None
    lines: list[str] = field(default_factory=list)
    model_path: str | None = None
    last_error: str | None = None

    def read(self, segment: str) -> None:
        self.lines.append(segment)
        match progress.parse(segment):
            case progress.Stage(name):
                self.stage, self.epoch, self.epochs = name, None, None
            case progress.Epoch(done, total):
                self.epoch, self.epochs = done, total
            case progress.ModelSaved(path):
                self.model_path = path
            case progress.Failure(message):
                self.last_error = message


def command(template: str, **values: str) -> list[str]:
    """The template's words with ``{name}`` placeholders filled in."""
    words = shlex.split(template)
    for name, value in values.items():
        words = [word.replace("{" + name + "}", value) for word in words]
    return words


def redact(text: str) -> str:
    """An output line fit to show: credentials in it blanked, and not too long."""
    return CREDENTIALS.sub(
        lambda m: (m.group(1) or m.group(2)) + "…" + ("@" if m.group(1) else ""), text
    )[:500]


# Rasa 3.6's dependencies warn about their own deprecations on every run; in the job's
# log those lines bury what a trainer needs (Rasa's own warnings about the data, which
# are UserWarnings and stay). An operator's PYTHONWARNINGS wins.
QUIET_DEPENDENCIES = {
    "PYTHONWARNINGS": "ignore::DeprecationWarning,ignore:pkg_resources is deprecated:UserWarning",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
}


def child_environment() -> dict[str, str]:
    """The runner's environment without the desk's own settings (tokens, database)."""
    return (
        QUIET_DEPENDENCIES
        | {
            name: value
            for name, value in os.environ.items()
            if name not in SETTINGS and not name.startswith("DESK_")
        }
        | {"RASA_TELEMETRY_ENABLED": "false"}
    )


def read_figures(results: Path) -> Figures:
    """Intent macro-F1, per intent, and the procedure entity's F1 from `rasa test nlu`."""
    try:
        intents = json.loads((results / "intent_report.json").read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise Failed(NO_REPORT) from error
    per_intent = {
        name: row
        for name, row in intents.items()
        if name not in SUMMARY_ROWS and isinstance(row, dict) and row.get("support", 0) > 0
    }
    if not per_intent:
        raise Failed(NO_REPORT)
    macro = sum(row["f1-score"] for row in per_intent.values()) / len(per_intent)
    procedure_f1 = None
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        entities = json.loads((results / "DIETClassifier_report.json").read_text("utf-8"))
        procedure_f1 = float(entities[PROCEDURE]["f1-score"])
    return Figures(macro, procedure_f1, per_intent)


def fingerprint(archive: Path) -> tuple[str, int]:
    """The archive's SHA-256 and size."""
    return models.file_sha256(archive), archive.stat().st_size


class Run:
    """One job from claim to close."""

    def __init__(
        self, session: Session, job: TrainingJob, settings: Settings, stopping: threading.Event
    ) -> None:
        self.session = session
        self.job = job
        self.settings = settings
        self.stopping = stopping
        self.folder = settings.instance / "training"
        self.log_path = self.folder / f"job-{job.id}.log"
        self.name = f"job-{job.id}"
        self.out = settings.instance / "models" / "jobs"
        self.results = self.folder / f"{self.name}-results"
        # What this run wrote besides its log, removed if the job fails.
        self.written: list[Path] = [self.out / f"{self.name}.tar.gz", self.results]

    def execute(self) -> None:
        """Train, test, keep the archive and close the job; any failure fails it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            with self.log_path.open("ab") as log_file:
                model = self._train_and_test(log_file)
            jobs.succeed(self.session, self.job, model)
            # Judged against the model live now; publishing judges it again.
            models.apply_gate(self.session, model)
            self.session.commit()
        except Failed as failure:
            self.session.rollback()
            self._remove_written()
            jobs.fail(self.session, self.job, failure.reason)
        except Exception:
            # Rolled back first: a failed flush leaves even the job's id unreadable.
            self.session.rollback()
            log.exception("training job %s", self.job.id)
            self._remove_written()
            jobs.fail(self.session, self.job, INTERNAL)

    def _remove_written(self) -> None:
        """A failed job keeps its log only: its archive and test reports are half-made or
        belong to no model, and archives are hundreds of megabytes each."""
        recorded = set(self.session.scalars(sa.select(AssistantModel.filename)))
        for path in self.written:
            if path.parent == self.settings.instance / "models" and path.name in recorded:
                continue  # an identical archive another job keeps
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def _train_and_test(self, log_file: IO[bytes]) -> AssistantModel:
        out, name, results = self.out, self.name, self.results
        out.mkdir(parents=True, exist_ok=True)
        jobs.report(self.session, self.job, stage="starting")
        self._measure_the_shipped_model(log_file)
        training = self._run(
            command(self.settings.training_command, out=str(out), name=name), log_file
        )
        archive = self._archive(training.model_path, out / f"{name}.tar.gz")
        if archive.resolve().is_relative_to(out.resolve()):
            self.written.append(archive)  # where Rasa said it saved it, if under ours
        jobs.report(self.session, self.job, stage="testing")
        self._run(
            command(self.settings.test_command, model=str(archive), results=str(results)),
            log_file,
        )
        figures = read_figures(results)
        jobs.report(self.session, self.job, stage="conversation tests")
        try:
            self._run(
                command(
                    self.settings.stories_command,
                    model=str(archive),
                    results=str(results / "stories"),
                ),
                log_file,
            )
            stories_passed = True
        except Failed:
            stories_passed = False  # the gate says so; the model is still kept to compare
        sha256, size = fingerprint(archive)
        model_id = rasa_model_id(archive)
        kept = self.settings.instance / "models" / f"{sha256[:12]}.tar.gz"
        shutil.move(archive, kept)
        self.written.append(kept)  # until the job that keeps it is recorded
        return AssistantModel(
            filename=kept.name,
            sha256=sha256,
            size=size,
            rasa_model_id=model_id,
            intent_f1=figures.intent_f1,
            procedure_f1=figures.procedure_f1,
            per_intent=figures.per_intent,
            stories_passed=stories_passed,
        )

    def _measure_the_shipped_model(self, log_file: IO[bytes]) -> None:
        """Before the first model trained here, the one the assistant shipped with is
        tested on the same held-out set and recorded: the gate then judges the new model
        against what citizens talk to today, the comparison per intent has an "old"
        column, and a rollback after the first publication has somewhere to go."""
        if models.live_model(self.session) is not None:
            return
        shipped = models.shipped_model(self.session)
        if shipped is not None and shipped.intent_f1 is not None:
            self.session.rollback()
            return
        self.session.rollback()
        fallback = models.fallback_archive()
        if fallback is None:
            return
        jobs.report(self.session, self.job, stage="testing the live model")
        results = self.folder / f"{self.name}-shipped-results"
        self.written.append(results)
        self._run(
            command(self.settings.test_command, model=str(fallback), results=str(results)),
            log_file,
        )
        figures = read_figures(results)
        models.register_shipped(
            self.session,
            intent_f1=figures.intent_f1,
            procedure_f1=figures.procedure_f1,
            per_intent=figures.per_intent,
        )
        self.session.commit()

    def _archive(self, printed: str | None, expected: Path) -> Path:
        candidate = (self.settings.root / printed) if printed else expected
        if not candidate.is_file():
            raise Failed(NO_MODEL)
        return candidate

    def _run(self, argv: list[str], log_file: IO[bytes]) -> Progress:
        log_file.write(f"$ {shlex.join(argv)}\n".encode())
        log_file.flush()
        try:
            process = subprocess.Popen(
                argv,
                cwd=self.settings.root,
                env=child_environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # so stopping reaches Rasa's own children too
            )
        except OSError as error:
            raise Failed(redact(f"{argv[0]}: {error.strerror}")) from error
        chunks: queue.Queue[str | None] = queue.Queue()
        assert process.stdout is not None
        reader = threading.Thread(
            target=_read, args=(process.stdout, log_file, chunks), daemon=True
        )
        reader.start()
        try:
            seen = self._follow(process, chunks)
        finally:
            reader.join()
            process.stdout.close()
            process.wait()
        if process.returncode != 0:
            raise Failed(redact(seen.last_error) if seen.last_error else FAILED_SILENTLY)
        return seen

    def _follow(
        self, process: subprocess.Popen[bytes], chunks: queue.Queue[str | None]
    ) -> Progress:
        seen = Progress()
        pending = ""
        flushed = beaten = time.monotonic()
        while True:
            if self.stopping.is_set():
                _stop(process)
                raise Failed(STOPPED)
            try:
                chunk = chunks.get(timeout=0.5)
            except queue.Empty:
                chunk = ""
            if chunk is None:
                for segment in progress.segments(pending):
                    seen.read(segment)
                self._flush(seen)
                return seen
            pending += chunk
            # Only whole segments: a bar half-written now is finished by the next read.
            cut = max(pending.rfind("\n"), pending.rfind("\r")) + 1
            for segment in progress.segments(pending[:cut]):
                seen.read(segment)
            pending = pending[cut:]
            now = time.monotonic()
            if (seen.lines and now - flushed >= FLUSH_SECONDS) or now - beaten >= HEARTBEAT_SECONDS:
                self._flush(seen)
                flushed = beaten = now

    def _flush(self, seen: Progress) -> None:
        jobs.report(
            self.session,
            self.job,
            stage=seen.stage,
            epoch=seen.epoch,
            epochs=seen.epochs,
            lines=[redact(line) for line in seen.lines],
        )
        seen.lines.clear()


def _read(stream: IO[bytes], log_file: IO[bytes], chunks: queue.Queue[str | None]) -> None:
    """Copies the command's output to the log file and hands it to the main thread."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    try:
        while block := os.read(stream.fileno(), 65536):
            log_file.write(block)
            log_file.flush()
            chunks.put(decoder.decode(block))
        chunks.put(decoder.decode(b"", final=True))
    finally:
        chunks.put(None)


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_once(
    session: Session, settings: Settings, runner: str, stopping: threading.Event
) -> TrainingJob | None:
    """Fail stale jobs, then claim and run the next one; the job run, or None."""
    jobs.recover_stale(session, settings.stale_after)
    job = jobs.claim_next(session, runner)
    if job is not None:
        Run(session, job, settings, stopping).execute()
    return job


def serve(app: Flask, runner: str, stopping: threading.Event, idle_seconds: float = 5.0) -> None:
    """Runs jobs one after another until ``stopping`` is set."""
    settings = Settings.of(app)
    while not stopping.is_set():
        with app.app_context():
            job = run_once(get_session(), settings, runner, stopping)
        if job is None:
            stopping.wait(idle_seconds)
