"""Training jobs: queue one, let one runner claim it, follow it, and close it.

One job at a time: a job cannot be queued while another waits or runs (the database
holds at most one queued and one running job, whatever races the desk's processes run),
and a runner claims with a compare-and-set update, so two runners looking at once never
both start it. A runner beats (``heartbeat_at``) while its command runs; a running job whose
runner stopped beating is failed by ``recover_stale``, saying so, instead of blocking
the queue for ever.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.models import Agent
from desk.models.training import FAILED, QUEUED, RUNNING, SUCCEEDED, AssistantModel, TrainingJob
from desk.services import audit
from desk.training import progress

TAIL_LINES = 40


def N_(text: str) -> str:
    """Marks a msgid for extraction; the job page translates it when it shows it."""
    return text


RUNNER_WENT_SILENT = N_(
    "El proceso de entrenamiento dejó de dar señales de vida; el trabajo se dio por fallido."
)


class JobInProgress(Exception):
    """A job already waits or runs; ``job`` is that one."""

    def __init__(self, job: TrainingJob) -> None:
        self.job = job
        super().__init__(f"training job {job.id} is {job.status}")


def active(session: Session) -> TrainingJob | None:
    """The job that waits or runs, if any."""
    return session.scalar(
        sa.select(TrainingJob)
        .where(TrainingJob.status.in_((QUEUED, RUNNING)))
        .order_by(TrainingJob.id)
        .limit(1)
    )


def recent(session: Session, limit: int = 20) -> list[TrainingJob]:
    """The newest jobs first."""
    return list(
        session.scalars(sa.select(TrainingJob).order_by(TrainingJob.id.desc()).limit(limit))
    )


def queue_job(session: Session, agent: Agent) -> TrainingJob:
    """Queue a training job for ``agent``; JobInProgress while another waits or runs.

    Two clicks at once may both find nothing waiting; the database's unique index on
    the active statuses lets one of them queue, and the other is told about that job.
    """
    existing = active(session)
    if existing is not None:
        raise JobInProgress(existing)
    job = TrainingJob(status=QUEUED, requested_by_id=agent.id)
    session.add(job)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        existing = active(session)
        if existing is None:
            raise
        raise JobInProgress(existing) from None
    audit.record(session, "training.job_queued", actor="agent", agent=agent, job_id=job.id)
    session.commit()
    return job


def claim_next(session: Session, runner: str) -> TrainingJob | None:
    """The oldest queued job, now running for ``runner``; None when there is nothing to do.

    The update only wins while the job is still queued and nothing else runs, so of two
    runners racing for it exactly one gets it.
    """
    candidate = session.scalar(
        sa.select(TrainingJob.id)
        .where(TrainingJob.status == QUEUED)
        .order_by(TrainingJob.id)
        .limit(1)
    )
    if candidate is None:
        return None
    running = sa.select(TrainingJob.id).where(TrainingJob.status == RUNNING).exists()
    now = utcnow()
    claimed = session.execute(
        sa.update(TrainingJob)
        .where(TrainingJob.id == candidate, TrainingJob.status == QUEUED, ~running)
        .values(status=RUNNING, runner=runner[:64], started_at=now, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if claimed.rowcount != 1:
        return None
    job = session.get(TrainingJob, candidate)
    assert job is not None
    session.refresh(job)
    return job


def report(
    session: Session,
    job: TrainingJob,
    *,
    stage: str | None = None,
    epoch: int | None = None,
    epochs: int | None = None,
    line: str | None = None,
    lines: Sequence[str] = (),
) -> None:
    """Record where the run is and its newest output lines; also a sign of life."""
    if stage is not None and stage != job.stage:
        # A new component starts: the previous one's epochs say nothing about it.
        job.stage = stage[:120]
        job.epoch = job.epochs = None
    if epoch is not None:
        job.epoch = epoch
    if epochs is not None:
        job.epochs = epochs
    new_lines = [*lines, *([line] if line is not None else [])]
    if new_lines:
        job.log_tail = "\n".join(tail_with(job.log_tail, new_lines))
    job.heartbeat_at = utcnow()
    session.commit()


def tail_with(tail: str | None, new_lines: Sequence[str]) -> list[str]:
    """The last TAIL_LINES lines as a terminal shows them: a redrawn bar replaces itself."""
    kept = (tail or "").splitlines()
    for text in new_lines:
        text = progress.plain(text)
        if kept and progress.redraws(kept[-1], text):
            kept[-1] = text
        else:
            kept.append(text)
    return kept[-TAIL_LINES:]


def succeed(session: Session, job: TrainingJob, model: AssistantModel) -> None:
    """Close the job with the model it produced."""
    model.job = job
    session.add(model)
    job.status = SUCCEEDED
    job.stage = None
    job.finished_at = utcnow()
    session.flush()
    audit.record(
        session,
        "training.job_succeeded",
        actor="system",
        job_id=job.id,
        model_id=model.id,
        sha256=model.sha256,
        intent_f1=model.intent_f1,
        procedure_f1=model.procedure_f1,
    )
    session.commit()


def fail(session: Session, job: TrainingJob, reason: str) -> None:
    """Close the job as failed, saying why."""
    job.status = FAILED
    job.error = reason
    job.finished_at = utcnow()
    audit.record(session, "training.job_failed", actor="system", job_id=job.id, reason=reason)
    session.commit()


def recover_stale(session: Session, older_than: timedelta) -> list[TrainingJob]:
    """Fail the running jobs whose runner has not beaten for ``older_than``."""
    cutoff = utcnow() - older_than
    stale = list(
        session.scalars(
            sa.select(TrainingJob).where(
                TrainingJob.status == RUNNING,
                sa.func.coalesce(TrainingJob.heartbeat_at, TrainingJob.started_at) < cutoff,
            )
        )
    )
    for job in stale:
        fail(session, job, RUNNER_WENT_SILENT)
    return stale
