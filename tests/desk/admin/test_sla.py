"""SLA targets per priority: positive minutes, the first answer no later than the
resolution; new cases get them."""

from __future__ import annotations

import re

import sqlalchemy as sa

from desk.models import AuditEvent, SlaTarget
from desk.models import case as c
from desk.services import settings
from desk.services.settings import SLA_DEFAULTS


def form(**changes: str) -> dict[str, str]:
    data = {}
    for priority, (first, resolution) in SLA_DEFAULTS.items():
        data[f"{priority}_first"] = str(first)
        data[f"{priority}_resolution"] = str(resolution)
    return data | changes


def test_the_page_shows_the_defaults_before_any_change(client, admin):
    page = client.get("/admin/sla").get_data(as_text=True)

    for priority, (first, resolution) in SLA_DEFAULTS.items():
        assert re.search(rf'<input id="{priority}_first"[^>]* value="{first}"', page)
        assert re.search(rf'<input id="{priority}_resolution"[^>]* value="{resolution}"', page)


def test_an_admin_changes_a_prioritys_targets(client, db, admin, make_case):
    response = client.post("/admin/sla", data=form(urgent_first="10", urgent_resolution="120"))

    assert response.status_code == 302
    assert settings.sla_minutes(db, c.URGENT) == (10, 120)
    # Only the changed priority is stored and audited.
    assert db.scalars(sa.select(SlaTarget.priority)).all() == [c.URGENT]
    [event] = db.scalars(sa.select(AuditEvent).filter_by(action="sla.updated"))
    assert event.details["priority"] == c.URGENT and event.agent_id == admin.id


def test_the_new_targets_apply_to_cases_opened_afterwards(client, db, admin, make_case):
    client.post("/admin/sla", data=form(normal_first="5", normal_resolution="50"))

    case = make_case()

    assert case.priority == c.NORMAL
    minutes = (case.first_response_due_at - case.opened_at).total_seconds() / 60
    assert round(minutes) == 5


def test_a_first_response_later_than_the_resolution_is_refused(client, db, admin):
    response = client.post("/admin/sla", data=form(high_first="600", high_resolution="60"))

    assert response.status_code == 400
    assert "La resolución no puede llegar antes que la primera respuesta." in response.get_data(
        as_text=True
    )
    assert db.scalars(sa.select(SlaTarget)).all() == []


def test_zero_negative_and_non_numbers_are_refused(client, db, admin):
    for value in ("0", "-5", "diez", ""):
        response = client.post("/admin/sla", data=form(low_first=value))
        assert response.status_code == 400, value
    assert db.scalars(sa.select(SlaTarget)).all() == []


def test_a_refused_priority_saves_none_of_the_others(client, db, admin):
    response = client.post(
        "/admin/sla", data=form(urgent_first="1", low_first="900", low_resolution="10")
    )

    assert response.status_code == 400
    assert db.scalars(sa.select(SlaTarget)).all() == []
