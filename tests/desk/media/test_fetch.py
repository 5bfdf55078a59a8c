"""Copying attachments from Twilio: credentials to Twilio only, checked types, a size cap,
retries for what may pass, and no database transaction held while a file downloads."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from desk.db import utcnow
from desk.media import fetch, storage
from desk.models import MediaFile
from tests.desk.media.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    JPEG,
    OGG,
    PDF,
    PNG,
    Answer,
    files_in,
)

BASIC = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()


def rows_of(db, message):
    return list(
        db.scalars(
            sa.select(MediaFile)
            .where(MediaFile.message_id == message.id)
            .order_by(MediaFile.position)
            .execution_options(populate_existing=True)
        )
    )


def only_row(db, message):
    (row,) = rows_of(db, message)
    return row


def test_an_image_is_copied_from_twilio_with_the_accounts_credentials(
    db, twilio, twilio_config, twilio_media, make_message, media_folder
):
    message = make_message(media=[{"url": twilio_media(JPEG), "content_type": "image/jpeg"}])

    stored = fetch.fetch_pending(db, twilio_config)

    row = only_row(db, message)
    assert stored == 1
    assert (row.content_type, row.size, row.error) == ("image/jpeg", len(JPEG), None)
    assert row.fetched_at is not None
    assert (media_folder / row.path).read_bytes() == JPEG
    assert [r["auth"] for r in twilio.media_requests] == [BASIC]


def test_wrong_credentials_leave_an_error_and_no_file(
    db, twilio_config, twilio_media, make_message, media_folder
):
    message = make_message(media=[{"url": twilio_media(), "content_type": "image/jpeg"}])
    twilio_config["TWILIO_AUTH_TOKEN"] = "not-the-token"

    fetch.fetch_pending(db, twilio_config)

    row = only_row(db, message)
    assert (row.path, row.error) == (None, "http: 401")
    assert files_in(media_folder) == []


def test_a_redirect_to_the_cdn_follows_without_the_credentials(
    db, twilio, cdn, twilio_config, twilio_media, make_message, media_folder
):
    cdn.answers = [Answer(content_type="image/png", body=PNG)]
    url = twilio_media(redirect_to=cdn.url + "/signed/photo")
    message = make_message(media=[{"url": url, "content_type": "image/png"}])

    fetch.fetch_pending(db, twilio_config)

    row = only_row(db, message)
    assert (media_folder / row.path).read_bytes() == PNG
    assert row.path.endswith(".png")
    assert [r["auth"] for r in twilio.media_requests] == [BASIC]
    # The CDN is another host: it gets the file request and nothing of the account.
    assert cdn.requests == [{"path": "/signed/photo", "auth": None}]


def test_a_link_outside_twilio_is_never_requested(
    db, cdn, twilio_config, make_message, media_folder
):
    # Only Twilio's signed webhook stores links, but a link elsewhere would make the
    # worker fetch (and agents see) whatever is there.
    message = make_message(media=[{"url": cdn.url + "/photo.jpg", "content_type": "image/jpeg"}])

    fetch.fetch_pending(db, twilio_config)

    assert only_row(db, message).error.startswith("not_twilio")
    assert cdn.requests == []


def test_a_type_outside_the_allowlist_is_refused_before_any_download(
    db, twilio, twilio_config, twilio_media, make_message
):
    url = twilio_media(b"BEGIN:VCARD", "text/vcard")
    message = make_message(media=[{"url": url, "content_type": "text/vcard"}])

    fetch.fetch_pending(db, twilio_config)

    assert only_row(db, message).error == "type: text/vcard"
    assert twilio.media_requests == []


def test_twilio_answering_a_type_outside_the_allowlist_is_an_error(
    db, twilio_config, twilio_media, make_message, media_folder
):
    url = twilio_media(b"<html><script>alert(1)</script>", "text/html")
    message = make_message(media=[{"url": url, "content_type": "image/jpeg"}])

    fetch.fetch_pending(db, twilio_config)

    row = only_row(db, message)
    assert (row.path, row.error) == (None, "type: text/html")
    assert files_in(media_folder) == []


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("image/jpeg", b"<html><script>alert(1)</script></html>"),
        ("image/png", JPEG),
        ("application/pdf", b"<svg onload=alert(1)>" + bytes(64)),
        ("audio/ogg", b"MZ\x90\x00" + bytes(64)),
    ],
)
def test_content_that_is_not_what_its_type_says_is_an_error_not_a_file(
    db, twilio_config, twilio_media, make_message, media_folder, content_type, data
):
    url = twilio_media(data, content_type)
    message = make_message(media=[{"url": url, "content_type": content_type}])

    fetch.fetch_pending(db, twilio_config)

    row = only_row(db, message)
    assert row.path is None
    assert row.error.startswith("mismatch")
    assert files_in(media_folder) == []


@pytest.mark.parametrize(
    ("content_type", "data"),
    [("application/pdf", PDF), ("audio/ogg", OGG), ("image/png", PNG)],
)
def test_each_allowed_type_is_kept_when_its_bytes_agree(
    db, twilio_config, twilio_media, make_message, media_folder, content_type, data
):
    url = twilio_media(data, content_type)
    message = make_message(media=[{"url": url, "content_type": content_type}])

    fetch.fetch_pending(db, twilio_config)

    row = only_row(db, message)
    assert row.content_type == content_type
    assert (media_folder / row.path).read_bytes() == data


def test_a_file_over_the_size_cap_is_refused_and_leaves_nothing_on_disk(
    db, twilio_config, twilio_media, make_message, media_folder
):
    twilio_config["MEDIA_MAX_BYTES"] = 1000
    data = JPEG + bytes(5000)
    message = make_message(media=[{"url": twilio_media(data), "content_type": "image/jpeg"}])

    fetch.fetch_pending(db, twilio_config)

    row = only_row(db, message)
    assert (row.path, row.error) == (None, f"too_large: {len(data)} bytes")
    assert files_in(media_folder) == []


def test_the_size_cap_holds_for_a_file_sent_without_its_length(
    db, cdn, twilio_config, twilio_media, make_message, media_folder
):
    # No Content-Length to refuse up front: the stream itself is cut at the cap.
    twilio_config["MEDIA_MAX_BYTES"] = 100_000
    cdn.answers = [Answer(body=JPEG + bytes(300_000), content_length=False)]
    url = twilio_media(redirect_to=cdn.url + "/big")
    message = make_message(media=[{"url": url, "content_type": "image/jpeg"}])

    fetch.fetch_pending(db, twilio_config)

    row = only_row(db, message)
    assert (row.path, row.error) == (None, "too_large: over 100000 bytes")
    assert files_in(media_folder) == []


def test_a_transient_failure_is_retried_later_not_at_once(
    db, cdn, twilio_config, twilio_media, make_message, media_folder
):
    cdn.answers = [Answer(status=503, body=b"busy"), Answer()]
    message = make_message(
        media=[{"url": twilio_media(redirect_to=cdn.url + "/p"), "content_type": "image/jpeg"}]
    )

    fetch.fetch_pending(db, twilio_config)
    first = only_row(db, message).error
    fetch.fetch_pending(db, twilio_config)  # the worker's next round, seconds later
    asked_before_the_delay = len(cdn.requests)
    after_waiting = fetch.fetch_pending(db, twilio_config, now=utcnow() + timedelta(minutes=1))

    assert first.startswith("retry 1 ") and first.endswith(": http: 503")
    assert asked_before_the_delay == 1
    assert after_waiting == 1
    row = only_row(db, message)
    assert (row.error, (media_folder / row.path).read_bytes()) == (None, JPEG)


def test_transient_failures_give_up_after_the_last_attempt(
    db, cdn, twilio_config, twilio_media, make_message
):
    cdn.answers = [Answer(status=502, body=b"bad gateway")]
    message = make_message(
        media=[{"url": twilio_media(redirect_to=cdn.url + "/p"), "content_type": "image/jpeg"}]
    )

    for hours in range(5):
        fetch.fetch_pending(db, twilio_config, now=utcnow() + timedelta(hours=hours))

    assert only_row(db, message).error == "unreachable: http: 502"
    assert len(cdn.requests) == fetch.MAX_ATTEMPTS


def test_an_unreachable_twilio_is_a_transient_failure(db, twilio_config, make_message):
    # Nothing listens there: refused at once, as during a network outage.
    twilio_config["TWILIO_API_BASE_URL"] = "http://127.0.0.1:9"
    message = make_message(
        media=[{"url": "https://api.twilio.com/2010-04-01/x", "content_type": "image/jpeg"}]
    )

    fetch.fetch_pending(db, twilio_config)

    assert only_row(db, message).error.endswith(": unreachable: ConnectionError")


def test_the_sandbox_fetches_nothing_and_says_why(db, app, twilio, twilio_media, make_message):
    message = make_message(media=[{"url": twilio_media(), "content_type": "image/jpeg"}])
    assert app.config["TWILIO_SANDBOX"]

    fetch.fetch_pending(db, app.config)

    assert only_row(db, message).error == "sandbox"
    assert twilio.media_requests == []


def test_every_attachment_gets_a_row_even_a_dropped_link(
    db, twilio_config, twilio_media, make_message
):
    message = make_message(
        media=[
            {"dropped": "scheme", "content_type": "image/jpeg"},
            {"url": twilio_media(PDF, "application/pdf"), "content_type": "application/pdf"},
        ]
    )

    fetch.fetch_pending(db, twilio_config)

    dropped, pdf = rows_of(db, message)
    assert (dropped.position, dropped.path, dropped.error) == (0, None, "dropped: scheme")
    assert (pdf.position, pdf.content_type, pdf.error) == (1, "application/pdf", None)


def test_outbound_messages_and_messages_without_media_get_no_rows(db, twilio_config, make_message):
    make_message(body="sin adjuntos")
    make_message(
        direction="outbound",
        media=[{"url": "https://api.twilio.com/x", "content_type": "image/jpeg"}],
    )

    fetch.fetch_pending(db, twilio_config)

    assert db.scalar(sa.select(sa.func.count()).select_from(MediaFile)) == 0


def test_no_database_transaction_is_open_while_a_file_downloads(
    db, twilio_config, twilio_media, make_message
):
    make_message(media=[{"url": twilio_media(), "content_type": "image/jpeg"}])
    open_during_download = []

    class Watching(requests.Session):
        def get(self, *args, **kwargs):
            open_during_download.append(db.in_transaction())
            return super().get(*args, **kwargs)

    with Watching() as http:
        assert fetch.fetch_pending(db, twilio_config, http=http) == 1

    assert open_during_download == [False]


def test_an_erase_during_the_download_wins(
    db, twilio_config, twilio_media, make_message, media_folder
):
    message = make_message(media=[{"url": twilio_media(), "content_type": "image/jpeg"}])

    class ErasedMeanwhile(requests.Session):
        def get(self, *args, **kwargs):
            # What another process's privacy erase does while the bytes travel.
            storage.erase_message_media(db, message)
            db.commit()
            return super().get(*args, **kwargs)

    with ErasedMeanwhile() as http:
        stored = fetch.fetch_pending(db, twilio_config, http=http)

    row = only_row(db, message)
    assert stored == 0
    assert (row.path, row.error) == (None, "erased")
    assert files_in(media_folder) == []


def test_a_file_another_worker_is_fetching_is_left_to_it(
    db, twilio, twilio_config, twilio_media, make_message
):
    message = make_message(media=[{"url": twilio_media(), "content_type": "image/jpeg"}])
    fetch.fetch_pending(db, twilio_config, limit=0)  # creates the row only
    row = only_row(db, message)
    held = f"fetching 1 {(utcnow() + timedelta(minutes=1)).isoformat()} abcd"
    row.error = held
    db.commit()

    fetch.fetch_pending(db, twilio_config)
    assert only_row(db, message).error == held
    assert twilio.media_requests == []

    # The other worker died: once its claim runs out, this one takes over.
    fetch.fetch_pending(db, twilio_config, now=utcnow() + timedelta(minutes=5))
    assert only_row(db, message).path is not None


def test_at_most_limit_files_are_fetched_per_round(db, twilio_config, twilio_media, make_message):
    for _ in range(3):
        make_message(media=[{"url": twilio_media(), "content_type": "image/jpeg"}])

    assert fetch.fetch_pending(db, twilio_config, limit=2) == 2
    assert fetch.fetch_pending(db, twilio_config, limit=2) == 1


def test_a_content_type_with_parameters_is_understood(
    db, twilio_config, twilio_media, make_message
):
    url = twilio_media(OGG, "audio/ogg; codecs=opus")
    message = make_message(media=[{"url": url, "content_type": "audio/ogg; codecs=opus"}])

    fetch.fetch_pending(db, twilio_config)

    assert only_row(db, message).content_type == "audio/ogg"
