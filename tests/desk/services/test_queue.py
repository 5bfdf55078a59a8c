"""The message table as a queue: due messages, in order per conversation, claimed once."""

from __future__ import annotations

from datetime import timedelta

from desk.db import utcnow
from desk.models import message as m
from desk.services import backoff, queue


def test_nothing_to_claim_in_an_empty_queue(db):
    assert queue.claim(db, m.INBOUND) is None


def test_claiming_marks_the_message_in_progress_with_a_lease(db, make_message):
    message = make_message()

    claimed = queue.claim(db, m.INBOUND)

    assert claimed.id == message.id
    assert claimed.status == m.PROCESSING
    assert claimed.attempts == 1
    assert claimed.lease_expires_at > utcnow()
    assert queue.claim(db, m.INBOUND) is None  # nobody else gets it


def test_a_later_message_of_the_same_conversation_waits_for_the_earlier_one(db, make_message):
    first = make_message(body="uno")
    second = make_message(first.conversation, body="dos")

    assert queue.claim(db, m.INBOUND).id == first.id
    assert queue.claim(db, m.INBOUND) is None
    queue.finish(first)
    db.commit()
    assert queue.claim(db, m.INBOUND).id == second.id


def test_other_conversations_do_not_wait(db, make_message):
    first = make_message()
    other = make_message()

    assert {queue.claim(db, m.INBOUND).id, queue.claim(db, m.INBOUND).id} == {first.id, other.id}


def test_a_message_in_backoff_is_not_due_until_its_time(db, make_message):
    message = make_message(next_attempt_at=utcnow() + timedelta(seconds=30))

    assert queue.claim(db, m.INBOUND) is None
    assert queue.claim(db, m.INBOUND, now=utcnow() + timedelta(seconds=31)).id == message.id


def test_a_message_whose_worker_died_is_claimed_again_after_the_lease(db, make_message):
    message = make_message()
    queue.claim(db, m.INBOUND)

    later = utcnow() + queue.LEASE + timedelta(seconds=1)
    again = queue.claim(db, m.INBOUND, now=later)

    assert again.id == message.id
    assert again.attempts == 2


def test_directions_are_separate_queues(db, make_message):
    make_message(direction=m.OUTBOUND)

    assert queue.claim(db, m.INBOUND) is None
    assert queue.claim(db, m.OUTBOUND) is not None


def test_backoff_doubles_from_two_seconds_and_stops_at_a_minute():
    assert [backoff.delay(n).total_seconds() for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]


def test_a_claim_says_whether_more_work_is_due(db, make_message):
    make_message()
    make_message()

    first = queue.claim(db, m.INBOUND)
    second = queue.claim(db, m.INBOUND)

    # The worker wakes a second thread only when there is something for it.
    assert first.more is True
    assert second.more is False


def test_an_earlier_message_waiting_out_its_backoff_still_holds_back_the_later_one(
    db, make_message
):
    first = make_message(body="uno", next_attempt_at=utcnow() + timedelta(seconds=30))
    make_message(first.conversation, body="dos")

    assert queue.claim(db, m.INBOUND) is None


def test_a_long_backlog_of_one_conversation_does_not_hide_another(db, make_message):
    busy = make_message(body="0")
    for n in range(1, 2 * queue.CLAIM_WINDOW):
        make_message(busy.conversation, body=str(n))
    other = make_message(body="otra")

    assert queue.claim(db, m.INBOUND).id == busy.id
    assert queue.claim(db, m.INBOUND).id == other.id
    assert queue.claim(db, m.INBOUND) is None


def test_a_message_is_claimed_as_it_is_queued_only_when_its_conversation_waits_on_nothing(
    db, make_conversation, make_message
):
    conversation = make_conversation()
    alone = m.Message(conversation=conversation, direction=m.OUTBOUND, author=m.BOT, body="a")
    assert queue.claim_queued(db, alone, lease=queue.LEASE) is True
    db.add(alone)
    db.commit()
    assert (alone.status, alone.attempts) == (m.PROCESSING, 1)
    assert alone.claim_token and alone.sending_started_at is not None

    behind = m.Message(conversation=conversation, direction=m.OUTBOUND, author=m.BOT, body="b")

    assert queue.claim_queued(db, behind, lease=queue.LEASE) is False
    assert behind.status != m.PROCESSING


def test_a_claim_kept_open_goes_on_into_the_callers_transaction(db, make_message):
    message = make_message()

    claimed = queue.claim(db, m.INBOUND, keep_open=True)

    assert db.in_transaction(), "the caller writes its first outcome in the same one"
    claimed.intent = "greet"
    db.commit()
    db.refresh(message)
    assert (message.status, message.attempts, message.intent) == (m.PROCESSING, 1, "greet")
