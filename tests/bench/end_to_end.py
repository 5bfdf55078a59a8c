"""Benchmark: citizen's message in → reply handed to Twilio, with the trained model.

Starts the whole stack (as the end-to-end tests do) and sends a catalog question
from new numbers one at a time; each sample runs from the signed webhook POST until the
Twilio stand-in receives the reply. Baseline in the same run: the same text sent
straight to Rasa's desk channel, which is the assistant's share of the time.
Usage: .venv-desk/bin/python tests/bench/end_to_end.py [messages]
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.bench.stats import summary  # noqa: E402
from tests.e2e.stack import Stack  # noqa: E402
from tests.support.postgres import temporary_schema, unreachable_reason  # noqa: E402

# A catalog question: NLU, the action server and the answer composer all take part.
TEXT = "cuanto cuesta el pasaporte"


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    with tempfile.TemporaryDirectory() as folder:
        run(Stack(Path(folder) / "sqlite"), "sqlite", count)
    reason = unreachable_reason()
    if reason:
        print(f"PostgreSQL skipped: {reason}")
        return
    with temporary_schema("bench") as url, tempfile.TemporaryDirectory() as folder:
        run(Stack(Path(folder), database_url=url), "postgresql", count)


def run(stack: Stack, backend: str, count: int) -> None:
    stack.workdir.mkdir(parents=True, exist_ok=True)
    stack.start()
    try:
        measure(stack, backend, count)
    finally:
        stack.stop()


def measure(stack: Stack, backend: str, count: int) -> None:
    end_to_end, rasa_only = [], []
    for i in range(count + 5):  # the first 5 warm up Rasa and the connections
        phone = f"+52155{i:08d}"
        start = time.perf_counter()
        assert stack.citizen_says(phone, TEXT).status_code == 200
        # The answer is sent first; the one-time privacy notice follows it.
        reply = stack.wait_for(lambda phone=phone: stack.replies_to(phone), "a reply", 60)[0]
        total = (reply.received_at - start) * 1000

        start = time.perf_counter()
        direct = requests.post(
            f"{stack.rasa_url}/webhooks/desk/webhook",
            timeout=30,
            headers={"Authorization": f"Bearer {stack.rasa_token}"},
            json={"sender": uuid.uuid4().hex, "message": TEXT},
        )
        assert direct.status_code == 200 and direct.json()["messages"]
        rasa = (time.perf_counter() - start) * 1000
        if i >= 5:
            end_to_end.append(total)
            rasa_only.append(rasa)
    print(summary(f"[{backend}] baseline: Rasa desk channel", rasa_only))
    print(summary(f"[{backend}] webhook → reply to Twilio", end_to_end))


if __name__ == "__main__":
    main()
