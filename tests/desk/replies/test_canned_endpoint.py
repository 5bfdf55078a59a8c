"""GET /replies/canned: what the composer lists after "/", filled for the case."""

from __future__ import annotations


def test_matches_come_filled_for_the_case(client, logged_in, make_case_on, make_canned):
    case = make_case_on(profile_name="María")
    make_canned("saludo", "Hola {nombre}, soy {agente}. Tu folio: {folio}.", title="Saludo")
    make_canned("horario", "De 9 a 18 h.")

    response = client.get(f"/replies/canned?case={case.id}&q=/sal")

    assert response.status_code == 200
    [found] = response.get_json()["replies"]
    assert (found["shortcut"], found["title"]) == ("saludo", "Saludo")
    assert found["text"] == f"Hola María, soy Ana Agente. Tu folio: {case.folio}."


def test_an_english_conversation_gets_the_english_text(
    client, logged_in, make_case_on, make_canned
):
    case = make_case_on(profile_name="John", language="en")
    make_canned("saludo", "Hola {nombre}.", body_en="Hi {nombre}.")

    [found] = client.get(f"/replies/canned?case={case.id}&q=saludo").get_json()["replies"]

    assert found["text"] == "Hi John."


def test_a_citizen_without_a_name_gets_no_gap(client, logged_in, make_case_on, make_canned):
    case = make_case_on(profile_name=None)
    make_canned("saludo", "Hola {nombre}, ¿en qué te ayudo?")

    [found] = client.get(f"/replies/canned?case={case.id}&q=sal").get_json()["replies"]

    assert found["text"] == "Hola, ¿en qué te ayudo?"


def test_deactivated_replies_are_not_offered(client, logged_in, make_case_on, make_canned):
    case = make_case_on()
    make_canned("viejo", "Ya no se usa.", active=False)
    make_canned("vigente", "Sí se usa.")

    found = client.get(f"/replies/canned?case={case.id}&q=").get_json()["replies"]

    assert [reply["shortcut"] for reply in found] == ["vigente"]


def test_the_case_is_required_and_must_exist(client, logged_in):
    missing = client.get("/replies/canned?q=x", headers={"Accept": "application/json"})
    unknown = client.get("/replies/canned?case=999999&q=x", headers={"Accept": "application/json"})

    assert missing.status_code == 400
    assert "case=<id> is required" in missing.get_json()["message"]
    assert unknown.status_code == 404


def test_people_who_do_not_work_cases_cannot_search(client, trainer, make_case_on):
    case = make_case_on()

    assert client.get(f"/replies/canned?case={case.id}").status_code == 403


def test_signed_out_people_are_sent_to_log_in(client, make_case_on):
    case = make_case_on()

    response = client.get(f"/replies/canned?case={case.id}")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
