"""Training jobs and the assistant's models (issue 9: retrain, gate, publish, roll back).

A trainer queues a job; the training runner (its own process, in the bot environment's
reach) trains a model, tests it on the held-out set and records the figures. A model
that passed the gate can be published: every Rasa server pulls the live model from the
desk (Rasa's model server protocol), and rolling back publishes the previous one.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.db import Base, utcnow

if TYPE_CHECKING:
    from desk.models.agent import Agent

QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
JOB_STATUSES = (QUEUED, RUNNING, SUCCEEDED, FAILED)


class TrainingJob(Base):
    __tablename__ = "training_jobs"
    __table_args__ = (
        sa.Index("ix_training_jobs_status", "status", "id"),
        # One job waits and one runs, at most, whatever races the desk's processes run:
        # of two "Train" clicks at once the database lets one queue (desk.training.jobs).
        sa.Index(
            "uq_training_jobs_active_status",
            "status",
            unique=True,
            sqlite_where=sa.text("status IN ('queued', 'running')"),
            postgresql_where=sa.text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=QUEUED)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agents.id"))
    # Where the run is, read from Rasa's output: a stage ("training DIETClassifier",
    # "testing") and, while a component trains, its epoch out of how many.
    stage: Mapped[str | None] = mapped_column(sa.String(120))
    epoch: Mapped[int | None]
    epochs: Mapped[int | None]
    # The last lines of the run's output (the whole log is a file in the instance folder).
    log_tail: Mapped[str | None] = mapped_column(sa.Text)
    error: Mapped[str | None] = mapped_column(sa.Text)  # why a failed job failed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The runner working on it, and until when its claim holds without a sign of life.
    runner: Mapped[str | None] = mapped_column(sa.String(64))
    heartbeat_at: Mapped[datetime | None]

    requested_by: Mapped[Agent | None] = relationship()
    model: Mapped[AssistantModel | None] = relationship(back_populates="job")


class AssistantModel(Base):
    """A trained model archive the desk keeps, with its test figures."""

    __tablename__ = "assistant_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("training_jobs.id"), unique=True)
    # The archive's file name in the models folder, and its SHA-256: the ETag Rasa's
    # model server protocol compares with If-None-Match.
    filename: Mapped[str] = mapped_column(sa.String(200), unique=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    size: Mapped[int]
    # Rasa's own model_id (what messages record in messages.model_id), when known.
    rasa_model_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The held-out figures: intent macro-F1, procedure-entity F1, and per intent
    # {"greet": {"precision": …, "recall": …, "f1-score": …, "support": …}, …}.
    intent_f1: Mapped[float | None]
    procedure_f1: Mapped[float | None]
    per_intent: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # The conversation tests' result: True passed, False failed, None not run.
    stories_passed: Mapped[bool | None]
    # The gate's decision against the model live when it was tested, and why.
    gate_passed: Mapped[bool | None]
    gate_reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # When it went live (last time), and who put it there; None: never published.
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agents.id"))

    job: Mapped[TrainingJob | None] = relationship(back_populates="model")
    published_by: Mapped[Agent | None] = relationship()


class ModelPublication(Base):
    """Each time a model went live: publishing and rolling back are both a row here,
    and the live model is the newest row's."""

    __tablename__ = "model_publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("assistant_models.id"))
    action: Mapped[str] = mapped_column(sa.String(16))  # publish | rollback
    agent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    model: Mapped[AssistantModel] = relationship()
