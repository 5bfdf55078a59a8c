"""Supervisors look a number up and see what matched before acting; nobody else can."""

from __future__ import annotations

import pytest

PAGES = [
    ("get", "/privacidad/solicitudes", None),
    ("post", "/privacidad/solicitudes", {"phone": "5512345678"}),
    ("post", "/privacidad/solicitudes/exportar", {"phone": "5512345678", "shape": "json"}),
    (
        "post",
        "/privacidad/solicitudes/borrar",
        {"phone": "5512345678", "confirmation": "5512345678"},
    ),
]


@pytest.mark.parametrize(("method", "url", "data"), PAGES, ids=[f"{p[0]} {p[1]}" for p in PAGES])
def test_an_agent_is_refused_every_privacy_request(client, plain_agent, juana, method, url, data):
    response = getattr(client, method)(url, data=data)

    assert response.status_code == 403
    assert juana.whatsapp.profile_name == "Juana Pérez"


def test_signed_out_people_go_to_the_login(client):
    response = client.get("/privacidad/solicitudes")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_supervisor_gets_the_page_and_the_top_bar_link(client, supervisor):
    response = client.get("/privacidad/solicitudes")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'href="/privacidad/solicitudes">Privacidad</a>' in page
    assert 'for="phone"' in page


def test_an_agent_has_no_privacy_link(client, plain_agent):
    page = client.get("/cases/").get_data(as_text=True)

    assert "/privacidad/solicitudes" not in page


def test_the_lookup_shows_both_channels_of_the_number_and_no_one_else(
    client, supervisor, juana, pedro
):
    response = client.post("/privacidad/solicitudes", data={"phone": "55 1234 5678"})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "+5215512345678" in page and "+525512345678" in page  # WhatsApp and SMS
    assert "Juana Pérez" in page
    assert juana.case.folio in page
    assert "Pedro" not in page and pedro.case.folio not in page and "87654321" not in page
    assert 'name="confirmation"' in page


def test_a_number_with_nothing_stored_says_so(client, supervisor, juana):
    page = client.post("/privacidad/solicitudes", data={"phone": "+52 1 33 0000 0000"})

    assert "No hay nada guardado con ese número" in page.get_data(as_text=True)
    assert 'name="confirmation"' not in page.get_data(as_text=True)


@pytest.mark.parametrize("typed", ["", "hola", "55 12"])
def test_what_is_no_number_is_a_400_with_a_message(client, supervisor, typed):
    response = client.post("/privacidad/solicitudes", data={"phone": typed})

    assert response.status_code == 400
    assert "Escribe" in response.get_data(as_text=True)
