"""Assignment from the desk's pages: availability, taking a case, a supervisor's choice."""

from __future__ import annotations

from desk.models import agent as a
from desk.models import case as c


def test_becoming_available_takes_the_waiting_cases_and_returns_to_the_page(
    client, logged_in, make_case
):
    waiting = make_case()

    response = client.post("/cases/availability", headers={"Referer": "https://evil.example/"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/cases/")  # never to another site
    assert logged_in.available is True
    assert (waiting.assignee_id, waiting.status) == (logged_in.id, c.OPEN)


def test_an_agent_takes_a_case_but_not_one_someone_else_has(
    client, logged_in, make_agent, make_case
):
    free, taken = make_case(), make_case()
    other = make_agent(name="Otra")
    client.post(f"/cases/{free.id}/claim")
    taken.assignee_id = other.id

    assert free.assignee_id == logged_in.id
    assert client.post(f"/cases/{taken.id}/claim").status_code == 403


def test_a_supervisor_gives_a_case_to_an_agent(client, make_agent, make_case):
    supervisor = make_agent(email="sofia@cab.gob.mx", role=a.SUPERVISOR)
    agent = make_agent(email="lucia@cab.gob.mx", name="Lucía")
    case = make_case()
    client.post("/login", data={"email": supervisor.email, "password": "contraseña-segura"})

    response = client.post(f"/cases/{case.id}/assign", data={"agent_id": agent.id, "team_id": 0})

    assert response.status_code == 302
    assert case.assignee_id == agent.id


def test_an_agent_may_not_assign(client, logged_in, make_agent, make_case):
    other = make_agent(name="Otra")
    case = make_case()

    response = client.post(f"/cases/{case.id}/assign", data={"agent_id": other.id, "team_id": 0})

    assert response.status_code == 403
    assert case.assignee_id is None
