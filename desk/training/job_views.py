"""Training jobs in the desk: queue one, follow its progress and log.

The runner (desk/training/runner.py, its own process) does the work; these pages only
queue and show. A job's page reloads itself every 2 seconds while the job waits or runs.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from desk.db import get_or_404, get_session
from desk.models.training import FAILED, QUEUED, RUNNING, SUCCEEDED, TrainingJob
from desk.permissions import TRAIN_ASSISTANT, requires
from desk.training import jobs
from desk.training.views import N_, bp

STATUS_LABELS = {
    QUEUED: N_("En espera"),
    RUNNING: N_("Entrenando"),
    SUCCEEDED: N_("Terminado"),
    FAILED: N_("Falló"),
}


@bp.post("/jobs")
@requires(TRAIN_ASSISTANT)
def queue_job() -> Any:
    """Queue a training job, unless one already waits or runs."""
    if not FlaskForm().validate():
        abort(400)
    try:
        job = jobs.queue_job(get_session(), current_user._get_current_object())
    except jobs.JobInProgress as busy:
        flash(
            _(
                "Ya hay un entrenamiento en curso (trabajo %(id)s); espera a que termine.",
                id=busy.job.id,
            ),
            "error",
        )
        return redirect(url_for("training.job", job_id=busy.job.id))
    flash(_("Entrenamiento en cola."), "ok")
    return redirect(url_for("training.job", job_id=job.id))


@bp.get("/jobs")
@requires(TRAIN_ASSISTANT)
def job_list() -> Any:
    """The recent jobs with their progress, and the button to queue one."""
    session = get_session()
    return render_template(
        "training/jobs.html",
        jobs=jobs.recent(session),
        busy=jobs.active(session),
        status_labels=STATUS_LABELS,
        reason=reason,
    )


@bp.get("/jobs/<int:job_id>")
@requires(TRAIN_ASSISTANT)
def job(job_id: int) -> Any:
    """One job: where it is, the last lines of its log, and why it failed if it did."""
    found = get_or_404(TrainingJob, job_id)
    return render_template(
        "training/job.html",
        job=found,
        live=found.status in (QUEUED, RUNNING),
        status_labels=STATUS_LABELS,
        reason=reason,
    )


def reason(job: TrainingJob) -> str:
    """Why the job failed, in the reader's language when the runner wrote it.

    Translated here, not with the template's ``_``: Jinja would mark the result safe,
    and a failure reason is a line of Rasa's output, which must be escaped.
    """
    return _(job.error) if job.error else ""
