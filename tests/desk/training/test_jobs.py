"""Training jobs: one at a time, claimed by one runner, failed when their runner goes quiet."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from desk.db import utcnow
from desk.models import AuditEvent
from desk.models.training import FAILED, QUEUED, RUNNING, SUCCEEDED, AssistantModel, TrainingJob
from desk.training import jobs


@pytest.fixture
def trainer(make_agent):
    return make_agent(email="tere.entrenadora@cab.gob.mx", name="Teresa Ruiz", role="trainer")


def actions(db) -> list[str]:
    return list(db.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_queueing_a_job_leaves_it_waiting_with_who_asked_and_an_audit_event(db, trainer):
    job = jobs.queue_job(db, trainer)

    assert job.status == QUEUED
    assert job.requested_by_id == trainer.id
    assert actions(db) == ["training.job_queued"]


@pytest.mark.parametrize("status", [QUEUED, RUNNING])
def test_a_second_job_is_refused_while_one_waits_or_runs(db, trainer, status):
    first = jobs.queue_job(db, trainer)
    first.status = status
    db.commit()

    with pytest.raises(jobs.JobInProgress) as refused:
        jobs.queue_job(db, trainer)

    assert refused.value.job.id == first.id
    assert db.scalar(sa.select(sa.func.count()).select_from(TrainingJob)) == 1


def test_two_clicks_at_once_queue_one_job_and_the_second_is_told_which(
    app, db, trainer, monkeypatch
):
    """Both clicks looked for a waiting job before either had queued one."""
    second_click = app.extensions["desk.db"]()
    real_active = jobs.active
    looks = []

    def looked_before_the_first_click_committed(session):
        looks.append(session)
        return None if len(looks) == 1 else real_active(session)

    first = jobs.queue_job(db, trainer)
    monkeypatch.setattr(jobs, "active", looked_before_the_first_click_committed)

    with pytest.raises(jobs.JobInProgress) as refused:
        jobs.queue_job(second_click, trainer)

    second_click.close()
    assert refused.value.job.id == first.id
    assert db.scalar(sa.select(sa.func.count()).select_from(TrainingJob)) == 1
    assert actions(db) == ["training.job_queued"]


@pytest.mark.parametrize("status", [QUEUED, RUNNING])
def test_the_database_holds_one_job_per_active_status(db, trainer, status):
    db.add(TrainingJob(status=status, requested_by_id=trainer.id))
    db.commit()
    db.add(TrainingJob(status=status, requested_by_id=trainer.id))

    with pytest.raises(sa.exc.IntegrityError):
        db.flush()


def test_finished_jobs_are_many_and_one_may_wait_while_one_runs(db, trainer):
    for status in (FAILED, FAILED, SUCCEEDED, SUCCEEDED, RUNNING, QUEUED):
        db.add(TrainingJob(status=status, requested_by_id=trainer.id))
    db.commit()

    assert db.scalar(sa.select(sa.func.count()).select_from(TrainingJob)) == 6


def test_a_new_job_can_be_queued_once_the_last_one_failed(db, trainer):
    first = jobs.queue_job(db, trainer)
    jobs.fail(db, first, "No space left on device")

    assert jobs.queue_job(db, trainer).id != first.id


def test_a_runner_claims_the_oldest_queued_job_and_starts_it(db, trainer):
    job = jobs.queue_job(db, trainer)

    claimed = jobs.claim_next(db, "trainer-1:4242")

    assert claimed is not None and claimed.id == job.id
    assert (claimed.status, claimed.runner) == (RUNNING, "trainer-1:4242")
    assert claimed.started_at is not None and claimed.heartbeat_at is not None


def test_with_nothing_queued_a_runner_claims_nothing(db):
    assert jobs.claim_next(db, "trainer-1:4242") is None


def test_two_runners_never_claim_the_same_job(db, trainer):
    job = jobs.queue_job(db, trainer)

    first = jobs.claim_next(db, "trainer-1:4242")
    second = jobs.claim_next(db, "trainer-2:5151")

    assert first is not None and first.id == job.id
    assert second is None
    assert db.get(TrainingJob, job.id).runner == "trainer-1:4242"


def test_a_runner_that_loses_the_race_between_looking_and_claiming_gets_nothing(
    db, trainer, monkeypatch
):
    """The rival's claim lands after this runner chose the job and before its update."""
    job = jobs.queue_job(db, trainer)
    real_utcnow = jobs.utcnow

    def rival_claims_first():
        db.execute(
            sa.update(TrainingJob)
            .where(TrainingJob.id == job.id)
            .values(status=RUNNING, runner="trainer-2:5151")
        )
        return real_utcnow()

    monkeypatch.setattr(jobs, "utcnow", rival_claims_first)

    assert jobs.claim_next(db, "trainer-1:4242") is None
    db.expire_all()
    assert db.get(TrainingJob, job.id).runner == "trainer-2:5151"


def test_a_queued_job_waits_while_another_runs(db, trainer):
    running = TrainingJob(status=RUNNING, runner="trainer-1:4242", started_at=utcnow())
    waiting = TrainingJob(status=QUEUED, requested_by_id=trainer.id)
    db.add_all([running, waiting])
    db.commit()

    assert jobs.claim_next(db, "trainer-2:5151") is None
    assert db.get(TrainingJob, waiting.id).status == QUEUED


def test_a_report_moves_the_stage_and_epochs_and_counts_as_a_sign_of_life(db, trainer):
    jobs.queue_job(db, trainer)
    job = jobs.claim_next(db, "trainer-1:4242")
    job.heartbeat_at = utcnow() - timedelta(minutes=5)
    db.commit()

    jobs.report(db, job, stage="training DIETClassifier", epoch=13, epochs=50)

    assert (job.stage, job.epoch, job.epochs) == ("training DIETClassifier", 13, 50)
    assert job.heartbeat_at > utcnow() - timedelta(seconds=30)


def test_a_new_stage_forgets_the_previous_components_epochs(db, trainer):
    jobs.queue_job(db, trainer)
    job = jobs.claim_next(db, "trainer-1:4242")
    jobs.report(db, job, stage="training DIETClassifier", epoch=50, epochs=50)

    jobs.report(db, job, stage="training TEDPolicy")

    assert (job.epoch, job.epochs) == (None, None)


def test_the_log_tail_keeps_the_last_forty_lines_and_a_redrawn_bar_once(db, trainer):
    jobs.queue_job(db, trainer)
    job = jobs.claim_next(db, "trainer-1:4242")
    jobs.report(db, job, lines=[f"línea {n}" for n in range(1, 51)])

    jobs.report(
        db,
        job,
        lines=[
            "Epochs:   2%|▏         | 1/50 [00:15<12:27, 15.25s/it]",
            "Epochs:   4%|▍         | 2/50 [00:16<05:36,  7.01s/it, t_loss=5.37]",
        ],
    )

    tail = job.log_tail.splitlines()
    assert len(tail) == jobs.TAIL_LINES
    assert tail[0] == "línea 12"
    assert tail[-1].startswith("Epochs:   4%")
    assert tail[-2] == "línea 50"


def test_succeeding_keeps_the_model_and_its_figures_with_the_job(db, trainer):
    jobs.queue_job(db, trainer)
    job = jobs.claim_next(db, "trainer-1:4242")
    model = AssistantModel(
        filename="3f8a9c2d1b7e.tar.gz",
        sha256="3f8a9c2d1b7e" + "0" * 52,
        size=24_117_248,
        intent_f1=0.94,
        procedure_f1=0.91,
        per_intent={},
    )

    jobs.succeed(db, job, model)

    assert job.status == SUCCEEDED and job.finished_at is not None
    assert db.get(TrainingJob, job.id).model.filename == "3f8a9c2d1b7e.tar.gz"
    assert actions(db)[-1] == "training.job_succeeded"


def test_failing_records_why(db, trainer):
    jobs.queue_job(db, trainer)
    job = jobs.claim_next(db, "trainer-1:4242")

    jobs.fail(db, job, "OSError: [Errno 28] No space left on device")

    assert job.status == FAILED
    assert job.error == "OSError: [Errno 28] No space left on device"
    event = db.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert event.action == "training.job_failed"
    assert event.details["reason"] == job.error


def test_a_running_job_whose_runner_went_quiet_fails_saying_so(db, trainer):
    jobs.queue_job(db, trainer)
    job = jobs.claim_next(db, "trainer-1:4242")
    job.heartbeat_at = utcnow() - timedelta(minutes=11)
    db.commit()

    recovered = jobs.recover_stale(db, timedelta(minutes=10))

    assert [found.id for found in recovered] == [job.id]
    assert job.status == FAILED
    assert job.error == jobs.RUNNER_WENT_SILENT


def test_a_running_job_that_beats_is_left_alone(db, trainer):
    jobs.queue_job(db, trainer)
    job = jobs.claim_next(db, "trainer-1:4242")
    job.heartbeat_at = utcnow() - timedelta(minutes=2)
    db.commit()

    assert jobs.recover_stale(db, timedelta(minutes=10)) == []
    assert job.status == RUNNING
