"""Property tests: whatever arrives at the desk's doors, the answer is a 4xx or the normal
one, never a 5xx, and nothing is stored unless Twilio signed it.

Deterministic (derandomized, no example database) and bounded; like every desk test they
run on SQLite and on PostgreSQL, where text with NUL characters, over-long values and
out-of-range integers fail in the database rather than in Python.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from desk.db import Base
from desk.models import Message
from desk.models import message as m
from tests.desk.channels.test_twilio_webhooks import (
    INBOUND_URL,
    STATUS_URL,
    post_signed,
    whatsapp_params,
)
from tests.desk.conftest import AUTH_TOKEN

TOKEN = {"Authorization": "Bearer test-desk-api-token"}


def fuzz(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        derandomize=True,  # the same examples on every run, on both databases
        database=None,  # nothing remembered between runs, nothing written to disk
        deadline=None,  # PostgreSQL on a shared machine: time is not the property
        suppress_health_check=[HealthCheck.too_slow],
    )


def row_counts(db) -> dict[str, int]:
    """Rows in every table: "nothing stored" means none of these moved."""
    return {
        table.name: db.scalar(sa.select(sa.func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


# --- what Twilio posts ------------------------------------------------------------------

TWILIO_FIELDS = [
    "MessageSid",
    "SmsSid",
    "AccountSid",
    "From",
    "To",
    "Body",
    "NumMedia",
    "MediaUrl0",
    "MediaContentType0",
    "MediaUrl1",
    "MediaUrl9",
    "MediaUrl10",
    "ProfileName",
    "WaId",
    "MessageStatus",
    "SmsStatus",
    "ErrorCode",
    "ErrorMessage",
]
TRICKY_VALUES = [
    "",
    " ",
    "0",
    "2",
    "10",
    "11",
    "-1",
    "1.5",
    "٣",
    "9" * 30,
    "\x00",
    "SM\x00",
    "a" * 65,
    "a" * 121,
    "https://api.twilio.com/m/ME1",
    "HTTPS://api.twilio.com/m/ME2",
    "http://api.twilio.com/m/ME3",
    "javascript:alert(1)",
    "https://",
    "whatsapp:+5215512345678",
    "+5215512345678",
    "CAB-2026-99999999999999999999",
    "queued",
    "delivered",
    "failed",
    "undelivered",
    "30008",
    "21610",
    "3" * 17,
]
NAMES = st.one_of(st.sampled_from(TWILIO_FIELDS), st.text(min_size=1, max_size=12))
VALUES = st.one_of(st.sampled_from(TRICKY_VALUES), st.text(max_size=40))
FORMS = st.dictionaries(NAMES, VALUES, max_size=10)
# Forged: signed with another token, or signed for other fields, or just made up.
FORGERIES = st.one_of(
    st.none(),
    st.just(""),
    st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=40),
    st.just("wrong-token"),
    st.just("other-params"),
)


def forged_headers(url: str, params: dict[str, str], forgery: str | None) -> dict[str, str]:
    if forgery is None:
        return {}
    if forgery == "wrong-token":
        forgery = RequestValidator("not-our-token").compute_signature(url, params)
    elif forgery == "other-params":
        forgery = RequestValidator(AUTH_TOKEN).compute_signature(url, params | {"Extra": "1"})
    return {"X-Twilio-Signature": forgery}


def test_signed_inbound_webhooks_are_stored_or_refused_never_a_500(client, db):
    sids = itertools.count()
    outcomes: Counter[str] = Counter()

    @fuzz(max_examples=150)
    @given(
        overrides=FORMS,
        dropped=st.sets(st.sampled_from(["MessageSid", "From", "To", "NumMedia", "Body"])),
    )
    def check(overrides: dict[str, str], dropped: set[str]) -> None:
        # A real webhook with some fields replaced, added or taken away.
        params = whatsapp_params(MessageSid=f"SMfuzz{next(sids)}") | overrides
        for name in dropped:
            params.pop(name, None)
        before = row_counts(db)

        response = post_signed(client, INBOUND_URL, params)

        assert response.status_code in (200, 400), response.get_data(as_text=True)
        if response.status_code == 400:
            assert response.get_json()["message"]
            assert row_counts(db) == before
            outcomes["refused"] += 1
            return
        assert db.scalars(sa.select(Message).filter_by(provider_sid=params["MessageSid"])).one()
        if row_counts(db)["messages"] == before["messages"] + 1:
            outcomes["stored"] += 1

    check()

    # The property is about the storing code: many signed examples must get there.
    assert outcomes["stored"] >= 35, outcomes
    assert outcomes["refused"] >= 35, outcomes


@pytest.mark.parametrize("path", ["/channels/twilio/inbound", "/channels/twilio/status"])
def test_unsigned_or_forged_webhooks_are_refused_and_store_nothing(client, db, path):
    url = f"https://desk.example.test{path}"

    @fuzz(max_examples=60)
    @given(
        params=st.one_of(FORMS, FORMS.map(lambda extra: whatsapp_params() | extra)),
        forgery=FORGERIES,
    )
    def check(params: dict[str, str], forgery: str | None) -> None:
        before = row_counts(db)

        response = client.post(path, data=params, headers=forged_headers(url, params, forgery))

        assert response.status_code == 403, response.get_data(as_text=True)
        assert row_counts(db) == before

    check()


def test_signed_status_callbacks_apply_or_are_refused_never_a_500(client, db, make_message):
    sent = make_message(
        direction=m.OUTBOUND, provider_sid="SMout-fuzz", delivery_status="queued", status=m.DONE
    )
    outcomes: Counter[int] = Counter()
    statuses = [*m.DELIVERY_ORDER, *m.DELIVERY_FAILED]

    @fuzz(max_examples=100)
    @given(
        base=st.fixed_dictionaries(
            {
                "MessageSid": st.one_of(st.just("SMout-fuzz"), VALUES),
                "MessageStatus": st.one_of(st.sampled_from(statuses), VALUES),
            },
            optional={
                "ErrorCode": st.one_of(st.sampled_from(["30008", "21610", ""]), VALUES),
                "ErrorMessage": VALUES,
            },
        ),
        extra=FORMS,
    )
    def check(base: dict[str, str], extra: dict[str, str]) -> None:
        params = extra | base
        before = (row_counts(db), sent.delivery_status, sent.error_code)

        response = post_signed(client, STATUS_URL, params)

        assert response.status_code in (204, 400), response.get_data(as_text=True)
        db.refresh(sent)
        if response.status_code == 400:
            assert (row_counts(db), sent.delivery_status, sent.error_code) == before
        outcomes[response.status_code] += 1

    check()

    assert outcomes[204] >= 20 and outcomes[400] >= 20, outcomes


# --- what the action server posts -------------------------------------------------------

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    # Lone surrogates and NUL: valid JSON, text no database stores.
    st.text(st.characters(categories=["Cs", "Cc"]), min_size=1, max_size=3),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
FOLIOS = st.one_of(
    st.from_regex(r"\A(CAB|cab)-[0-9]{4}-[0-9]{1,30}\Z"),
    st.sampled_from(["CAB-2026-99999999999999999999", "CAB-2026-2147483648"]),
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/merge-patch+json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        None,
    ]
)
CREDENTIALS = st.sampled_from(
    [TOKEN, {}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dGVzdA=="}]
)


def api_routes(app) -> list[str]:
    """Every /api/v1 route there is, so a new one is covered without touching this test."""
    return sorted(
        {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    )


def test_the_api_answers_anything_with_a_4xx_or_its_normal_answer_never_a_500(
    app, client, db, make_conversation, make_case
):
    case = make_case(make_conversation(citizen_address="whatsapp:+5215512345678"))
    known = {"conversation": case.conversation.key, "folio": case.folio}
    routes = api_routes(app)
    assert "/api/v1/cases/lookup" in routes
    outcomes: Counter[str] = Counter()

    fields = {
        "conversation": st.one_of(st.just(known["conversation"]), JSON_VALUES),
        "folio": st.one_of(st.just(known["folio"]), FOLIOS, JSON_VALUES),
        "reason": st.one_of(
            st.sampled_from(["citizen_request", "complaint", "bored"]), JSON_VALUES
        ),
        "topic": JSON_VALUES,
    }
    objects = st.builds(
        lambda extra, given: extra | given,
        st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=3),
        st.fixed_dictionaries({}, optional=fields),
    )
    bodies = st.one_of(
        objects.map(lambda o: json.dumps(o).encode()),
        st.fixed_dictionaries(
            {"conversation": st.just(known["conversation"])},
            optional={name: fields[name] for name in ("folio", "reason", "topic")},
        ).map(lambda o: json.dumps(o).encode()),
        JSON_VALUES.map(lambda o: json.dumps(o).encode()),
        st.binary(max_size=60),
        st.sampled_from([b"", b"{", b"[" * 5000, b'{"conversation": "k"' + b" " * 10]),
    )

    @fuzz(max_examples=200)
    @given(
        route=st.sampled_from(routes),
        method=st.sampled_from(["POST"] * 8 + ["GET", "PUT"]),
        body=bodies,
        content_type=st.one_of(st.just("application/json"), CONTENT_TYPES),
        credentials=CREDENTIALS,
    )
    def check(
        route: str, method: str, body: bytes, content_type: str | None, credentials: dict[str, Any]
    ) -> None:
        before = row_counts(db)

        response = client.open(
            route, method=method, data=body, content_type=content_type, headers=credentials
        )

        status = response.status_code
        assert status < 500, response.get_data(as_text=True)
        if credentials != TOKEN:
            assert status in (401, 405)
        if status >= 400:
            assert response.get_json()["message"]
            assert row_counts(db) == before
        outcomes["ok" if status < 300 else str(status)] += 1

    check()

    # Both the answers and the refusals were reached.
    assert outcomes["ok"] >= 5 and outcomes["400"] >= 20 and outcomes["401"] >= 20, outcomes
