"""Nothing the database errors, the probes or the metrics say names a message or a person."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from desk.db import create_engine
from desk.models import Conversation, Message
from desk.ops import metrics
from tests.desk.ops.conftest import scrape

BODY = "Mi CURP es GODE561231HDFRRN09 y mi teléfono 55 1234 5678"
PHONE = "+5215598765432"


def test_an_integrity_error_does_not_quote_the_values_it_was_given(db, make_message):
    first = make_message(provider_sid="SMduplicate", body="hola")

    db.add(
        Message(
            conversation_id=first.conversation_id,
            direction="inbound",
            author="citizen",
            body=BODY,
            provider_sid="SMduplicate",
        )
    )
    with pytest.raises(sa.exc.IntegrityError) as caught:
        db.flush()
    db.rollback()

    text = str(caught.value)
    assert "parameters hidden" in text
    assert BODY not in text
    assert "GODE561231HDFRRN09" not in text


def test_the_desk_engines_hide_parameters_on_both_databases(database_url):
    engine = create_engine(database_url)

    assert engine.hide_parameters is True
    engine.dispose()


def test_a_duplicate_conversation_error_names_no_phone_number(db, make_conversation):
    """PostgreSQL's own DETAIL line quotes the duplicate key; hide_parameters cannot
    help, so desk/db.py keeps only the error's first line, here and in its cause."""
    make_conversation(citizen_address=f"whatsapp:{PHONE}", desk_address="whatsapp:+525500000000")

    db.add(
        Conversation(
            channel="whatsapp",
            citizen_address=f"whatsapp:{PHONE}",
            desk_address="whatsapp:+525500000000",
        )
    )
    with pytest.raises(sa.exc.IntegrityError) as caught:
        db.flush()
    db.rollback()

    assert PHONE not in str(caught.value)
    assert PHONE not in str(caught.value.orig)  # what a traceback prints as the cause


def test_metric_labels_take_only_codes_and_known_words(client):
    metrics.count_twilio_error(f"The 'To' number {PHONE} is not a valid phone number")
    metrics.count_twilio_error(PHONE)
    metrics.count_handoff(BODY)
    metrics.observe_reply_latency(1.0, author=PHONE)

    text = client.get("/metrics").get_data(as_text=True)

    assert PHONE not in text
    assert "5598765432" not in text
    assert "CURP" not in text
    samples = scrape(client)
    assert samples[("ventanilla_twilio_errors_total", (("code", "other"),))] >= 2
    assert samples[("ventanilla_handoffs_total", (("reason", "other"),))] >= 1
    assert samples[("ventanilla_reply_latency_seconds_count", (("author", "other"),))] >= 1


def test_the_queue_metrics_show_counts_not_messages(client, make_message, make_conversation):
    make_message(make_conversation(citizen_address=f"whatsapp:{PHONE}"), body=BODY)

    text = client.get("/metrics").get_data(as_text=True)

    assert PHONE not in text
    assert "CURP" not in text
