"""The fault matrix: the real stack (Rasa, action server, desk, worker) meets the
faults production brings, one test each, and the citizen's phone says how it went:
every message answered, no reply twice, later messages not held back.

Twilio is the stand-in (tests/support/twilio_standin.py) and Rasa sits behind a proxy
that can fail on purpose (tests/support/rasa_proxy.py). Timeouts and the worker's lease
are short here so that faults resolve in seconds; the code paths are the same.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest
import sqlalchemy as sa

from tests.e2e.stack import Stack
from tests.support.postgres import temporary_schema, unreachable_reason
from tests.support.twilio_standin import Fault

pytestmark = pytest.mark.e2e

FAST = {
    "TWILIO_TIMEOUT_SECONDS": "1",
    "RASA_TIMEOUT_SECONDS": "2",
    "WORKER_LEASE_SECONDS": "6",
    "WORKER_POLL_SECONDS": "0.5",
    # Longer than Rasa takes to load its model again (minutes, on a busy machine): here
    # the citizen must get the answer, not the apology (routing tests cover that one).
    "BOT_GIVE_UP_SECONDS": "900",
}
QUESTION = "cuanto cuesta el pasaporte"
ANSWER = "$4,280"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def faulty(request, tmp_path_factory):
    # Not "postgresql" in the folder's name: Rasa takes any URL containing it for one.
    folder = tmp_path_factory.mktemp(f"faults-{request.param[:2]}")
    if request.param == "sqlite":
        stack = Stack(folder, proxy=True, desk_env=FAST).start()
        yield stack
        stack.stop()
        return
    reason = unreachable_reason()
    if reason:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with temporary_schema("faults") as url, temporary_schema("faults_rasa") as tracker:
        stack = Stack(
            folder, database_url=url, tracker_url=tracker, proxy=True, desk_env=FAST
        ).start()
        yield stack
        stack.stop()


class Phones:
    def __init__(self) -> None:
        self.next = 0

    def __call__(self) -> str:
        self.next += 1
        return f"+52155{int(time.time() * 1000) % 10**5:05d}{self.next:03d}"


new_phone = Phones()


def settled(stack: Stack, phone: str) -> bool:
    """Everything the citizen's messages caused is finished, sent or failed."""
    engine = sa.create_engine(stack.database_url)
    try:
        with engine.connect() as connection:
            waiting = connection.execute(
                sa.text(
                    "SELECT count(*) FROM messages JOIN conversations c "
                    "ON c.id = messages.conversation_id WHERE c.phone = :phone "
                    "AND messages.status IN ('pending', 'processing')"
                ),
                {"phone": phone},
            ).scalar_one()
        return waiting == 0
    finally:
        engine.dispose()


def replies(stack: Stack, phone: str, containing: str = "") -> list[str]:
    return [r.body for r in stack.replies_to(phone) if containing in r.body]


def ask(stack: Stack, phone: str, text: str = QUESTION) -> None:
    assert stack.citizen_says(phone, text).status_code == 200


def answered_once(stack: Stack, phone: str, containing: str = ANSWER, seconds: float = 120):
    stack.wait_for(lambda: replies(stack, phone, containing), f"{containing!r} to {phone}", seconds)
    stack.wait_for(lambda: settled(stack, phone), f"{phone} settled", seconds)
    time.sleep(1)  # a duplicate would arrive now
    assert len(replies(stack, phone, containing)) == 1, replies(stack, phone)
    assert len(replies(stack, phone, "Aviso de privacidad")) == 1


def test_twilio_accepts_then_times_out_and_the_citizen_still_gets_one_copy(faulty):
    phone = new_phone()
    faulty.standin.fault(Fault("accept_then_hang", seconds=2.5))

    ask(faulty, phone)

    answered_once(faulty, phone)


def test_twilio_accepts_then_answers_500_and_the_citizen_gets_one_copy(faulty):
    phone = new_phone()
    faulty.standin.fault(Fault("accept_then_500"))

    ask(faulty, phone)

    answered_once(faulty, phone)


def test_a_storm_of_429s_delays_the_answer_but_loses_nothing(faulty):
    phone = new_phone()
    faulty.standin.fault(Fault("reject", status=429, code=20429, message="Too Many Requests"), 3)

    ask(faulty, phone)

    answered_once(faulty, phone)


def test_a_slow_twilio_does_not_hold_back_other_citizens(faulty):
    slow, other = new_phone(), new_phone()
    faulty.standin.fault(Fault("slow", seconds=0.8))

    ask(faulty, slow)
    ask(faulty, other, "requisitos del pasaporte")

    answered_once(faulty, slow)
    answered_once(faulty, other, "requisitos")


def test_rasa_failing_on_one_message_is_retried_and_answered_once(faulty):
    phone = new_phone()
    faulty.rasa_proxy.fault("error")

    ask(faulty, phone)

    answered_once(faulty, phone)
    turns = faulty.rasa_proxy.turns(conversation_key(faulty, phone))
    assert len(turns) == 2 and turns[0]["body"]["message_id"] == turns[1]["body"]["message_id"]


def test_a_turn_rasa_finished_after_the_desk_gave_up_is_not_run_twice(faulty):
    """The handoff ran in Rasa (a case, a folio); the answer came too late. The retry
    carries the same message id, and Rasa gives the same answer without a second turn."""
    phone = new_phone()
    faulty.rasa_proxy.fault("late", 3.5)

    ask(faulty, phone, "quiero hablar con un agente")

    answered_once(faulty, phone, "folio")
    assert replies(faulty, phone, "no puedo responderte") == []  # no apology on top
    assert cases_of(faulty, phone) == [("new", "citizen_request")]


def test_rasa_down_then_back_answers_the_waiting_citizen_once(faulty):
    phone = new_phone()
    faulty.kill("rasa")
    try:
        ask(faulty, phone)
        time.sleep(4)  # tried and failed at least once
        assert replies(faulty, phone) == []
    finally:
        faulty.respawn("rasa")

    answered_once(faulty, phone, seconds=600)


def test_a_poison_message_goes_to_a_person_and_the_next_ones_flow(faulty):
    phone = new_phone()
    faulty.rasa_proxy.fault("malformed")

    ask(faulty, phone, "hola")
    stack_folio = faulty.wait_for(
        lambda: replies(faulty, phone, "folio"), "the apology with a folio"
    )
    ask(faulty, phone, "sigo aqui")

    faulty.wait_for(lambda: settled(faulty, phone), "the next message handled")
    assert cases_of(faulty, phone) == [("new", "system_error")]
    assert "folio" in stack_folio[0]
    assert statuses_of(faulty, phone) == ["failed", "done"]


def test_a_worker_killed_mid_send_does_not_send_twice_after_restarting(faulty):
    phone = new_phone()
    faulty.standin.fault(Fault("accept_then_hang", seconds=5))
    before = len(faulty.standin.sent)

    ask(faulty, phone)
    faulty.wait_for(lambda: len(faulty.standin.sent) > before, "the send to reach Twilio", 60)
    faulty.kill("worker")
    faulty.respawn("worker")

    answered_once(faulty, phone)


def test_a_worker_killed_mid_turn_does_not_run_the_turn_twice_after_restarting(faulty):
    phone = new_phone()
    faulty.rasa_proxy.fault("late", 4)

    ask(faulty, phone, "quiero hablar con un agente")
    faulty.wait_for(lambda: turns_for(faulty, phone), "the turn to reach Rasa", 60)
    faulty.kill("worker")
    faulty.respawn("worker")

    answered_once(faulty, phone, "folio")
    assert cases_of(faulty, phone) == [("new", "citizen_request")]


def test_postgresql_restarting_mid_run_loses_and_doubles_nothing(faulty):
    if not faulty.database_url.startswith("postgresql"):
        pytest.skip("the embedded default has no database server to restart")
    cluster = shutil.which("pg_ctlcluster")
    if cluster is None or os.geteuid() != 0:
        pytest.skip("restarting PostgreSQL needs pg_ctlcluster and root on this machine")
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    before, during, after = new_phone(), new_phone(), new_phone()

    ask(faulty, before)
    subprocess.run(
        [cluster, "--skip-systemctl-redirect", version, "main", "stop", "--mode", "fast"],
        check=True,
    )
    try:
        ask(faulty, during)  # the webhook answers: the message waits in the spool
    finally:
        subprocess.run([cluster, "--skip-systemctl-redirect", version, "main", "start"], check=True)
    ask(faulty, after)

    for phone in (before, during, after):
        answered_once(faulty, phone, seconds=180)


# --- reading the desk's database ---------------------------------------------------------


def _query(stack: Stack, sql: str, phone: str) -> list[tuple]:
    engine = sa.create_engine(stack.database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql), {"phone": phone})]
    finally:
        engine.dispose()


def conversation_key(stack: Stack, phone: str) -> str:
    [(key,)] = _query(stack, "SELECT key FROM conversations WHERE phone = :phone", phone)
    return key


def turns_for(stack: Stack, phone: str) -> list:
    keys = _query(stack, "SELECT key FROM conversations WHERE phone = :phone", phone)
    return stack.rasa_proxy.turns(keys[0][0]) if keys else []


def cases_of(stack: Stack, phone: str) -> list[tuple]:
    return _query(
        stack,
        "SELECT cases.status, cases.reason FROM cases JOIN conversations c "
        "ON c.id = cases.conversation_id WHERE c.phone = :phone ORDER BY cases.id",
        phone,
    )


def statuses_of(stack: Stack, phone: str) -> list[str]:
    return [
        status
        for (status,) in _query(
            stack,
            "SELECT messages.status FROM messages JOIN conversations c "
            "ON c.id = messages.conversation_id WHERE c.phone = :phone "
            "AND messages.direction = 'inbound' ORDER BY messages.id",
            phone,
        )
    ]
