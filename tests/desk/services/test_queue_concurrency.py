"""Several workers on PostgreSQL: each message is claimed once, and a conversation is
never worked on by two workers at the same time (so its messages keep their order)."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from desk.db import create_engine
from desk.models import Conversation, Message
from desk.models import message as m
from desk.services import queue

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(postgresql_url):
    engine = create_engine(postgresql_url)
    yield engine
    with engine.begin() as connection:
        connection.execute(sa.delete(Message))
        connection.execute(sa.delete(Conversation))
    engine.dispose()


def test_four_workers_claim_each_message_once_and_one_at_a_time_per_conversation(engine):
    with Session(engine) as session:
        conversations = [
            Conversation(
                channel="sms", citizen_address=f"+52155500000{i}", desk_address="+525500000000"
            )
            for i in range(3)
        ]
        session.add_all(conversations)
        session.flush()
        # A conversation's messages side by side: the tempting order for a naive queue.
        session.add_all(
            Message(conversation=c, direction=m.INBOUND, author=m.CITIZEN, body=str(n))
            for c in conversations
            for n in range(6)
        )
        session.commit()
        conversation_ids = sorted(c.id for c in conversations)

    handled: dict[int, list[str]] = {}
    in_progress: set[int] = set()
    overlaps: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        with Session(engine, expire_on_commit=False) as session:
            while (message := queue.claim(session, m.INBOUND)) is not None:
                conversation_id = message.conversation_id
                with lock:
                    if conversation_id in in_progress:
                        overlaps.append(conversation_id)
                    in_progress.add(conversation_id)
                    handled.setdefault(conversation_id, []).append(message.body)
                time.sleep(0.005)  # the call to Rasa, during which others look for work
                with lock:
                    in_progress.discard(conversation_id)
                queue.finish(message)
                session.commit()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert overlaps == []
    assert sorted(handled) == conversation_ids
    assert all(bodies == [str(n) for n in range(6)] for bodies in handled.values())
