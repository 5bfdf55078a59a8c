"""The dashboard's numbers on small hand-built data sets whose answers are known.

Every test runs on SQLite and on PostgreSQL: the SQL differs by dialect (day
truncation, durations, percentiles), the answers must not.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from desk.dashboard import services
from desk.dashboard.services import Period
from desk.models import message as m
from tests.desk.dashboard.conftest import AFTER, WEEK, local, minutes


def test_messages_are_counted_per_local_day_by_direction_with_empty_days_as_zero(
    db, make_conversation, make_message
):
    ana, beto = make_conversation(), make_conversation()
    make_message(ana, created_at=local(2, 9))
    make_message(ana, created_at=local(2, 10))  # the same conversation twice: one
    make_message(beto, created_at=local(2, 11))
    make_message(ana, direction=m.OUTBOUND, created_at=local(2, 9, 1))
    make_message(beto, direction=m.OUTBOUND, author=m.AGENT, created_at=local(4, 8))
    make_message(ana, created_at=local(8, 0, 1))  # the day after the week

    days = services.daily(db, WEEK)

    assert [d.day for d in days] == [date(2026, 3, n) for n in range(1, 8)]
    by_day = {d.day.day: (d.inbound, d.outbound, d.conversations) for d in days}
    assert by_day[2] == (3, 1, 2)
    assert by_day[4] == (0, 1, 0)  # an outbound message alone is no conversation
    assert by_day[1] == by_day[3] == by_day[7] == (0, 0, 0)


def test_days_are_mexico_city_days_not_utc_days(db, make_message):
    # 05:30 UTC on the 3rd is still 23:30 of the 2nd in Mexico City (UTC-6).
    make_message(created_at=datetime(2026, 3, 3, 5, 30, tzinfo=UTC))
    make_message(created_at=datetime(2026, 3, 3, 6, 10, tzinfo=UTC))  # 00:10 of the 3rd

    counts = {d.day.day: d.inbound for d in services.daily(db, WEEK)}

    assert (counts[2], counts[3]) == (1, 1)


def test_days_follow_the_summer_time_mexico_city_had_until_2022(db, make_message):
    # October 30, 2022, 02:00 CDT: clocks went back to CST for good. 05:30 UTC was
    # 00:30 of the 30th (UTC-5); a day later 05:30 UTC was 23:30 of the 30th (UTC-6).
    make_message(created_at=datetime(2022, 10, 30, 5, 30, tzinfo=UTC))
    make_message(created_at=datetime(2022, 10, 31, 5, 30, tzinfo=UTC))
    # Midsummer 2021: 05:30 UTC was 00:30 of July 2nd, not 23:30 of the 1st.
    make_message(created_at=datetime(2021, 7, 2, 5, 30, tzinfo=UTC))

    autumn = services.daily(db, Period(date(2022, 10, 29), date(2022, 10, 31)))
    summer = services.daily(db, Period(date(2021, 7, 1), date(2021, 7, 2)))

    assert [d.inbound for d in autumn] == [0, 2, 0]
    assert [d.inbound for d in summer] == [0, 1]


def test_cases_opened_are_counted_on_their_local_day(db, add_case):
    add_case(opened_at=local(5, 23, 50))
    add_case(opened_at=local(5, 0, 5))
    add_case(opened_at=local(6, 8))
    add_case(opened_at=local(28, month=2))  # before the week

    days = {d.day.day: d.cases_opened for d in services.daily(db, WEEK)}

    assert (days[5], days[6], sum(days.values())) == (2, 1, 3)


def test_containment_is_the_share_of_conversations_no_person_had_to_take(
    db, make_conversation, make_message, add_case
):
    alone = make_conversation()
    make_message(alone, created_at=local(2))
    handed_off = make_conversation()
    make_message(handed_off, created_at=local(3, 9))
    add_case(handed_off, opened_at=local(3, 9, 1))
    # A case from January, resolved then: this week the assistant coped alone.
    old_case = make_conversation()
    make_message(old_case, created_at=local(4))
    add_case(
        old_case, opened_at=local(10, month=1), status="resolved", resolved_at=local(11, month=1)
    )
    # Opened before the week and still with a person during it.
    still_open = make_conversation()
    make_message(still_open, created_at=local(5))
    add_case(still_open, opened_at=local(20, month=2))
    # Resolved on the week's first day: a person handled part of it.
    resolved_in_week = make_conversation()
    make_message(resolved_in_week, created_at=local(6))
    add_case(
        resolved_in_week,
        opened_at=local(25, month=2),
        status="resolved",
        resolved_at=local(1, 10),
    )
    # Not counted at all: wrote only before the week, or only heard from us.
    make_message(created_at=local(27, month=2))
    make_message(direction=m.OUTBOUND, created_at=local(3))

    result = services.containment(db, WEEK)

    assert (result.conversations, result.contained) == (5, 2)
    assert result.rate == pytest.approx(0.4)


def test_containment_of_a_period_without_conversations_is_unknown_not_zero(db):
    result = services.containment(db, WEEK)

    assert (result.conversations, result.rate) == (0, None)


def test_first_response_median_and_p90_over_the_periods_answered_cases(db, add_case):
    for waited in (1, 2, 5, 10, 60):
        add_case(opened_at=local(2), first_response_at=local(2) + minutes(waited))
    add_case(opened_at=local(2))  # not answered yet: no duration
    add_case(opened_at=local(2, month=2), first_response_at=local(2, month=2) + minutes(0.1))

    result = services.first_response_times(db, WEEK)

    assert result.count == 5
    assert result.median == pytest.approx(5 * 60)
    # percentile_cont: 0.9 × (5 − 1) = 3.6, so 60% of the way from 10 to 60 minutes.
    assert result.p90 == pytest.approx(40 * 60)


def test_resolution_median_and_p90_with_an_even_count(db, add_case):
    for hours in (1, 2, 4, 10):
        add_case(
            opened_at=local(3),
            status="resolved",
            resolved_at=local(3) + minutes(60 * hours),
        )

    result = services.resolution_times(db, WEEK)

    assert result.count == 4
    assert result.median == pytest.approx(3 * 3600)  # between 2 h and 4 h
    assert result.p90 == pytest.approx(8.2 * 3600)  # 0.9 × 3 = 2.7: 4 h + 0.7 × 6 h


def test_times_of_a_period_without_cases_are_unknown(db):
    result = services.first_response_times(db, WEEK)

    assert (result.count, result.median, result.p90) == (0, None, None)


def test_first_response_breaches_count_late_answers_and_answers_still_missing(db, add_case):
    due = local(2, 13)
    add_case(opened_at=local(2), first_response_due_at=due, first_response_at=due - minutes(1))
    add_case(opened_at=local(2), first_response_due_at=due, first_response_at=due + minutes(1))
    add_case(opened_at=local(2), first_response_due_at=due)  # never answered, long past due
    # Not due yet at AFTER: no breach so far.
    add_case(opened_at=local(2), first_response_due_at=datetime(2026, 5, 1, tzinfo=UTC))
    # Resolved before it was due, without a written answer: the clock stopped.
    add_case(
        opened_at=local(2),
        first_response_due_at=due,
        status="resolved",
        resolved_at=due - minutes(5),
    )
    add_case(opened_at=local(2))  # no target at all

    result = services.sla_breaches(db, WEEK, now=AFTER)

    assert (result.with_first_response_target, result.first_response) == (5, 2)


def test_resolution_breaches_count_late_resolutions_and_cases_unresolved_past_due(db, add_case):
    due = local(3, 12)
    add_case(
        opened_at=local(2), resolution_due_at=due, status="resolved", resolved_at=due - minutes(1)
    )
    add_case(
        opened_at=local(2), resolution_due_at=due, status="resolved", resolved_at=due + minutes(1)
    )
    add_case(opened_at=local(2), resolution_due_at=due, status="open")  # past due at AFTER
    add_case(opened_at=local(2), resolution_due_at=datetime(2026, 5, 1, tzinfo=UTC))

    result = services.sla_breaches(db, WEEK, now=AFTER)

    assert (result.with_resolution_target, result.resolution) == (4, 2)


def test_csat_counts_average_distribution_and_response_rate(db, add_case):
    for score in (5, 4, 4, 1):
        # Answering clears csat_asked_at (desk.services.cases asks once).
        add_case(opened_at=local(4), status="resolved", csat_score=score, csat_answered_at=local(5))
    for _ in range(2):
        add_case(opened_at=local(4), status="resolved", csat_asked_at=local(4, 15))
    add_case(opened_at=local(4), status="resolved")  # CSAT off, or opted out: never asked
    add_case(opened_at=local(4, month=2), status="resolved", csat_score=1)  # another month

    result = services.csat(db, WEEK)

    assert (result.asked, result.answered) == (6, 4)
    assert result.average == pytest.approx(3.5)
    assert result.distribution == {1: 1, 2: 0, 3: 0, 4: 2, 5: 1}
    assert result.response_rate == pytest.approx(4 / 6)


def test_csat_without_answers_has_no_average_and_no_rate(db, add_case):
    add_case(opened_at=local(4))

    result = services.csat(db, WEEK)

    assert (result.asked, result.answered, result.average, result.response_rate) == (
        0,
        0,
        None,
        None,
    )


def test_handoffs_by_topic_most_frequent_first_then_the_rest_together(db, add_case):
    for topic in ("becas", "becas", "becas", "pensión", "pensión", None, "actas"):
        add_case(opened_at=local(3), topic=topic)
    add_case(opened_at=local(3, month=2), topic="actas")  # outside the week

    full = services.handoffs_by_topic(db, WEEK)
    top_two = services.handoffs_by_topic(db, WEEK, top=2)

    assert [(t.key, t.count) for t in full] == [
        ("becas", 3),
        ("pensión", 2),
        ("actas", 1),
        (None, 1),
    ]
    assert next(t.label for t in full if t.key is None) == "Sin tema"
    assert [(t.label, t.count) for t in top_two] == [
        ("becas", 3),
        ("pensión", 2),
        ("Otros temas", 2),
    ]


def test_handoffs_by_reason_in_words(db, add_case):
    for reason in ("bot_fallback", "bot_fallback", "complaint"):
        add_case(opened_at=local(3), reason=reason)

    result = services.handoffs_by_reason(db, WEEK)

    assert [(t.label, t.count) for t in result] == [
        ("El asistente no entendió", 2),
        ("Queja", 1),
    ]


def test_agents_load_counts_active_cases_now_and_resolutions_in_the_period(
    db, make_agent, add_case
):
    ana = make_agent(name="Ana")
    beto = make_agent(name="Beto", role="supervisor")
    make_agent(name="Carla")  # available to work, nothing yet: listed with zeros
    make_agent(name="Toño", role="trainer")  # does not work cases
    make_agent(name="Ex", active=False)  # gone, and nothing to show
    add_case(assignee_id=ana.id, status="open")
    add_case(assignee_id=ana.id, status="pending", opened_at=local(1, month=1))  # old: still load
    add_case(assignee_id=ana.id, status="resolved", resolved_by_id=ana.id, resolved_at=local(6))
    add_case(status="resolved", resolved_by_id=ana.id, resolved_at=local(6, month=2))
    add_case(assignee_id=beto.id, status="closed", resolved_by_id=beto.id, resolved_at=local(2))
    add_case(status="new")  # in the queue, nobody's

    load = services.agents_load(db, WEEK)

    assert [(a.name, a.active, a.resolved) for a in load.agents] == [
        ("Ana", 2, 1),
        ("Beto", 0, 1),
        ("Carla", 0, 0),
    ]
    assert load.unassigned == 1


def test_the_whole_dashboard_adds_up_its_parts(db, make_message, add_case):
    make_message(created_at=local(2))
    make_message(direction=m.OUTBOUND, created_at=local(2))
    add_case(opened_at=local(2))

    board = services.dashboard(db, WEEK, now=AFTER)

    assert (board.inbound, board.outbound, board.cases_opened) == (1, 1, 1)
    assert board.period == WEEK
