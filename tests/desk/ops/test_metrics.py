"""GET /metrics: the queue read from the messages table, and the worker's counters."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desk.db import utcnow
from desk.models import message as m
from desk.ops import metrics
from tests.desk.ops.conftest import scrape, value

NAMES = {
    "ventanilla_queue_depth_messages": "gauge",
    "ventanilla_queue_oldest_due_age_seconds": "gauge",
    "ventanilla_reply_latency_seconds": "histogram",
    "ventanilla_rasa_request_duration_seconds": "histogram",
    "ventanilla_twilio_errors_total": "counter",
    "ventanilla_handoffs_total": "counter",
    "ventanilla_assistant_fallbacks_total": "counter",
}


def test_metrics_exposes_every_name_in_prometheus_text_without_a_login(client):
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "version=0.0.4" in response.content_type
    text = response.get_data(as_text=True)
    for name, kind in NAMES.items():
        assert f"# TYPE {name} {kind}\n" in text, name


def test_a_scraper_asking_for_openmetrics_gets_it(client):
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})

    assert response.mimetype == "application/openmetrics-text"
    assert response.get_data(as_text=True).endswith("# EOF\n")


def test_an_empty_queue_is_zero_in_both_directions(client):
    samples = scrape(client)

    for direction in ("inbound", "outbound"):
        for status in ("pending", "processing"):
            labels = {"direction": direction, "status": status}
            assert samples[("ventanilla_queue_depth_messages", tuple(sorted(labels.items())))] == 0
        assert value(samples, "ventanilla_queue_oldest_due_age_seconds", direction=direction) == 0


def test_queue_gauges_count_the_rows_waiting_per_direction_and_age_the_oldest_due(
    client, make_message, make_conversation
):
    now = utcnow()
    conversation = make_conversation()

    def message(direction, status, *, stored_ago, due_in=0.0):
        make_message(
            conversation,
            direction=direction,
            status=status,
            created_at=now - timedelta(seconds=stored_ago),
            next_attempt_at=now + timedelta(seconds=due_in),
        )

    message(m.INBOUND, m.PENDING, stored_ago=90)  # the oldest due one
    message(m.INBOUND, m.PENDING, stored_ago=10)
    message(m.INBOUND, m.PENDING, stored_ago=300, due_in=30)  # backing off: waits, not due
    message(m.INBOUND, m.PROCESSING, stored_ago=400)
    message(m.INBOUND, m.DONE, stored_ago=500)
    message(m.INBOUND, m.FAILED, stored_ago=600)
    message(m.OUTBOUND, m.PENDING, stored_ago=5)
    message(m.OUTBOUND, m.FAILED, stored_ago=700)

    samples = scrape(client)

    def depth(direction, status):
        return value(samples, "ventanilla_queue_depth_messages", direction=direction, status=status)

    assert depth("inbound", "pending") == 3
    assert depth("inbound", "processing") == 1
    assert depth("outbound", "pending") == 1
    assert depth("outbound", "processing") == 0
    inbound_age = value(samples, "ventanilla_queue_oldest_due_age_seconds", direction="inbound")
    outbound_age = value(samples, "ventanilla_queue_oldest_due_age_seconds", direction="outbound")
    assert 90 <= inbound_age < 100
    assert 5 <= outbound_age < 15


def test_the_queue_is_read_at_each_scrape(client, make_message):
    before = value(
        scrape(client), "ventanilla_queue_depth_messages", direction="inbound", status="pending"
    )
    make_message()

    after = value(
        scrape(client), "ventanilla_queue_depth_messages", direction="inbound", status="pending"
    )

    assert after == before + 1


def test_the_worker_functions_move_counters_and_histograms(client):
    before = scrape(client)

    metrics.count_twilio_error(30007)
    metrics.count_twilio_error("30007")
    metrics.count_twilio_error(None)
    metrics.count_handoff("complaint")
    metrics.count_handoff("no such reason")
    metrics.count_assistant_fallback()
    metrics.observe_reply_latency(2.5)
    metrics.observe_reply_latency(600, author=m.AGENT)
    metrics.observe_rasa_latency(0.4)
    metrics.observe_rasa_latency(2.0, ok=False)
    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("ventanilla_twilio_errors_total", code="30007") == 2
    assert moved("ventanilla_twilio_errors_total", code="none") == 1
    assert moved("ventanilla_handoffs_total", reason="complaint") == 1
    assert moved("ventanilla_handoffs_total", reason="other") == 1
    assert moved("ventanilla_assistant_fallbacks_total") == 1
    assert moved("ventanilla_reply_latency_seconds_count", author="bot") == 1
    assert moved("ventanilla_reply_latency_seconds_sum", author="bot") == 2.5
    assert moved("ventanilla_reply_latency_seconds_bucket", author="bot", le="3.0") == 1
    assert moved("ventanilla_reply_latency_seconds_bucket", author="bot", le="2.0") == 0
    assert moved("ventanilla_reply_latency_seconds_count", author="agent") == 1
    assert moved("ventanilla_rasa_request_duration_seconds_count", outcome="ok") == 1
    assert moved("ventanilla_rasa_request_duration_seconds_count", outcome="error") == 1


def test_a_timed_rasa_call_counts_an_exception_as_an_error(client):
    before = scrape(client)

    with metrics.timed_rasa_call():
        pass
    with pytest.raises(ConnectionError), metrics.timed_rasa_call():
        raise ConnectionError("Rasa is down")
    after = scrape(client)

    for outcome in ("ok", "error"):
        name = "ventanilla_rasa_request_duration_seconds_count"
        assert value(after, name, outcome=outcome) - value(before, name, outcome=outcome) == 1


def test_a_negative_duration_from_a_clock_step_counts_as_zero(client):
    before = scrape(client)

    metrics.observe_reply_latency(-3.0)

    after = scrape(client)
    name = "ventanilla_reply_latency_seconds_bucket"
    assert (
        value(after, name, author="bot", le="0.5") - value(before, name, author="bot", le="0.5")
        == 1
    )
