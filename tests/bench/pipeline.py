"""Benchmark: the whole pipeline against Rasa alone, under load, with Twilio's latency.

Starts the real stack (Rasa with the trained model, the action server, the desk under
gunicorn, its worker) with the Twilio stand-in answering every send after 250 ms, as
Twilio's API does from outside the US, and reporting delivery to the status callback.
In one run, per database:

1. Rasa alone: N questions straight to its desk channel, 16 senders at a time
   (the baseline: what the assistant can answer), before and again after step 2.
2. The pipeline: N citizens, 16 at a time, each sending one question through the
   signed webhook and waiting for the answer to reach the Twilio stand-in.
3. Reply latency, one citizen at a time: webhook in → answer handed to Twilio,
   against Rasa's own time for the same questions, one at a time.
4. The webhook's answer time during a burst of 10× Rasa's capacity, over the whole
   burst and from half a second into it, beside what a bare TCP connect costs on
   this machine after a few seconds of quiet (the burst's first requests pay it).
5. Lost and duplicated replies over everything sent.

Then the pipeline with 1 and with 2 Rasa servers on PostgreSQL (shared tracker store,
Redis lock store when Redis answers).

    .venv-desk/bin/python tests/bench/pipeline.py [citizens]      (make bench)
"""

from __future__ import annotations

import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.bench import cpu  # noqa: E402
from tests.bench.stats import percentile  # noqa: E402
from tests.e2e.stack import Stack  # noqa: E402
from tests.support.postgres import temporary_schema, unreachable_reason  # noqa: E402

CONCURRENCY = 16
TWILIO_LATENCY = 0.25
BURST_LEAD_IN = 0.5  # seconds
REDIS_URL = "redis://127.0.0.1:6379/0"
QUESTIONS = [
    "cuanto cuesta el pasaporte",
    "que requisitos piden para la curp",
    "donde saco mi acta de nacimiento",
    "cuanto tarda la llave mx",
    "requisitos de la pension mujeres bienestar",
    "how much is the passport",
    "que es la beca benito juarez",
    "donde consulto mis semanas cotizadas",
]
NOTICES = ("Aviso de privacidad", "Privacy notice")


class Citizens:
    """New phone numbers, never reused within a run."""

    def __init__(self, prefix: int) -> None:
        self.lock = threading.Lock()
        self.count = 0
        self.prefix = prefix

    def new(self) -> str:
        with self.lock:
            self.count += 1
            return f"+52{self.prefix}{self.count:08d}"


def answers(stack: Stack, phone: str) -> list:
    return [r for r in stack.replies_to(phone) if not r.body.startswith(NOTICES)]


def wait_answer(stack: Stack, phone: str, seconds: float = 300):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = answers(stack, phone)
        if found:
            return found[0]
        # Woken by each message the stand-in takes; polling 16 citizens every 10 ms
        # cost a share of a core that was taken from the stack under measurement.
        stack.standin.wait(0.05)
    raise AssertionError(f"no answer for {phone}")


def rasa_direct(stack: Stack, text: str, url: str | None = None) -> float:
    start = time.perf_counter()
    answer = requests.post(
        f"{url or stack.rasa_url}/webhooks/desk/webhook",
        json={"sender": uuid.uuid4().hex, "message": text, "metadata": {"channel": "whatsapp"}},
        headers={"Authorization": f"Bearer {stack.rasa_token}"},
        timeout=120,
    )
    assert answer.status_code == 200 and answer.json()["messages"], answer.text[:200]
    return time.perf_counter() - start


def rasa_throughput(stack: Stack, count: int) -> float:
    urls = stack.rasa_urls
    start = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(
            pool.map(
                lambda i: rasa_direct(stack, QUESTIONS[i % len(QUESTIONS)], urls[i % len(urls)]),
                range(count),
            )
        )
    return count / (time.perf_counter() - start)


def pipeline_throughput(stack: Stack, citizens: Citizens, count: int, sent: list[str]) -> float:
    def one(i: int) -> None:
        phone = citizens.new()
        sent.append(phone)
        assert stack.citizen_says(phone, QUESTIONS[i % len(QUESTIONS)]).status_code == 200
        wait_answer(stack, phone)

    start = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(one, range(count)))
    return count / (time.perf_counter() - start)


def sequential_latency(stack: Stack, citizens: Citizens, count: int, sent: list[str]):
    pipeline, rasa = [], []
    for i in range(count):
        text = QUESTIONS[i % len(QUESTIONS)]
        phone = citizens.new()
        sent.append(phone)
        start = time.perf_counter()
        assert stack.citizen_says(phone, text).status_code == 200
        reply = wait_answer(stack, phone)
        pipeline.append((reply.received_at - start) * 1000)
        rasa.append(rasa_direct(stack, text) * 1000)
    return pipeline, rasa


def burst(stack: Stack, citizens: Citizens, rate: float, seconds: float, sent: list[str]):
    """Webhooks at ``rate`` a second for ``seconds``, on schedule; each POST timed.
    Returns (seconds into the burst it was sent, milliseconds to the answer) pairs."""
    total = int(rate * seconds)
    timings: list[tuple[float, float]] = []
    lock = threading.Lock()
    begin = time.perf_counter() + 0.5

    def one(i: int) -> None:
        phone = citizens.new()
        delay = begin + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        start = time.perf_counter()
        assert stack.citizen_says(phone, QUESTIONS[i % len(QUESTIONS)]).status_code == 200
        with lock:
            timings.append((i / rate, (time.perf_counter() - start) * 1000))
            sent.append(phone)

    with ThreadPoolExecutor(64) as pool:
        list(pool.map(one, range(total)))
    return timings


def idle_connect_ms(idle: float = 3.0, times: int = 3) -> float:
    """What a bare TCP connect on this machine costs after ``idle`` seconds of quiet
    (median of ``times``): no desk involved. On a VM whose idle CPUs halt, the first
    requests of a burst pay this, whatever answers them."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        costs = []
        for _ in range(times):
            time.sleep(idle)
            start = time.perf_counter()
            with socket.create_connection(("127.0.0.1", port)):
                costs.append((time.perf_counter() - start) * 1000)
            server.accept()[0].close()
    return statistics.median(costs)


def losses(stack: Stack, sent: list[str]) -> tuple[int, int]:
    """(citizens with no answer, replies that reached a citizen twice)."""
    lost = sum(1 for phone in sent if not answers(stack, phone))
    duplicated = 0
    for phone in sent:
        bodies = Counter(r.body for r in stack.replies_to(phone))
        duplicated += sum(n - 1 for n in bodies.values() if n > 1)
    return lost, duplicated


def drain(stack: Stack, sent: list[str], seconds: float = 900) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(answers(stack, phone) for phone in sent):
            return
        time.sleep(0.5)


def report_line(label: str, samples: list[float]) -> str:
    return (
        f"{label:<44} n={len(samples):<4} p50={statistics.median(samples):8.1f} ms"
        f"  p95={percentile(samples, 95):8.1f} ms  p99={percentile(samples, 99):8.1f} ms"
    )


def measure(stack: Stack, name: str, count: int, prefix: int) -> dict[str, float]:
    citizens = Citizens(prefix)
    sent: list[str] = []
    for text in QUESTIONS:  # warm up Rasa, the action server and connections
        rasa_direct(stack, text)
    pids = cpu.stack_pids(stack)
    before = {**cpu.snapshot(pids), "machine": cpu.machine_seconds()}
    rasa_before = rasa_throughput(stack, count)
    middle = {**cpu.snapshot(pids), "machine": cpu.machine_seconds()}
    pipeline = pipeline_throughput(stack, citizens, count, sent)
    after = {**cpu.snapshot(pids), "machine": cpu.machine_seconds()}
    # Rasa alone again: on this machine its rate drifts by a tenth from one minute to
    # the next, so the pipeline is compared with Rasa measured on both sides of it.
    rasa_after = rasa_throughput(stack, count)
    rasa = (rasa_before + rasa_after) / 2
    latency, rasa_latency = sequential_latency(stack, citizens, 60, sent)
    timed_acks = burst(stack, citizens, rate=10 * rasa, seconds=2, sent=sent)
    acks = [ms for _, ms in timed_acks]
    # The first requests of a burst meet a machine that was idle a moment before.
    settled = [ms for at, ms in timed_acks if at >= BURST_LEAD_IN]
    drain(stack, sent)
    time.sleep(3)  # a duplicate would arrive now
    lost, duplicated = losses(stack, sent)
    idle_connect = idle_connect_ms()
    print(f"\n[{name}] {count} questions at {CONCURRENCY} at a time; Twilio answers in 250 ms")
    print(
        f"  Rasa alone:   {rasa:6.2f} answers/s   "
        f"({rasa_before:.2f} before the pipeline, {rasa_after:.2f} after)"
    )
    print(f"  pipeline:     {pipeline:6.2f} answers/s   ({pipeline / rasa:.0%} of Rasa alone)")
    print("  " + cpu.report("Rasa alone", cpu.spent(before, middle), count))
    print("  " + cpu.report("pipeline  ", cpu.spent(middle, after), count))
    print("  " + report_line("reply latency, one citizen at a time", latency))
    print("  " + report_line("Rasa alone, one at a time (baseline)", rasa_latency))
    print("  " + report_line(f"webhook ack, burst of {len(acks)} at {10 * rasa:.0f}/s", acks))
    print("  " + report_line(f"  the same, from {BURST_LEAD_IN} s into the burst", settled))
    print(f"  this machine: a bare TCP connect after 3 s idle takes {idle_connect:.1f} ms")
    print(f"  replies lost: {lost}   duplicated: {duplicated}   (of {len(sent)} citizens)")
    return {
        "rasa": rasa,
        "pipeline": pipeline,
        "latency_p50": statistics.median(latency),
        "rasa_p50": statistics.median(rasa_latency),
        "ack_p99": percentile(acks, 99),
        "ack_p99_settled": percentile(settled, 99),
        "lost": lost,
        "duplicated": duplicated,
    }


def scale_out(database_url: str, tracker_url: str, servers: int, count: int, folder: Path):
    redis_url = REDIS_URL if redis_reachable() else None
    stack = Stack(
        folder / f"pg-{servers}",
        database_url=database_url,
        tracker_url=tracker_url,
        redis_url=redis_url,
        rasa_servers=servers,
    )
    stack.workdir.mkdir(parents=True, exist_ok=True)
    stack.standin.latency = TWILIO_LATENCY
    stack.start()
    try:
        citizens, sent = Citizens(70 + servers), []
        for url in stack.rasa_urls:
            for text in QUESTIONS:
                rasa_direct(stack, text, url)
        throughput = pipeline_throughput(stack, citizens, count, sent)
        lost, duplicated = losses(stack, sent)
        print(
            f"  {servers} Rasa server(s): pipeline {throughput:6.2f} answers/s; "
            f"lost {lost}, duplicated {duplicated}"
        )
        return throughput
    finally:
        stack.stop()


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def run(stack: Stack, name: str, count: int, prefix: int) -> dict[str, float]:
    stack.workdir.mkdir(parents=True, exist_ok=True)
    stack.standin.latency = TWILIO_LATENCY
    stack.start()
    try:
        return measure(stack, name, count, prefix)
    finally:
        stack.stop()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 320
    with tempfile.TemporaryDirectory() as folder:
        run(Stack(Path(folder) / "sqlite"), "sqlite", count, 50)
    reason = unreachable_reason()
    if reason:
        print(f"PostgreSQL skipped: {reason}")
        return
    with (
        temporary_schema("bench") as url,
        temporary_schema("rasa") as tracker,
        tempfile.TemporaryDirectory() as folder,
    ):
        run(
            Stack(Path(folder) / "pg", database_url=url, tracker_url=tracker),
            "postgresql",
            count,
            60,
        )
    print("\n[postgresql] scale-out: the pipeline with 1, then 2 Rasa servers")
    throughput = {}
    for servers in (1, 2):
        with (
            temporary_schema("bench") as url,
            temporary_schema("rasa") as tracker,
            tempfile.TemporaryDirectory() as folder,
        ):
            throughput[servers] = scale_out(url, tracker, servers, count, Path(folder))
    print(f"  2 servers / 1 server: {throughput[2] / throughput[1]:.2f}×")


if __name__ == "__main__":
    main()
