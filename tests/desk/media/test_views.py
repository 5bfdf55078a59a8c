"""Agents see attachments through the desk: only those who work cases, with the type
that was checked, and never a Twilio address in the page."""

from __future__ import annotations

import re

import pytest

from desk.models.agent import SUPERVISOR, TRAINER
from tests.desk.media.conftest import JPEG, OGG, PDF

TWILIO_URL = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"


def sign_in(client, agent):
    response = client.post("/login", data={"email": agent.email, "password": "contraseña-segura"})
    assert response.status_code == 302


def test_an_agent_gets_the_stored_image_with_its_checked_type(
    client, logged_in, make_message, stored_media
):
    row = stored_media(make_message(), JPEG)

    with client.get(f"/media/{row.id}") as response:
        response.make_sequence()

    assert response.status_code == 200
    assert response.data == JPEG
    assert response.mimetype == "image/jpeg"
    assert response.headers["Content-Disposition"] == f"inline; filename=adjunto-{row.id}.jpg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.cache_control.private and response.cache_control.no_cache
    assert not response.cache_control.public


def test_a_pdf_opens_in_the_browser_and_audio_is_a_download(
    client, logged_in, make_message, stored_media
):
    pdf = stored_media(make_message(), PDF, "application/pdf")
    audio = stored_media(make_message(), OGG, "audio/ogg")

    with client.get(f"/media/{pdf.id}") as pdf_response:
        pass
    with client.get(f"/media/{audio.id}") as audio_response:
        pass

    assert pdf_response.headers["Content-Disposition"].startswith("inline;")
    assert audio_response.headers["Content-Disposition"] == (
        f"attachment; filename=adjunto-{audio.id}.ogg"
    )
    assert audio_response.mimetype == "audio/ogg"


def test_supervisors_work_cases_too(client, make_agent, make_message, stored_media):
    row = stored_media(make_message())
    sign_in(client, make_agent(role=SUPERVISOR))

    with client.get(f"/media/{row.id}") as response:
        assert response.status_code == 200


def test_a_trainer_may_not_see_citizens_files(client, make_agent, make_message, stored_media):
    row = stored_media(make_message())
    sign_in(client, make_agent(role=TRAINER))

    response = client.get(f"/media/{row.id}")

    assert response.status_code == 403
    assert JPEG not in response.data


def test_without_signing_in_the_file_is_not_served(client, make_message, stored_media):
    row = stored_media(make_message())

    response = client.get(f"/media/{row.id}")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_an_attachment_not_fetched_or_erased_is_not_found(
    db, client, logged_in, make_message, stored_media, media_folder
):
    from desk.media import storage

    message = make_message()
    erased = stored_media(message)
    storage.erase_message_media(db, message)
    db.commit()
    vanished = stored_media(make_message())
    (media_folder / vanished.path).unlink()

    for media_id in (erased.id, vanished.id, 999_999):
        assert client.get(f"/media/{media_id}").status_code == 404


def test_the_transcript_shows_a_thumbnail_from_the_desk_never_a_twilio_url(
    db, client, logged_in, make_conversation, make_message, make_case, stored_media
):
    conversation = make_conversation()
    message = make_message(conversation, body="mi INE")
    row = stored_media(message, JPEG)
    # The message as the webhook stored it: Twilio's address beside the desk's copy.
    message.media = [{"url": TWILIO_URL, "content_type": "image/jpeg"}]
    db.commit()
    case = make_case(conversation)

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    image = re.search(r"<img [^>]*>", page)
    assert image is not None
    assert f'src="/media/{row.id}"' in image.group()
    assert 'alt="Imagen enviada por el ciudadano"' in image.group()
    assert 'loading="lazy"' in image.group()
    assert "twilio" not in page.lower()


def test_the_transcript_links_a_pdf(db, client, logged_in, make_message, make_case, stored_media):
    message = make_message()
    row = stored_media(message, PDF, "application/pdf")
    case = make_case(message.conversation)

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert f'href="/media/{row.id}"' in page
    assert "Documento PDF" in page
    assert "<img" not in page


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (None, "Adjunto pendiente de descarga"),
        ("retry 1 2030-01-01T00:00:00+00:00: http: 503", "Adjunto pendiente de descarga"),
        ("too_large: 20000000 bytes", "Adjunto no disponible (archivo demasiado grande)"),
        ("mismatch: image/jpeg", "Adjunto no disponible (el contenido no corresponde a su tipo)"),
        ("erased", "Adjunto no disponible (borrado por solicitud de privacidad)"),
    ],
)
def test_the_transcript_says_when_an_attachment_is_not_there(
    db, client, logged_in, make_message, make_case, error, shown
):
    from desk.models import MediaFile

    message = make_message(media=[{"url": TWILIO_URL, "content_type": "image/jpeg"}])
    db.add(MediaFile(message_id=message.id, position=0, content_type="image/jpeg", error=error))
    db.commit()
    case = make_case(message.conversation)

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert shown in page
    assert "<img" not in page
    assert "twilio" not in page.lower()


def test_an_attachment_not_yet_seen_by_the_fetcher_is_pending(
    app, client, logged_in, make_message, make_case
):
    app.config["TWILIO_SANDBOX"] = False
    message = make_message(media=[{"url": TWILIO_URL, "content_type": "image/jpeg"}])
    case = make_case(message.conversation)

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert "Adjunto pendiente de descarga" in page
    assert "twilio" not in page.lower()
