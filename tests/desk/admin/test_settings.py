"""Settings from desk.services.settings.DEFAULTS, edited in one form; business hours
are checked as a whole."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from desk.admin.forms import setting_field
from desk.models import AuditEvent
from desk.services import settings


def form(**changes: Any) -> dict[str, Any]:
    """The form as the browser sends it for the defaults: unchecked boxes are absent."""
    data: dict[str, Any] = {}
    for key, (default, kind, _label) in settings.DEFAULTS.items():
        if kind is bool:
            if default:
                data[key] = "y"
        elif kind is list:
            data[key] = [str(day) for day in default]
        else:
            data[key] = str(default)
    data |= changes
    return {key: value for key, value in data.items() if value is not None}


def test_the_page_has_a_labelled_field_for_every_setting(client, admin):
    page = client.get("/admin/settings").get_data(as_text=True)

    for key, (_default, _kind, label) in settings.DEFAULTS.items():
        assert f'name="{key}"' in page, key
        assert label in page, key


def test_every_kind_of_setting_has_a_form_field(app):
    for key, (_default, kind, label) in settings.DEFAULTS.items():
        assert setting_field(key, kind, label) is not None


def test_a_kind_without_a_field_is_a_programming_error(app):
    with pytest.raises(TypeError):
        setting_field("odd", dict, "Raro")


def test_an_admin_saves_settings_and_each_change_is_audited(client, db, admin):
    response = client.post("/admin/settings", data=form(reopen_window_hours="48", auto_assign=None))

    assert response.status_code == 302
    assert settings.get(db, "reopen_window_hours") == 48
    assert settings.get(db, "auto_assign") is False
    changed = {
        event.details["key"]: (event.details["old"], event.details["new"])
        for event in db.scalars(sa.select(AuditEvent).filter_by(action="setting.changed"))
    }
    assert changed == {"reopen_window_hours": (72, 48), "auto_assign": (True, False)}


def test_saving_the_same_values_changes_nothing(client, db, admin):
    response = client.post("/admin/settings", data=form())

    assert response.status_code == 302
    assert db.scalars(sa.select(AuditEvent).filter_by(action="setting.changed")).all() == []


def test_a_negative_number_is_an_error_next_to_its_field(client, db, admin):
    response = client.post("/admin/settings", data=form(auto_close_days="-1"))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Un número de 0 en adelante." in page
    assert page.index("Un número de 0 en adelante.") > page.index('name="auto_close_days"')
    assert settings.get(db, "auto_close_days") == 7


def test_business_hours_are_saved(client, db, admin):
    response = client.post(
        "/admin/settings",
        data=form(
            business_hours_enabled="y",
            business_days=["0", "2", "4"],
            business_start="08:30",
            business_end="15:00",
        ),
    )

    assert response.status_code == 302
    assert settings.get(db, "business_hours_enabled") is True
    assert settings.get(db, "business_days") == [0, 2, 4]
    assert (settings.get(db, "business_start"), settings.get(db, "business_end")) == (
        "08:30",
        "15:00",
    )


def test_business_hours_must_start_before_they_end(client, db, admin):
    response = client.post(
        "/admin/settings", data=form(business_start="18:00", business_end="09:00")
    )

    assert response.status_code == 400
    assert "El horario debe empezar antes de terminar." in response.get_data(as_text=True)
    assert settings.get(db, "business_start") == "09:00"


def test_business_hours_need_a_day(client, db, admin):
    response = client.post("/admin/settings", data=form(business_days=None))

    assert response.status_code == 400
    assert "Elige al menos un día de atención." in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["9", "25:00", "09:60", "nueve"])
def test_a_time_not_in_hh_mm_is_refused(client, db, admin, value):
    response = client.post("/admin/settings", data=form(business_start=value))

    assert response.status_code == 400
    assert "Escribe la hora como HH:MM" in response.get_data(as_text=True)


def test_a_day_outside_the_week_is_refused(client, db, admin):
    response = client.post("/admin/settings", data=form(business_days=["0", "7"]))

    assert response.status_code == 400
    assert settings.get(db, "business_days") == [0, 1, 2, 3, 4]
