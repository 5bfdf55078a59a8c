"""The worker's periodic jobs run when due, and one failing never stops the others."""

from __future__ import annotations

from desk import jobs


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_job_runs_at_once_then_every_so_often(app):
    clock, ran = Clock(), []
    schedule = jobs.Schedule(
        (
            jobs.Job("often", 5, lambda _app: ran.append("often")),
            jobs.Job("daily", 86400, lambda _app: ran.append("daily")),
        ),
        clock=clock,
    )

    schedule.run_due(app)
    clock.now += 6
    schedule.run_due(app)

    assert ran == ["often", "daily", "often"]


def test_a_failing_job_is_logged_tried_again_and_does_not_stop_the_others(app, caplog):
    clock, ran, attempts = Clock(), [], []

    def broken(_app):
        attempts.append(1)
        raise RuntimeError("media host down")

    schedule = jobs.Schedule(
        (jobs.Job("broken", 60, broken), jobs.Job("fine", 60, lambda _app: ran.append("fine"))),
        clock=clock,
    )

    assert schedule.run_due(app) == ["fine"]
    clock.now += 1
    schedule.run_due(app)

    assert len(attempts) == 2 and ran == ["fine"]
    assert "job broken failed" in caplog.text


def test_the_real_jobs_run_on_an_empty_desk(app):
    # Each job is idempotent and tolerates an empty database (a new installation).
    every = jobs.JOBS + jobs.MEDIA_JOBS
    assert jobs.Schedule(every).run_due(app) == [job.name for job in every]
