"""With PROMETHEUS_MULTIPROC_DIR, /metrics on any web process shows the worker's numbers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from desk import create_app
from desk.ops import metrics
from tests.desk.conftest import BASE_CONFIG
from tests.desk.ops.conftest import scrape, value

ROOT = Path(__file__).resolve().parents[3]

WORKER = """
from desk.ops import metrics
metrics.count_twilio_error(30007)
metrics.count_handoff("frustration")
metrics.count_assistant_fallback()
metrics.observe_reply_latency(4.0)
metrics.observe_rasa_latency(0.3)
"""


def run_worker_process(directory: Path) -> None:
    """Another process, as the worker is: it writes its metrics into the directory."""
    subprocess.run(
        [sys.executable, "-c", WORKER],
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)},
        cwd=ROOT,
        check=True,
        timeout=120,
    )


def test_values_written_by_other_processes_are_added_up_on_metrics(app, client, tmp_path):
    directory = tmp_path / "prometheus"
    run_worker_process(directory)
    run_worker_process(directory)
    app.config["PROMETHEUS_MULTIPROC_DIR"] = str(directory)

    samples = scrape(client)

    assert value(samples, "ventanilla_twilio_errors_total", code="30007") == 2
    assert value(samples, "ventanilla_handoffs_total", reason="frustration") == 2
    assert value(samples, "ventanilla_assistant_fallbacks_total") == 2
    assert value(samples, "ventanilla_reply_latency_seconds_count", author="bot") == 2
    assert value(samples, "ventanilla_reply_latency_seconds_sum", author="bot") == 8.0
    assert value(samples, "ventanilla_rasa_request_duration_seconds_count", outcome="ok") == 2
    # The queue is still read from the database at the scrape.
    assert ("ventanilla_queue_oldest_due_age_seconds", (("direction", "inbound"),)) in samples


def test_this_process_s_own_registry_is_not_mixed_in(app, client, tmp_path):
    """In-process values would be counted twice in real multiprocess mode."""
    metrics.count_twilio_error(99999)
    directory = tmp_path / "prometheus"
    run_worker_process(directory)
    app.config["PROMETHEUS_MULTIPROC_DIR"] = str(directory)

    samples = scrape(client)

    assert value(samples, "ventanilla_twilio_errors_total", code="99999") == 0
    assert value(samples, "ventanilla_twilio_errors_total", code="30007") == 1


def test_preparing_the_directory_at_start_forgets_the_last_run(app, client, tmp_path):
    directory = tmp_path / "prometheus"
    run_worker_process(directory)
    app.config["PROMETHEUS_MULTIPROC_DIR"] = str(directory)

    metrics.prepare_multiprocess_dir(directory)

    assert directory.is_dir() and not any(directory.iterdir())
    samples = scrape(client)
    assert value(samples, "ventanilla_twilio_errors_total", code="30007") == 0


def test_a_directory_only_in_the_configuration_is_reported_at_start(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("DESK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)

    create_app(BASE_CONFIG | {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus")})

    assert "not in this process's environment" in caplog.text
