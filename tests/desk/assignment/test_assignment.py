"""Who gets each case: claiming, supervisors' assignment, fair automatic assignment
among available agents, and cases handed back when an agent goes away."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desk.assignment import services as assignment
from desk.db import utcnow
from desk.models import Team
from desk.models import agent as a
from desk.models import case as c
from desk.services import settings


@pytest.fixture
def online(make_agent):
    def make(name: str, **fields):
        fields.setdefault("available", True)
        fields.setdefault("available_changed_at", utcnow())
        fields.setdefault("last_seen_at", utcnow())
        return make_agent(name=name, **fields)

    return make


def test_a_new_case_goes_to_the_available_agent_with_the_fewest_active_cases(db, online, make_case):
    busy, free = online("Ocupada"), online("Libre")
    for _ in range(2):
        assignment.claim(db, make_case(), busy)
    db.commit()

    case = make_case()

    assert case.assignee_id == free.id and case.status == c.OPEN


def test_nobody_available_leaves_the_case_in_the_queue(db, make_agent, make_case):
    make_agent(name="Ausente", available=False)

    case = make_case()

    assert case.assignee_id is None and case.status == c.NEW


def test_the_oldest_waiting_case_is_given_first_and_the_cap_is_kept(db, online, make_case):
    settings.put(db, "auto_assign", False)
    db.commit()
    older, newer = make_case(), make_case()
    agent = online("Con tope", max_active_cases=1)
    settings.put(db, "auto_assign", True)

    given = assignment.auto_assign(db)

    assert given == 1
    assert (older.assignee_id, newer.assignee_id) == (agent.id, None)


def test_ties_go_to_whoever_got_a_case_longest_ago(db, online, make_case):
    settings.put(db, "auto_assign", False)
    db.commit()
    first, second = online("Primera"), online("Segunda")
    earlier, later = make_case(), make_case()
    assignment.claim(db, earlier, first, now=utcnow() - timedelta(hours=2))
    assignment.claim(db, later, second, now=utcnow() - timedelta(hours=1))
    cases_resolved = [earlier, later]
    for case in cases_resolved:
        case.status = c.RESOLVED
    settings.put(db, "auto_assign", True)
    db.commit()

    case = make_case()

    assert case.assignee_id == first.id


def test_a_team_case_goes_only_to_that_teams_agents(db, online, make_case):
    passports = Team(name="Pasaportes")
    db.add(passports)
    db.commit()
    online("Otra área")
    settings.put(db, "auto_assign", False)
    db.commit()
    case = make_case()
    case.team_id = passports.id
    member = online("Del equipo", team_id=passports.id)
    settings.put(db, "auto_assign", True)

    assignment.auto_assign(db)

    assert case.assignee_id == member.id


def test_trainers_and_deactivated_people_are_never_given_cases(db, online, make_case):
    online("Entrenadora", role=a.TRAINER)
    online("Se fue", active=False)

    case = make_case()

    assert case.assignee_id is None


def test_a_supervisor_reassigns_and_the_timeline_says_who_to_whom(db, online, make_case):
    supervisor = online("Sofía", role=a.SUPERVISOR, available=False)
    first, second = online("Uno", available=False), online("Dos", available=False)
    case = make_case()
    assignment.claim(db, case, first)

    assignment.assign(db, case, by=supervisor, agent=second)

    assert case.assignee_id == second.id
    from desk.services import cases

    last = cases.timeline(db, case)[-1]
    assert (last.action, last.details["assignee"], last.details["previous"]) == (
        "case.assigned",
        "Dos",
        "Uno",
    )


def test_a_resolved_case_cannot_be_assigned(db, online, make_case, agent):
    from desk.services import cases

    case = make_case()
    cases.resolve(db, case, agent)

    with pytest.raises(assignment.AssignmentError):
        assignment.claim(db, case, agent)


def test_an_agent_away_longer_than_the_setting_hands_back_unanswered_cases(db, online, make_case):
    leaving = online("Se va")
    unanswered, answered = make_case(), make_case()
    assert unanswered.assignee_id == answered.assignee_id == leaving.id
    answered.first_response_at = utcnow()
    assignment.set_available(db, leaving, False, now=utcnow() - timedelta(minutes=16))
    db.commit()

    handed_back = assignment.hand_back_from_away(db)

    assert handed_back == 1
    assert (unanswered.assignee_id, unanswered.status) == (None, c.NEW)
    assert answered.assignee_id == leaving.id  # the citizen already talks with them


def test_an_agent_away_only_briefly_keeps_their_cases(db, online, make_case):
    agent = online("Café")
    case = make_case()
    assignment.set_available(db, agent, False, now=utcnow() - timedelta(minutes=5))

    assert assignment.hand_back_from_away(db) == 0
    assert case.assignee_id == agent.id


def test_an_available_agent_whose_pages_went_quiet_counts_as_away(db, online, make_case):
    agent = online("Cerró el navegador", last_seen_at=utcnow() - timedelta(minutes=30))
    case = make_case()
    assert case.assignee_id == agent.id

    assignment.hand_back_from_away(db)

    assert agent.available is False and case.assignee_id is None


def test_an_agent_who_never_said_they_were_available_keeps_the_case_they_took(
    db, make_agent, make_case
):
    agent = make_agent(name="Sin disponibilidad")
    case = make_case()
    assignment.claim(db, case, agent)

    assert assignment.hand_back_from_away(db, now=utcnow() + timedelta(minutes=5)) == 0
    assert case.assignee_id == agent.id
    # Gone longer than the setting (no page open): the case goes back to the queue.
    assert assignment.hand_back_from_away(db, now=utcnow() + timedelta(minutes=20)) == 1
