"""Trainers review waiting messages; only scrubbed examples reach the NLU data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from desk.models import AuditEvent, Review
from desk.models import review as r
from desk.training import nlu_data

REPOSITORY = Path(__file__).resolve().parents[3]
CURP = "GOMC850312MDFRRR08"
PHONE = "55 1234 5678"
WITH_PERSONAL_DATA = f"Mi CURP es {CURP} y mi cel {PHONE}, quiero renovar mi pasaporte"


@pytest.fixture
def root(app, tmp_path):
    """A copy of the repository's NLU data and domain: reviews never write the real one."""
    copy = tmp_path / "repo"
    for folder in ("data/nlu", "tests/nlu", "bot/domain"):
        shutil.copytree(REPOSITORY / folder, copy / folder)
    app.config["TRAINING_DATA_ROOT"] = str(copy)
    return copy


@pytest.fixture
def trainer(client, make_agent):
    agent = make_agent(email="tere.entrenadora@cab.gob.mx", name="Teresa Ruiz", role="trainer")
    response = client.post("/login", data={"email": agent.email, "password": "contraseña-segura"})
    assert response.status_code == 302
    return agent


def all_text(root: Path) -> str:
    return "\n".join(path.read_text("utf-8") for path in sorted(root.rglob("*.yml")))


def review_of(db, message):
    return db.scalar(sa.select(Review).filter_by(message_id=message.id))


def test_an_agent_without_the_permission_gets_403(client, logged_in, root):
    assert client.get("/training/").status_code == 403


def test_a_trainer_sees_what_waits_with_its_intent_confidence_model_and_count(
    client, trainer, root, make_message
):
    make_message(
        body="cuanto sale lo del pasaporte", intent="ask_cost", confidence=0.42, model_id="m-2026"
    )

    response = client.get("/training/")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "cuanto sale lo del pasaporte" in html
    assert "ask_cost" in html and "0.42" in html and "m-2026" in html
    assert "Esperan revisión: 1" in html


def test_the_inbox_filters_from_the_url(client, trainer, root, make_message):
    make_message(body="precio del acta", intent="ask_cost", confidence=0.4)
    make_message(body="donde queda la oficina", intent="ask_where", confidence=0.4)

    html = client.get("/training/?intent=ask_where").get_data(as_text=True)

    assert "donde queda la oficina" in html and "precio del acta" not in html
    assert client.get("/training/?from=ayer").status_code == 400


def test_the_message_page_previews_the_scrubbed_example_with_each_finding_marked(
    client, trainer, root, make_message
):
    message = make_message(body=WITH_PERSONAL_DATA, intent="nlu_fallback", confidence=0.3)

    html = client.get(f"/training/messages/{message.id}").get_data(as_text=True)

    assert '<mark title="curp: ' in html and ">PEGJ800101HDFRRN03</mark>" in html
    assert ">55 0000 0000</mark>" in html
    assert 'list="intents"' in html and '<option value="ask_requirements">' in html
    assert '<option value="nlu_fallback">' not in html  # Rasa's own, never trained
    assert "autofocus" in html


def test_confirming_writes_only_the_scrubbed_example_and_records_the_review(
    client, trainer, root, db, make_message
):
    message = make_message(body=WITH_PERSONAL_DATA, intent="nlu_fallback", confidence=0.3)
    waiting = make_message(body="cuanto tarda la beca", intent="ask_duration", confidence=0.2)
    before = all_text(root)

    response = client.post(
        f"/training/messages/{message.id}/confirm",
        data={"intent": "ask_requirements", "procedure": "Pasaporte"},
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/training/messages/{waiting.id}")
    written = all_text(root)
    assert CURP not in written and PHONE not in written
    scrubbed = "Mi CURP es PEGJ800101HDFRRN03 y mi cel 55 0000 0000, quiero renovar mi pasaporte"
    assert "[pasaporte](procedure)" in written and written != before
    review = review_of(db, message)
    assert (review.status, review.intent, review.text) == (
        r.CONFIRMED,
        "ask_requirements",
        scrubbed,
    )
    assert review.entities == [{"start": 71, "end": 80, "entity": "procedure", "value": None}]
    example = nlu_data.Example(scrubbed, "ask_requirements")
    assert review.destination == (r.TEST if nlu_data.held_out(example) else r.TRAINING)
    assert review.reviewer_id == trainer.id and review.refused_reason is None
    assert db.scalar(sa.select(AuditEvent).filter_by(action="training_example_confirmed"))


def test_a_procedure_marked_over_personal_data_is_refused_and_nothing_is_recorded(
    client, trainer, root, db, make_message
):
    message = make_message(body=f"mi folio de pasaporte es {CURP}", intent="nlu_fallback")
    before = all_text(root)

    response = client.post(
        f"/training/messages/{message.id}/confirm",
        data={"intent": "ask_status", "procedure": f"pasaporte es {CURP}"},
    )

    assert response.status_code == 400
    assert "toca datos personales" in response.get_data(as_text=True)
    assert all_text(root) == before
    assert review_of(db, message) is None


def test_a_refused_example_shows_the_reason_and_writes_nothing(
    client, trainer, root, db, make_message
):
    message = make_message(body="quiero el [formato] de la pensión", intent="nlu_fallback")
    before = all_text(root)

    response = client.post(
        f"/training/messages/{message.id}/confirm",
        data={"intent": "ask_requirements"},
        follow_redirects=True,
    )

    assert "corchetes" in response.get_data(as_text=True)
    assert all_text(root) == before
    review = review_of(db, message)
    assert review.destination is None and "corchetes" in review.refused_reason


def test_an_intent_outside_the_domain_is_a_form_error(client, trainer, root, db, make_message):
    message = make_message(body="cuanto cuesta", intent="ask_cost", confidence=0.4)

    response = client.post(
        f"/training/messages/{message.id}/confirm", data={"intent": "pedir_pizza"}
    )

    assert response.status_code == 400
    assert "no está en el dominio" in response.get_data(as_text=True)
    assert review_of(db, message) is None


def test_dismissing_writes_nothing_and_takes_the_message_out_of_the_inbox(
    client, trainer, root, db, make_message
):
    message = make_message(body="jajaja ok", intent="nlu_fallback")
    before = all_text(root)

    response = client.post(f"/training/messages/{message.id}/dismiss")

    assert response.status_code == 302 and response.headers["Location"].endswith("/training/")
    assert review_of(db, message).status == r.DISMISSED
    assert all_text(root) == before
    assert "jajaja ok" not in client.get("/training/").get_data(as_text=True)


def test_each_row_and_the_message_page_show_the_procedure_nlu_found(
    client, trainer, root, make_message
):
    message = make_message(
        body="cuanto sale lo del pasaporte",
        intent="ask_cost",
        confidence=0.42,
        procedure="pasaporte",
    )

    inbox_html = client.get("/training/").get_data(as_text=True)
    page = client.get(f"/training/messages/{message.id}").get_data(as_text=True)

    assert "<td>pasaporte</td>" in inbox_html
    assert "Trámite predicho</dt><dd>pasaporte</dd>" in page


def test_the_inbox_filters_by_the_procedure_nlu_found(client, trainer, root, make_message):
    make_message(
        body="precio del pasaporte", intent="ask_cost", confidence=0.4, procedure="pasaporte"
    )
    make_message(body="precio de la curp", intent="ask_cost", confidence=0.4, procedure="curp")

    html = client.get("/training/?procedure=curp").get_data(as_text=True)

    assert "precio de la curp" in html and "precio del pasaporte" not in html
    assert '<option value="pasaporte">' in html  # offered in the filter's list


def test_the_mark_starts_as_the_procedure_nlu_found_in_the_citizens_own_words(
    client, trainer, root, make_message
):
    message = make_message(
        body="Requisitos para el Pasaporte de mi hijo", intent="nlu_fallback", procedure="pasaporte"
    )

    html = client.get(f"/training/messages/{message.id}").get_data(as_text=True)

    assert 'name="procedure"' in html and 'value="Pasaporte"' in html


@pytest.mark.parametrize(
    ("body", "procedure"),
    [
        ("Requisitos para el pasaporte", None),  # NLU found nothing
        ("cuánto cuesta el trámite", "pasaporte"),  # a synonym's value the text lacks
        ("quiero la curpita", "curp"),  # only inside a word
    ],
)
def test_no_mark_is_offered_when_the_words_are_not_in_the_message(
    client, trainer, root, make_message, body, procedure
):
    message = make_message(body=body, intent="nlu_fallback", procedure=procedure)

    html = client.get(f"/training/messages/{message.id}").get_data(as_text=True)

    assert 'name="procedure" type="text" value=""' in html


def test_a_mark_over_personal_data_is_not_offered(client, trainer, root, make_message):
    message = make_message(body=f"mi curp es {CURP}", intent="nlu_fallback", procedure=CURP.lower())

    html = client.get(f"/training/messages/{message.id}").get_data(as_text=True)

    assert f'value="{CURP}"' not in html


def test_the_inbox_links_carry_its_filters_to_the_message_page_and_its_buttons(
    client, trainer, root, make_message
):
    message = make_message(body="donde queda la oficina", intent="ask_where", confidence=0.4)

    inbox_html = client.get("/training/?intent=ask_where&from=2020-01-01").get_data(as_text=True)
    page = client.get(f"/training/messages/{message.id}?intent=ask_where&from=2020-01-01").get_data(
        as_text=True
    )

    query = "?intent=ask_where&amp;from=2020-01-01"
    assert f'href="/training/messages/{message.id}{query}"' in inbox_html
    assert f'action="/training/messages/{message.id}/confirm{query}"' in page
    assert f'formaction="/training/messages/{message.id}/dismiss{query}"' in page
    assert f'href="/training/{query}"' in page  # back to the filtered inbox


@pytest.mark.parametrize("verdict", ["confirm", "dismiss"])
def test_the_next_message_is_the_next_under_the_trainers_filters(
    client, trainer, root, make_conversation, make_message, verdict
):
    sms = make_conversation(channel="sms")
    first = make_message(sms, body="donde queda la oficina", intent="ask_where", confidence=0.4)
    same_filters = make_message(sms, body="en que calle estan", intent="ask_where", confidence=0.3)
    make_message(body="por whatsapp: donde estan", intent="ask_where", confidence=0.3)
    make_message(sms, body="cuanto cuesta el acta", intent="ask_cost", confidence=0.2)  # newest

    response = client.post(
        f"/training/messages/{first.id}/{verdict}?intent=ask_where&channel=sms",
        data={"intent": "ask_where"},
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/training/messages/{same_filters.id}?intent=ask_where&channel=sms"
    )


def test_when_nothing_is_left_under_the_filters_the_trainer_is_back_on_the_filtered_inbox(
    client, trainer, root, make_message
):
    only = make_message(body="donde queda la oficina", intent="ask_where", confidence=0.4)
    make_message(body="cuanto cuesta el acta", intent="ask_cost", confidence=0.2)

    response = client.post(f"/training/messages/{only.id}/dismiss?intent=ask_where")

    assert response.headers["Location"].endswith("/training/?intent=ask_where")


def test_filters_that_do_not_read_are_dropped_not_carried(client, trainer, root, make_message):
    only = make_message(body="donde queda la oficina", intent="ask_where", confidence=0.4)
    other = make_message(body="cuanto cuesta el acta", intent="ask_cost", confidence=0.2)

    response = client.post(f"/training/messages/{only.id}/dismiss?from=ayer&intent=ask_where")

    assert response.headers["Location"].endswith(f"/training/messages/{other.id}")


def a_message_that_goes_to(test_set: bool) -> str:
    """A citizen's words on the chosen side of the one-in-five split."""
    return next(
        text
        for n in range(100)
        if nlu_data.held_out(nlu_data.Example(text := f"cuanto cuesta la beca {n} veces", ""))
        is test_set
    )


@pytest.mark.parametrize(
    "test_set, shown, flashed",
    [
        (True, "Irá al conjunto de prueba.", "mide al asistente y no se le enseña"),
        (False, "Irá a los datos de entrenamiento.", "el asistente lo aprenderá"),
    ],
)
def test_the_trainer_knows_before_confirming_whether_a_message_teaches_or_measures(
    client, trainer, root, db, make_message, test_set, shown, flashed
):
    message = make_message(body=a_message_that_goes_to(test_set), intent="greet", confidence=0.2)

    page = client.get(f"/training/messages/{message.id}").get_data(as_text=True)
    response = client.post(
        f"/training/messages/{message.id}/confirm",
        data={"intent": "ask_cost", "procedure": ""},
        follow_redirects=True,
    )

    assert shown in page
    assert flashed in response.get_data(as_text=True)
    assert review_of(db, message).destination == (r.TEST if test_set else r.TRAINING)


def test_a_reviewed_message_no_longer_says_where_it_will_go(client, trainer, root, make_message):
    message = make_message(body=a_message_that_goes_to(False), intent="greet", confidence=0.2)
    client.post(f"/training/messages/{message.id}/confirm", data={"intent": "ask_cost"})

    page = client.get(f"/training/messages/{message.id}").get_data(as_text=True)

    assert "Irá a los datos" not in page and "Confirmado como «ask_cost»." in page
