"""Trainers queue a training job from the desk and follow it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from desk.db import utcnow
from desk.models.training import FAILED, RUNNING, TrainingJob
from desk.training import jobs
from tests.desk.conftest import csrf_token


@pytest.fixture
def trainer(client, make_agent):
    agent = make_agent(email="tere.entrenadora@cab.gob.mx", name="Teresa Ruiz", role="trainer")
    response = client.post("/login", data={"email": agent.email, "password": "contraseña-segura"})
    assert response.status_code == 302
    return agent


def queue(client):
    token = csrf_token(client.get("/training/jobs").get_data(as_text=True))
    return client.post("/training/jobs", data={"csrf_token": token})


@pytest.mark.parametrize(
    ("method", "path"), [("get", "/training/jobs"), ("post", "/training/jobs")]
)
def test_an_agent_without_the_permission_gets_403(client, logged_in, method, path):
    assert getattr(client, method)(path).status_code == 403


def test_an_agent_without_the_permission_cannot_see_a_job(client, logged_in, db, make_agent):
    job = jobs.queue_job(db, make_agent(role="trainer"))

    assert client.get(f"/training/jobs/{job.id}").status_code == 403


def test_the_review_page_links_to_the_training_jobs(client, trainer):
    assert 'href="/training/jobs"' in client.get("/training/").get_data(as_text=True)


def test_queueing_leads_to_the_jobs_page_which_refreshes_while_it_waits(client, trainer, db):
    response = queue(client)

    job = db.scalar(sa.select(TrainingJob))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/training/jobs/{job.id}")
    page = client.get(f"/training/jobs/{job.id}").get_data(as_text=True)
    assert "Entrenamiento en cola." in page
    assert "En espera" in page
    assert '<meta http-equiv="refresh" content="2">' in page


def test_a_second_train_while_one_runs_says_why_and_queues_nothing(client, trainer, db):
    queue(client)

    response = queue(client)

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ya hay un entrenamiento en curso" in page
    assert db.scalar(sa.select(sa.func.count()).select_from(TrainingJob)) == 1


def test_the_list_shows_each_jobs_stage_and_epochs_as_a_progress_bar(client, trainer, db):
    db.add(
        TrainingJob(
            status=RUNNING,
            requested_by_id=trainer.id,
            stage="training DIETClassifier",
            epoch=13,
            epochs=50,
            started_at=utcnow(),
        )
    )
    db.commit()

    html = client.get("/training/jobs").get_data(as_text=True)

    assert "training DIETClassifier" in html
    assert '<progress max="50" value="13">' in html
    assert "Entrenando" in html
    assert "disabled" in html  # no second job while this one runs


def test_a_failed_job_shows_why_and_its_log_and_stops_refreshing(client, trainer, db):
    job = TrainingJob(
        status=FAILED,
        requested_by_id=trainer.id,
        started_at=utcnow(),
        finished_at=utcnow(),
        log_tail="Started validating domain and training data...\nYamlSyntaxException: línea 12",
        error="rasa.shared.exceptions.YamlSyntaxException: Failed to read 'data/nlu/tramites.yml'.",
    )
    db.add(job)
    db.commit()

    page = client.get(f"/training/jobs/{job.id}").get_data(as_text=True)

    assert "Failed to read &#39;data/nlu/tramites.yml&#39;." in page  # escaped: it is output
    assert "YamlSyntaxException: línea 12" in page
    assert 'http-equiv="refresh"' not in page
    assert "Falló" in client.get("/training/jobs").get_data(as_text=True)


def test_an_unknown_job_is_404(client, trainer):
    assert client.get("/training/jobs/4040").status_code == 404
