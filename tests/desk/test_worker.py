"""The worker drains both queues: citizens' messages in, replies out, many at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from desk import create_app
from desk.db import create_engine, get_session
from desk.models import Case, Conversation, Message
from desk.models import message as m
from desk.services import queue, routing
from desk.worker import Worker
from tests.desk.conftest import BASE_CONFIG, FakeBot, outbound_of
from tests.desk.services.test_outbound import RecordingTransport
from tests.support.postgres import temporary_schema, unreachable_reason


def test_a_citizen_message_is_answered_through_the_transport(app, db, bot, make_message):
    bot.texts = ["¡Hola!"]
    transport = RecordingTransport()
    inbound = make_message(body="hola")

    rounds = Worker(app, transport=transport, bot=bot).run_until_idle()

    assert rounds == 1, "the answer goes out from the thread that routed the message"
    db.refresh(inbound)
    assert inbound.status == m.DONE
    [reply] = outbound_of(db, inbound.conversation)
    assert (reply.status, reply.provider_sid) == (m.DONE, "SMsent1")
    assert [call["body"] for call in transport.calls] == [reply.body]
    assert reply.body.startswith("¡Hola!\n\nAviso de privacidad")


def test_the_sandbox_has_no_status_callback_and_twilio_gets_the_public_url(app, bot):
    assert Worker(app, transport=RecordingTransport(), bot=bot).status_callback is None
    app.config["TWILIO_SANDBOX"] = False
    assert Worker(app, transport=RecordingTransport(), bot=bot).status_callback == (
        "https://desk.example.test/channels/twilio/status"
    )


def test_an_idle_worker_reports_no_work(app, bot):
    assert Worker(app, transport=RecordingTransport(), bot=bot).run_once() is False


def test_a_message_that_breaks_routing_goes_to_a_person_and_the_next_one_flows(
    app, db, bot, make_conversation, make_message
):
    conversation = make_conversation()
    poison = make_message(conversation, body="esto rompe algo")
    after = make_message(conversation, body="hola otra vez")
    bot.broken = KeyError("messages")  # a malformed answer, a bug: not Rasa being down
    worker = Worker(app, transport=RecordingTransport(), bot=bot)

    worker.handle_inbound()
    bot.broken = None
    worker.run_until_idle()

    db.refresh(poison)
    db.refresh(after)
    assert (poison.status, poison.error_code) == (m.FAILED, "system_error")
    assert poison.error_message == "system error (KeyError)"
    case = db.scalars(sa.select(Case).filter_by(conversation_id=conversation.id)).one()
    assert case.reason == "system_error"
    apology = next(r for r in outbound_of(db, conversation) if case.folio in r.body)
    assert apology.status == m.DONE
    # The conversation is with a person now: the next message joins the case.
    assert after.status == m.DONE and after.case_id == case.id


def test_a_database_gone_mid_message_is_not_the_messages_fault(
    app, db, bot, make_conversation, make_message
):
    """A restart or failover while the assistant answered: no case, no apology; the
    message is taken again once its lease ends, and answered once."""
    from sqlalchemy.exc import OperationalError

    conversation = make_conversation()
    message = make_message(conversation, body="cuanto cuesta el pasaporte")
    bot.broken = OperationalError("UPDATE messages …", {}, Exception("server closed"))
    app.config["WORKER_LEASE_SECONDS"] = 1
    transport = RecordingTransport()
    worker = Worker(app, transport=transport, bot=bot)

    worker.handle_inbound()
    db.refresh(message)
    assert message.status == m.PROCESSING
    assert db.scalars(sa.select(Case)).all() == []

    bot.broken = None
    time.sleep(1.1)
    worker.run_until_idle()

    db.refresh(message)
    assert (message.status, message.attempts) == (m.DONE, 2)
    assert len(transport.calls) == 1
    assert db.scalars(sa.select(Case)).all() == []


def test_a_message_whose_workers_keep_dying_stops_being_retried(
    app, db, bot, make_message, monkeypatch
):
    message = make_message(body="hola")
    past = queue.utcnow() - timedelta(minutes=10)
    message.status, message.lease_expires_at = m.PROCESSING, past
    message.attempts = app.config["MESSAGE_MAX_ATTEMPTS"]
    db.commit()

    Worker(app, transport=RecordingTransport(), bot=bot).handle_inbound()

    db.refresh(message)
    assert message.status == m.FAILED
    assert bot.sent == []  # not tried again
    assert message.case_id is not None


def test_an_outbound_message_that_breaks_the_sender_fails_visibly(app, db, bot, make_message):
    message = make_message(direction=m.OUTBOUND, body="hola")

    class Broken(RecordingTransport):
        def send(self, **kwargs):
            raise ZeroDivisionError("boom")

    Worker(app, transport=Broken(), bot=bot).handle_outbound()

    db.refresh(message)
    assert (message.status, message.error_code) == (m.FAILED, "system_error")


# --- the running process: threads, wake-ups --------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def live_app(request, tmp_path, monkeypatch) -> Iterator[Flask]:
    """An app on its own database, committed for real: the threads need their own
    connections, which the rolled-back test transaction cannot give them."""
    monkeypatch.setenv("DESK_INSTANCE_PATH", str(tmp_path))
    if request.param == "sqlite":
        app = _migrated_app(f"sqlite:///{tmp_path / 'live.db'}", tmp_path)
        yield app
        app.extensions["desk.db"].kw["bind"].dispose()
        return
    reason = unreachable_reason()
    if reason:
        pytest.skip(reason)
    with temporary_schema("worker_live") as url:
        app = _migrated_app(url, tmp_path)
        yield app
        app.extensions["desk.db"].kw["bind"].dispose()


def _migrated_app(url: str, folder: Path) -> Flask:
    from desk.cli import upgrade_database

    app = create_app(
        BASE_CONFIG
        | {
            "DATABASE_URL": url,
            "WORKER_SOCKET": str(folder / "w.sock"),
            "WORKER_POLL_SECONDS": 0.5,
            "WORKER_HEARTBEAT_SECONDS": 0.5,
        }
    )
    with app.app_context():
        upgrade_database()
    return app


class SlowBot(FakeBot):
    """Takes a while to answer, and counts how many calls overlap."""

    def __init__(self) -> None:
        super().__init__(texts=["listo"])
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.by_conversation: dict[str, int] = {}
        self.overlap_in_one_conversation = False

    def send(self, sender, text, *, message_id, metadata, asked_before=True):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.by_conversation[sender] = self.by_conversation.get(sender, 0) + 1
            if self.by_conversation[sender] > 1:
                self.overlap_in_one_conversation = True
        time.sleep(0.3)
        with self.lock:
            self.running -= 1
            self.by_conversation[sender] -= 1
        return super().send(
            sender, text, message_id=message_id, metadata=metadata, asked_before=asked_before
        )


def store_inbound(app: Flask, count: int, conversations: int) -> None:
    from desk.services import inbound

    with app.app_context():
        session = get_session()
        for i in range(count):
            inbound.receive(
                session,
                inbound.Inbound(
                    sid=f"SM{i:032d}",
                    citizen_address=f"whatsapp:+5215500000{i % conversations:03d}",
                    desk_address="whatsapp:+525500000000",
                    body=f"mensaje {i}",
                    media=[],
                    profile_name=None,
                ),
            )


def wait_until(check, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("gave up waiting")


def answered(app: Flask, count: int) -> bool:
    with app.app_context():
        session = get_session()
        done = session.scalar(
            sa.select(sa.func.count())
            .select_from(Message)
            .where(Message.direction == m.INBOUND, Message.status == m.DONE)
        )
        sent = session.scalar(
            sa.select(sa.func.count())
            .select_from(Message)
            .where(Message.direction == m.OUTBOUND, Message.status != m.DONE)
        )
        session.rollback()
        return done == count and sent == 0


def test_one_worker_routes_many_conversations_at_once_each_in_order(live_app):
    bot = SlowBot()
    worker = Worker(live_app, transport=RecordingTransport(), bot=bot)
    runner = threading.Thread(target=worker.run_forever)
    runner.start()
    try:
        store_inbound(live_app, count=24, conversations=8)
        wait_until(lambda: answered(live_app, 24))
    finally:
        worker.stop()
        runner.join(60)

    assert bot.most >= 2  # conversations answered side by side (one at a time: 1)
    assert not bot.overlap_in_one_conversation  # never two turns of one conversation
    with live_app.app_context():
        session = get_session()
        for conversation in session.scalars(sa.select(Conversation)):
            texts = [call["text"] for call in bot.sent if call["sender"] == conversation.key]
            assert texts == sorted(texts, key=lambda t: int(t.split()[1]))


def test_a_stored_message_wakes_the_sleeping_worker_without_waiting_for_the_poll(live_app):
    live_app.config["WORKER_POLL_SECONDS"] = 600  # the poll would be far too late
    worker = Worker(live_app, transport=RecordingTransport(), bot=FakeBot())
    runner = threading.Thread(target=worker.run_forever)
    runner.start()
    try:
        time.sleep(1)  # every thread asleep, the listener listening
        store_inbound(live_app, count=1, conversations=1)
        wait_until(lambda: answered(live_app, 1))
    finally:
        worker.stop()
        runner.join(60)


def test_an_idle_worker_does_not_look_for_work_until_something_is_due(live_app, monkeypatch):
    live_app.config["WORKER_POLL_SECONDS"] = 0.1
    looks = []
    claim = queue.claim
    monkeypatch.setattr(queue, "claim", lambda *a, **k: looks.append(1) or claim(*a, **k))
    worker = Worker(live_app, transport=RecordingTransport(), bot=FakeBot())
    runner = threading.Thread(target=worker.run_forever)
    runner.start()
    try:
        time.sleep(1)  # every thread has looked once and found nothing
        after_the_first_look = len(looks)
        time.sleep(1)  # ten polls, nothing due
        assert len(looks) == after_the_first_look
    finally:
        worker.stop()
        runner.join(60)


def test_work_stored_without_a_wake_up_is_found_by_the_poll(live_app, monkeypatch):
    live_app.config["WORKER_POLL_SECONDS"] = 0.2
    # Every wake-up is lost: no datagram heard, no NOTIFY listened to.
    monkeypatch.setattr(Worker, "_listen", lambda self: None)
    worker = Worker(live_app, transport=RecordingTransport(), bot=FakeBot())
    runner = threading.Thread(target=worker.run_forever)
    runner.start()
    try:
        time.sleep(1)  # every thread asleep
        store_inbound(live_app, count=3, conversations=3)
        wait_until(lambda: answered(live_app, 3))
    finally:
        worker.stop()
        runner.join(60)


def test_the_worker_says_it_is_alive(live_app):
    from desk.ops import heartbeat

    worker = Worker(live_app, transport=RecordingTransport(), bot=FakeBot())
    runner = threading.Thread(target=worker.run_forever)
    runner.start()
    try:

        def beating() -> bool:
            with live_app.app_context():
                freshest = heartbeat.freshest(get_session())
                return freshest is not None and freshest.worker_id == worker.worker_id

        wait_until(beating)
    finally:
        worker.stop()
        runner.join(60)


def test_a_worker_that_lost_its_lease_does_not_write_its_outcome(app, db, make_message):
    message = make_message(direction=m.OUTBOUND, body="hola")
    slow, quick = app.extensions["desk.db"](), app.extensions["desk.db"]()
    mine = queue.claim(slow, m.OUTBOUND)
    later = queue.utcnow() + queue.LEASE + timedelta(seconds=1)
    theirs = queue.claim(quick, m.OUTBOUND, now=later)  # the lease expired; another took it

    assert theirs is not None and theirs.claim_token != mine.claim_token
    with pytest.raises(queue.LeaseLost):
        queue.hold(slow, mine)
    queue.hold(quick, theirs)  # the one that took over may write
    quick.rollback()
    db.refresh(message)
    assert message.claim_token == theirs.claim_token


def test_a_reply_sent_after_the_lease_was_lost_is_recorded_by_its_new_holder_only(
    app, db, make_message
):
    message = make_message(direction=m.OUTBOUND, body="hola")
    slow, quick = app.extensions["desk.db"](), app.extensions["desk.db"]()
    mine = queue.claim(slow, m.OUTBOUND)
    later = queue.utcnow() + queue.LEASE + timedelta(seconds=1)
    theirs = queue.claim(quick, m.OUTBOUND, now=later)

    with pytest.raises(queue.LeaseLost):
        queue.finish_held(slow, mine, provider_sid="SMmine")
    queue.finish_held(quick, theirs, provider_sid="SMtheirs")
    quick.commit()

    db.refresh(message)
    assert (message.status, message.provider_sid, message.claim_token) == (
        m.DONE,
        "SMtheirs",
        None,
    )
    assert (theirs.status, theirs.provider_sid) == (m.DONE, "SMtheirs")  # the copy in hand too


def test_the_sqlite_wake_up_goes_out_only_when_the_work_is_committed(tmp_path):
    received: list[bytes] = []
    path = str(tmp_path / "w.sock")
    import socket

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    listener.settimeout(0.2)
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with Session(engine, info={"wake_socket": path}) as session:
            queue.notify_worker(session, m.OUTBOUND)
            session.rollback()
            queue.notify_worker(session, m.INBOUND)
            session.commit()
        while True:
            try:
                received.append(listener.recv(64))
            except TimeoutError:
                break
    finally:
        listener.close()
        engine.dispose()

    assert received == [b"inbound"]


def test_the_assistants_answer_goes_out_from_the_thread_that_routed_it(app, db, bot, make_message):
    inbound = make_message(body="hola")
    transport = RecordingTransport()
    worker = Worker(app, transport=transport, bot=bot)

    worker.handle_inbound()

    assert [call["body"][:6] for call in transport.calls] == ["¡Hola!"]  # notice included
    [reply] = outbound_of(db, inbound.conversation)
    assert (reply.status, reply.provider_sid, reply.attempts) == (m.DONE, "SMsent1", 1)
    assert reply.sending_started_at is None
    assert worker.handle_outbound() == 0, "nothing is left for the outbound threads"


def test_an_answer_waits_behind_a_reply_of_its_conversation_still_to_be_sent(
    app, db, bot, make_conversation, make_message
):
    conversation = make_conversation()
    earlier = make_message(conversation, direction=m.OUTBOUND, body="primero", status=m.PENDING)
    make_message(conversation, body="hola")
    transport = RecordingTransport()
    worker = Worker(app, transport=transport, bot=bot)

    worker.handle_inbound()
    assert transport.calls == [], "the answer did not overtake the earlier reply"
    while worker.handle_outbound():
        pass

    assert [call["body"][:7] for call in transport.calls] == ["primero", "¡Hola! "]
    db.refresh(earlier)
    assert earlier.status == m.DONE


def test_an_answer_of_several_messages_goes_through_the_queue_in_order(
    app, db, bot, make_conversation, make_message
):
    bot.texts = ["uno " * 300, "dos " * 300]  # two messages past Twilio's 1,600 characters
    make_message(make_conversation(channel="sms"), body="hola")
    transport = RecordingTransport()
    worker = Worker(app, transport=transport, bot=bot)

    worker.handle_inbound()
    assert transport.calls == []
    while worker.handle_outbound():
        pass

    assert [call["body"][:3] for call in transport.calls] == ["uno", "dos", "Avi"]


def test_a_worker_that_dies_before_sending_the_answer_it_held_leaves_it_to_be_looked_up(
    app, db, bot, make_message
):
    """Killed between the commit that claimed the answer and the call to Twilio, or
    during it: past the lease another thread takes the answer, asks Twilio's list
    first, and sends it once."""
    inbound = make_message(body="hola")
    transport = RecordingTransport()
    worker = Worker(app, transport=transport, bot=bot)
    with app.app_context():
        answer = queue.claim(get_session(), m.INBOUND)
        handed = routing.route(
            get_session(),
            answer,
            bot,
            give_up_seconds=60,
            privacy_url="https://desk.example.test/privacidad",
            hand_over=timedelta(seconds=1),
        )
    assert handed is not None  # ...and the worker dies here, the answer not sent
    [reply] = outbound_of(db, inbound.conversation)
    assert reply.status == m.PROCESSING and reply.sending_started_at is not None
    time.sleep(1.1)

    assert worker.handle_outbound() != 0
    assert transport.lookups == 1
    assert len(transport.calls) == 1
    db.refresh(reply)
    assert (reply.status, reply.provider_sid) == (m.DONE, "SMsent1")


def test_one_wake_up_wakes_one_waiting_thread():
    from desk.worker import Signal

    signal, woken = Signal(), []

    def waiter(name: str) -> None:
        signal.wait(60)
        woken.append(name)

    threads = [threading.Thread(target=waiter, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    while len(signal.condition._waiters) < 2:  # type: ignore[attr-defined]
        time.sleep(0.001)

    signal.notify()
    while not woken:
        time.sleep(0.001)
    time.sleep(0.05)  # a second thread woken by the same notice would be back by now
    assert len(woken) == 1

    signal.close()  # stopping wakes everyone
    for thread in threads:
        thread.join()
    assert sorted(woken) == ["a", "b"]


def test_the_worker_yields_the_cpu_to_the_web_process_and_settles_before_serving(app, monkeypatch):
    import desk.worker

    niced: list[int] = []
    settled: list[bool] = []
    monkeypatch.setattr(desk.worker.os, "nice", niced.append)
    monkeypatch.setattr(desk.worker.Worker, "run_forever", lambda self: None)
    monkeypatch.setattr(desk.worker.signal, "signal", lambda *args: None)
    # The interpreter's settings are the test process's too: recorded, not applied.
    monkeypatch.setattr(desk.worker.process, "settle", lambda: settled.append(True))

    desk.worker.run(app)

    assert niced == [10]
    assert settled == [True]
