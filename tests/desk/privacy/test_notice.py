"""The public notice tells citizens how long their messages stay and how to get a copy
or have them erased."""

from __future__ import annotations

from desk.services import settings


def test_the_notice_says_how_long_messages_are_kept_as_the_admins_set_it(client, db):
    settings.put(db, "retention_days", 90)
    db.commit()

    page = client.get("/privacidad").get_data(as_text=True)

    assert "90 días" in page and "90 days" in page


def test_the_notice_says_what_a_copy_and_an_erasure_cover(client):
    text = " ".join(client.get("/privacidad").get_data(as_text=True).split())

    assert "te entregamos todo lo que guardamos de tu número" in text
    assert "el asistente olvida la conversación" in text
