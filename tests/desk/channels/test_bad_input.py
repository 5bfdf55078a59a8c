"""What the webhooks do with input Twilio would never send: refuse it early and clearly
(413, 403, 400), store nothing, and never answer 500."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from desk import config
from desk.models import Message, PendingStatus
from desk.models import message as m
from tests.desk.channels.test_twilio_webhooks import (
    INBOUND_URL,
    STATUS_URL,
    post_signed,
    whatsapp_params,
)
from tests.desk.conftest import AUTH_TOKEN

KIB = 1024
MB = 1024 * KIB


def stored(db) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(Message))


class ClientBody(io.RawIOBase):
    """A request body as a client streams it: ``size`` bytes of form data, of which the
    desk reads only what it asks for (counted in ``sent``)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        chunk = min(len(buffer), self.size - self.sent)
        data = (b"Body=" if self.sent == 0 else b"") + b"a" * chunk
        buffer[:chunk] = data[:chunk]
        self.sent += chunk
        return chunk


def post_streamed(client, path: str, body: ClientBody, headers: dict[str, str], **environ):
    """POST ``body`` with no Content-Length, as a WSGI server hands over a chunked request
    (the dev server and gunicorn de-chunk it and set wsgi.input_terminated)."""
    return client.post(
        path,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Transfer-Encoding": "chunked",
            **headers,
        },
        environ_overrides={"wsgi.input": body, "wsgi.input_terminated": True, **environ},
    )


# --- size: MAX_CONTENT_LENGTH -----------------------------------------------------------


def test_the_body_limit_is_64_kib_unless_set(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * KIB
    assert config.from_environ({"MAX_CONTENT_LENGTH": "131072"}) == {"MAX_CONTENT_LENGTH": 131072}


def test_a_50_mb_chunked_body_is_refused_after_reading_at_most_the_limit(app, client, db):
    body = ClientBody(50 * MB)

    response = post_streamed(
        client, "/channels/twilio/inbound", body, {"X-Twilio-Signature": "anything"}
    )

    assert response.status_code == 413
    assert "MAX_CONTENT_LENGTH" in response.get_json()["message"]
    assert 0 < body.sent <= app.config["MAX_CONTENT_LENGTH"]
    assert stored(db) == 0


@pytest.mark.parametrize("path", ["/channels/twilio/inbound", "/channels/twilio/status"])
def test_a_declared_length_past_the_limit_is_refused_before_reading_a_byte(client, db, path):
    body = ClientBody(50 * MB)

    response = client.post(
        path,
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"},
        environ_overrides={"wsgi.input": body, "CONTENT_LENGTH": str(50 * MB)},
    )

    assert response.status_code == 413
    assert body.sent == 0
    assert stored(db) == 0


def test_an_unsigned_request_is_refused_before_reading_a_byte(client, db):
    body = ClientBody(50 * MB)

    response = post_streamed(client, "/channels/twilio/inbound", body, {})

    assert response.status_code == 403
    assert response.get_json()["message"] == "missing X-Twilio-Signature"
    assert body.sent == 0


def test_a_small_chunked_webhook_is_stored_like_any_other(client, db):
    params = whatsapp_params()
    signature = RequestValidator(AUTH_TOKEN).compute_signature(INBOUND_URL, params)

    response = client.post(
        "/channels/twilio/inbound",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Transfer-Encoding": "chunked",
            "X-Twilio-Signature": signature,
        },
        environ_overrides={
            "wsgi.input": io.BytesIO(urlencode(params).encode()),
            "wsgi.input_terminated": True,
        },
    )

    assert response.status_code == 200
    assert stored(db) == 1


def test_a_signed_webhook_just_under_the_limit_is_stored(app, client, db):
    params = whatsapp_params()
    overhead = len("&".join(f"{k}={v}" for k, v in params.items()).encode()) + 200
    params["Body"] = "a" * (app.config["MAX_CONTENT_LENGTH"] - overhead)

    response = post_signed(client, INBOUND_URL, params)

    assert response.status_code == 200
    assert len(db.scalars(sa.select(Message)).one().body) == 4096  # cut, as WhatsApp does


# --- the signature ----------------------------------------------------------------------


def test_a_query_string_that_is_not_utf8_is_a_forged_signature_not_a_500(client, db):
    response = client.post(
        "/channels/twilio/inbound",
        data=whatsapp_params(),
        environ_overrides={"QUERY_STRING": "x=\xff"},  # the raw byte 0xFF, as WSGI passes it
        headers={"X-Twilio-Signature": "x"},
    )

    assert response.status_code == 403
    assert stored(db) == 0


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/json", '{"MessageSid": "SM1"}'),
        ("multipart/form-data", "--nope"),
        ("application/x-www-form-urlencoded", b"From=\xff\xfe"),
    ],
)
def test_a_body_twilio_would_not_send_fails_the_signature(client, db, content_type, body):
    response = client.post(
        "/channels/twilio/inbound",
        data=body,
        content_type=content_type,
        headers={"X-Twilio-Signature": "x"},
    )

    assert response.status_code == 403
    assert stored(db) == 0


# --- media ------------------------------------------------------------------------------


def test_only_https_media_links_are_kept_and_a_dropped_one_is_noted_without_its_url(client, db):
    params = whatsapp_params(
        NumMedia="5",
        MediaUrl0="https://api.twilio.com/m/ME1",
        MediaContentType0="image/jpeg",
        MediaUrl1="javascript:alert(1)",
        MediaContentType1="image/png",
        MediaUrl2="http://api.twilio.com/m/ME3",
        MediaContentType2="audio/ogg",
        MediaUrl3="HTTPS://API.TWILIO.COM/m/ME4",
        MediaUrl4="https://api.twilio.com/m/ME 5",
    )

    assert post_signed(client, INBOUND_URL, params).status_code == 200

    media = db.scalars(sa.select(Message)).one().media
    assert media == [
        {"url": "https://api.twilio.com/m/ME1", "content_type": "image/jpeg"},
        {"dropped": "scheme", "content_type": "image/png"},
        {"dropped": "scheme", "content_type": "audio/ogg"},
        {"url": "HTTPS://API.TWILIO.COM/m/ME4", "content_type": ""},
        {"dropped": "malformed", "content_type": ""},
    ]
    assert "javascript" not in str(media) and "http://" not in str(media)


def test_ten_media_are_kept(client, db):
    params = whatsapp_params(
        NumMedia="10", **{f"MediaUrl{i}": f"https://api.twilio.com/m/ME{i}" for i in range(11)}
    )

    assert post_signed(client, INBOUND_URL, params).status_code == 200

    assert len(db.scalars(sa.select(Message)).one().media) == 10


@pytest.mark.parametrize(
    "num_media", ["11", "-1", "1.5", "dos", " 1", "+1", "١", "1" * 5000, "0x1"]
)
def test_num_media_past_ten_or_not_a_count_is_a_bad_request(client, db, num_media):
    response = post_signed(client, INBOUND_URL, whatsapp_params(NumMedia=num_media))

    assert response.status_code == 400
    assert response.get_json()["message"].startswith(
        "NumMedia must be a whole number from 0 to 10, not "
    )
    assert stored(db) == 0


# --- fields the database could not store ------------------------------------------------


@pytest.mark.parametrize(
    "field, value, problem",
    [
        ("MessageSid", "SM" + "a" * 63, "MessageSid is longer than 64 characters"),
        ("From", "whatsapp:+52" + "1" * 60, "From is longer than 64 characters"),
        ("To", "+52" + "0" * 70, "To is longer than 64 characters"),
        ("MessageSid", "SM1\x00", "MessageSid has control characters"),
        ("From", "whatsapp:+521\n", "From has control characters"),
    ],
)
def test_an_identifier_the_database_cannot_hold_is_a_bad_request(client, db, field, value, problem):
    response = post_signed(client, INBOUND_URL, whatsapp_params(**{field: value}))

    assert response.status_code == 400
    assert response.get_json()["message"] == problem
    assert stored(db) == 0


def test_nul_characters_are_taken_out_of_the_text_and_long_names_cut(client, db):
    params = whatsapp_params(Body="ho\x00la", ProfileName="M" * 500 + "\x00")

    assert post_signed(client, INBOUND_URL, params).status_code == 200

    message = db.scalars(sa.select(Message)).one()
    assert message.body == "hola"
    assert message.conversation.profile_name == "M" * 120


# --- status callbacks -------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, problem",
    [
        ({"ErrorCode": "3" * 17}, "ErrorCode must be Twilio's numeric code (at most 16 digits)"),
        ({"ErrorCode": "30008; DROP"}, "ErrorCode must be Twilio's numeric code"),
        ({"ErrorMessage": "no\x00"}, "ErrorMessage contains a NUL character"),
        ({"MessageSid": "SMout\x00"}, "MessageSid contains a NUL character"),
    ],
)
def test_a_status_callback_the_database_could_not_take_is_a_bad_request(
    client, db, make_message, params, problem
):
    sent = make_message(
        direction=m.OUTBOUND, provider_sid="SMout", delivery_status="sent", status=m.DONE
    )
    callback = {"MessageSid": "SMout", "MessageStatus": "failed", "ErrorCode": "30008"} | params

    response = post_signed(client, STATUS_URL, callback)

    assert response.status_code == 400
    assert response.get_json()["message"].startswith(problem)
    db.refresh(sent)
    assert (sent.delivery_status, sent.error_code) == ("sent", None)
    assert db.scalar(sa.select(sa.func.count()).select_from(PendingStatus)) == 0
