"""The change feed: one look at the database per second per process, fanned out to the
open pages; a change says what kind of thing changed and its ids, nothing more."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from desk.live import feed
from desk.live.feed import CASE, DELIVERY, MESSAGE, REPLY, Change, Cursor, Interest
from desk.models import message as m
from desk.services import cases


def kinds(changes: list[Change]) -> list[tuple[str, int | None]]:
    return [(change.kind, change.case_id) for change in changes]


def test_a_stored_message_is_a_change_for_the_page_of_its_case(
    live, agent, make_conversation, make_case, make_message
):
    conversation = make_conversation()
    case = make_case(conversation)
    live.poll()
    page = live.subscribe(Interest(case.id, conversation.id), agent.id)

    message = make_message(conversation, body="ya mandé mis papeles")
    live.poll()

    assert page.next(0) == ([Change(MESSAGE, message.id, case.id, conversation.id)], live.cursor)


def test_the_queue_hears_of_cases_not_of_their_messages(
    live, db, agent, make_conversation, make_case, make_message
):
    # A message changes nothing the queue shows; what it does to a case (opening it,
    # reopening it) is on the case's timeline, a CASE change.
    case = make_case()
    live.poll()
    queue = live.subscribe(Interest(), agent.id)

    make_message(case.conversation)
    live.poll()
    assert queue.next(0)[0] == []

    cases.update_details(db, case, agent, topic="pasaporte")
    live.poll()
    assert kinds(queue.next(0)[0]) == [(CASE, case.id)]


def test_nothing_stored_means_nothing_sent(live, agent, make_case):
    make_case()
    live.poll()
    subscription = live.subscribe(Interest(), agent.id)

    assert live.poll() == []
    assert live.poll() == []
    assert subscription.next(0) is None


def test_a_case_changing_is_a_change_for_its_page(live, db, agent, make_conversation, make_case):
    case = make_case()
    live.poll()
    page = live.subscribe(Interest(case.id, case.conversation_id), agent.id)

    cases.update_details(db, case, agent, priority="urgent")
    live.poll()

    changes, _ = page.next(0)
    assert kinds(changes) == [(CASE, case.id)]


def test_a_case_opening_reaches_the_queue(live, agent, make_conversation, make_case):
    queue = live.subscribe(Interest(), agent.id)

    case = make_case()
    changes = live.poll()

    assert (CASE, case.id) in kinds(changes)
    assert (CASE, case.id) in kinds(queue.next(0)[0])


def test_a_case_page_hears_nothing_of_other_cases(
    live, agent, make_conversation, make_case, make_message
):
    mine, other = make_case(), make_case()
    live.poll()
    page = live.subscribe(Interest(mine.id, mine.conversation_id), agent.id)

    make_message(other.conversation)
    live.poll()

    changes, _ = page.next(0)
    assert changes == []


def test_the_queue_hears_nothing_of_conversations_the_assistant_has(
    live, agent, make_conversation, make_message
):
    queue = live.subscribe(Interest(), agent.id)

    make_message(make_conversation(), body="hola")
    found = live.poll()

    assert kinds(found) == [(MESSAGE, None)]
    assert queue.next(0)[0] == []


def test_a_reply_is_a_change_for_the_case_page(
    live, agent, make_conversation, make_case, make_message
):
    conversation = make_conversation()
    case = make_case(conversation)
    live.poll()
    page = live.subscribe(Interest(case.id, conversation.id), agent.id)

    reply = make_message(conversation, direction=m.OUTBOUND, author=m.BOT)
    live.poll()

    assert page.next(0)[0] == [Change(REPLY, reply.id, case.id, conversation.id)]


def test_a_message_without_a_case_of_its_own_belongs_to_its_conversations_active_case(
    live, agent, make_conversation, make_case, make_message
):
    # The webhook stores the message; the worker files it under the case later.
    conversation = make_conversation()
    case = make_case(conversation)
    live.poll()

    message = make_message(conversation, case_id=None)

    assert live.poll() == [Change(MESSAGE, message.id, case.id, conversation.id)]


def test_a_change_carries_no_personal_data(live, agent, make_conversation, make_case, make_message):
    conversation = make_conversation(
        citizen_address="whatsapp:+5215512345678", profile_name="Guadalupe Hernández"
    )
    make_case(conversation, topic="pensión")
    make_message(conversation, body="mi CURP es HEGG800101MDFRRD09")

    payloads = [change.payload() for change in live.poll()]

    text = json.dumps(payloads, ensure_ascii=False)
    assert payloads and all(set(payload) == {"kind", "id", "case"} for payload in payloads)
    for personal in ("12345678", "Guadalupe", "HEGG800101", "pensión"):
        assert personal not in text


def test_a_delivery_update_of_a_recent_outbound_message_is_a_change(
    live, db, agent, make_conversation, make_case, make_message
):
    conversation = make_conversation()
    case = make_case(conversation)
    reply = make_message(conversation, direction=m.OUTBOUND, author=m.AGENT, case_id=case.id)
    live.poll()

    reply.status, reply.delivery_status = m.DONE, "delivered"
    db.commit()

    assert live.poll() == [Change(DELIVERY, reply.id, case.id, conversation.id)]
    assert live.poll() == []


def test_a_read_message_is_no_longer_watched(
    live, db, agent, make_conversation, make_case, make_message
):
    conversation = make_conversation()
    make_case(conversation)
    reply = make_message(conversation, direction=m.OUTBOUND)
    live.poll()
    reply.delivery_status = "read"
    db.commit()
    assert [change.kind for change in live.poll()] == [DELIVERY]

    # Twilio can still report an older status late; the page keeps what it showed.
    reply.delivery_status = "delivered"
    db.commit()

    assert live.poll() == []


def test_a_row_that_commits_late_below_the_cursor_is_still_a_change(
    live, agent, make_conversation, make_message
):
    # PostgreSQL hands out ids at insert: a slow transaction's row can appear after a
    # faster one's with a higher id.
    conversation = make_conversation()
    start = live.cursor.message
    make_message(conversation, id=start + 2)
    assert [change.id for change in live.poll()] == [start + 2]

    make_message(conversation, id=start + 1)

    assert [change.id for change in live.poll()] == [start + 1]


def test_an_id_skipped_over_is_looked_for_only_a_while():
    ids = feed._Ids(10)
    assert ids.take([12], now=0.0) == {12}
    assert set(ids.gaps) == {11}

    ids.take([], now=feed.GAP_SECONDS + 1)

    assert ids.gaps == {}


def test_pages_that_listen_say_their_agents_are_there_once_a_minute(
    live, db, clock, wall, make_agent
):
    ana, beto, absent = make_agent(), make_agent(), make_agent()
    live.subscribe(Interest(), ana.id)
    live.subscribe(Interest(), beto.id)

    live.poll()
    first = wall.now
    wall.now += timedelta(seconds=30)
    clock.advance(30)
    live.poll()

    db.expire_all()
    assert ana.last_seen_at == beto.last_seen_at == first
    assert absent.last_seen_at is None

    wall.now += timedelta(seconds=31)
    clock.advance(31)
    live.poll()

    db.expire_all()
    assert ana.last_seen_at == wall.now


def test_an_agent_whose_pages_closed_is_no_longer_said_to_be_there(live, db, make_agent):
    ana = make_agent()
    subscription = live.subscribe(Interest(), ana.id)
    live.unsubscribe(subscription)

    live.poll()

    db.expire_all()
    assert ana.last_seen_at is None
    assert live.streams == 0


def test_catching_up_gives_what_a_page_missed_since_its_cursor(
    live, agent, make_conversation, make_case, make_message
):
    conversation = make_conversation()
    case = make_case(conversation)
    page_cursor = feed.current_cursor(live._sessions())  # the HTML is rendered
    message = make_message(conversation)  # then the citizen writes, then the stream opens
    live.poll()
    subscription = live.subscribe(Interest(case.id, conversation.id), agent.id)

    assert live.catch_up(subscription, page_cursor) == [
        Change(MESSAGE, message.id, case.id, conversation.id)
    ]
    assert live.catch_up(subscription, subscription.cursor) == []


def test_a_page_too_far_behind_is_told_to_reload(live, agent, make_case):
    make_case()
    subscription = live.subscribe(Interest(), agent.id)

    behind = Cursor(subscription.cursor.message, subscription.cursor.audit - feed.BATCH - 1)

    assert live.catch_up(subscription, behind) is None


@pytest.mark.parametrize(
    "token", ["", "1", "a.b", "1.-2", "1.2.3", "9" * 13 + ".1", "².1", " 1.2", None]
)
def test_a_cursor_from_a_page_that_is_not_one_is_ignored(token):
    assert Cursor.parse(token) is None


def test_a_cursor_survives_the_trip_through_a_page():
    assert Cursor.parse(Cursor(12, 34).token) == Cursor(12, 34)


def test_a_look_that_fails_does_not_end_the_feed_and_nobody_listening_does(
    live, agent, monkeypatch, caplog
):
    subscription = live.subscribe(Interest(), agent.id)
    looks = []

    def look():
        looks.append(1)
        if len(looks) == 1:
            raise ConnectionError("database restarting")
        live.unsubscribe(subscription)  # the last page closes
        return []

    monkeypatch.setattr(live, "poll", look)
    monkeypatch.setattr(live, "poll_seconds", 0)

    live._run()  # the thread's loop, here on the test's thread

    assert len(looks) == 2
    assert "looking for changes failed" in caplog.text
