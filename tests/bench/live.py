"""Benchmark: Twilio's inbound webhook with no live pages open, and with 50.

Starts the desk alone, exactly as the Procfile's ``desk:`` line runs it (gunicorn, its
worker class and threads), with its database and without Rasa or the desk's worker:
an inbound message is stored and queued, which is all the webhook does anyway. Then,
on SQLite and on PostgreSQL, the signed inbound webhook's latency over ``requests``
calls, one at a time, from citizens whose cases are open, while agents change a case
a second (on its timeline: what the queue listens to):

1. no live page open;
2. ``pages`` agents signed in, each with a live page open (half the queue, half a
   case), reading their streams but never fetching their page again;
3. the same pages doing what desk/static/live.js does: fetching the page again on each
   change (at most once a second for a case, every five seconds for the queue).

Last, the old invocation (two sync workers): live streams are refused there, so they
cannot take the webhook's only two connections.

    .venv-desk/bin/python tests/bench/live.py [requests] [pages] [per second]

Not in ``make test``. Webhooks go out at a steady 10 a second by default (a very busy
center: 36,000 messages an hour); 0 sends them one after the other, as fast as they go.
"""

from __future__ import annotations

import http.client
import logging
import os
import random
import re
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Run as a script, this folder would come first on the path, and its queue.py would
# hide the standard library's queue.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402
from urllib3.util.retry import Retry  # noqa: E402

from desk import create_app  # noqa: E402
from desk.db import get_session  # noqa: E402
from desk.models import Agent, Case, Conversation  # noqa: E402
from desk.services import cases  # noqa: E402
from tests.bench.stats import summary  # noqa: E402
from tests.e2e.stack import ACCOUNT_SID, DESK_BIN, DESK_NUMBER, free_port  # noqa: E402
from tests.support.postgres import temporary_schema, unreachable_reason  # noqa: E402

PASSWORD = "contraseña-de-banco"
WARM_UP = 30
CASE_GAP, QUEUE_GAP, DEBOUNCE, QUEUE_SPREAD = 1.0, 5.0, 0.25, 2.0  # as in live.js
CASE_CHANGES_PER_SECOND = 1.0  # 50 agents, each changing a case every 50 seconds


def procfile_desk_command(port: int) -> list[str]:
    """The Procfile's ``desk:`` line, for this port: the benchmark measures what runs."""
    line = next(
        line.split(":", 1)[1]
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.startswith("desk:")
    )
    line = line.replace("${HOST:-127.0.0.1}", "127.0.0.1").replace("$PORT", str(port))
    return [part.replace(".venv-desk/bin/", f"{DESK_BIN}/") for part in shlex.split(line)]


@dataclass
class Desk:
    workdir: Path
    database_url: str
    command: list[str] | None = None  # default: the Procfile's
    auth_token: str = field(default_factory=lambda: uuid.uuid4().hex)
    process: subprocess.Popen[bytes] | None = None
    app: Flask | None = None

    def __post_init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DESK_INSTANCE_PATH": str(self.workdir / "instance"),
            "DATABASE_URL": self.database_url,
            "PUBLIC_BASE_URL": self.url,
            "SECRET_KEY": "bench-secret",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9",  # nothing is sent: no worker
            "RASA_TOKEN": "bench",
            "DESK_API_TOKEN": "bench",
            # 50 sign-ins from one address within a minute.
            "LOGIN_LIMIT_PER_ADDRESS": "10000 per minute",
        }

    def start(self, agents: int, open_cases: int) -> tuple[list[str], list[tuple[int, str]]]:
        subprocess.run(
            [DESK_BIN / "flask", "--app", "desk", "db-upgrade"],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        emails, opened = self._seed(agents, open_cases)
        command = self.command or procfile_desk_command(self.port)
        if self.command:
            command = [*command, "--bind", f"127.0.0.1:{self.port}", "desk.wsgi:app"]
        with (self.workdir / "desk.log").open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.workdir / "desk.log").read_text()[-3000:])
            try:
                if requests.get(f"{self.url}/health", timeout=2).ok:
                    return emails, opened
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("the desk did not start")

    def stop(self) -> None:
        if self.app is not None:
            self.app.extensions["desk.db"].kw["bind"].dispose()
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def _seed(self, agents: int, open_cases: int) -> tuple[list[str], list[tuple[int, str]]]:
        """Agents (separate accounts: sign-ins are limited per account) and open cases."""
        os.environ["DESK_INSTANCE_PATH"] = self.env["DESK_INSTANCE_PATH"]
        app = create_app(
            {
                "DATABASE_URL": self.database_url,
                "SECRET_KEY": "bench-secret",
                "PUBLIC_BASE_URL": self.url,
                "TWILIO_AUTH_TOKEN": self.auth_token,
                "DESK_API_TOKEN": "bench",
                "RASA_TOKEN": "bench",
            }
        )
        emails, opened = [], []
        with app.app_context():
            session = get_session()
            for number in range(agents):
                agent = Agent(email=f"agente{number}@bench.test", name=f"Agente {number}")
                agent.set_password(PASSWORD)
                session.add(agent)
                emails.append(agent.email)
            for number in range(open_cases):
                phone = f"+52155{number:08d}"
                conversation = Conversation(
                    channel="whatsapp",
                    citizen_address=f"whatsapp:{phone}",
                    desk_address=f"whatsapp:{DESK_NUMBER}",
                )
                session.add(conversation)
                case, _ = cases.open_case(session, conversation, reason="citizen_request")
                session.flush()
                opened.append((case.id, phone))
            session.commit()
        self.app = app  # for agents_at_work
        return emails, opened

    @contextmanager
    def agents_at_work(self, opened: list[tuple[int, str]], per_second: float) -> Iterator[None]:
        """Agents changing cases meanwhile (priority back and forth), each change on the
        case's timeline as through the case page: what the queue pages hear of."""
        done = threading.Event()

        def work() -> None:
            with self.app.app_context():
                session = get_session()
                agent = session.scalars(sa.select(Agent).limit(1)).one()
                number = 0
                while not done.wait(1 / per_second):
                    case = session.get(Case, opened[number % len(opened)][0])
                    priority = "high" if case.priority != "high" else "normal"
                    cases.update_details(session, case, agent, priority=priority)
                    number += 1

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(10)

    def webhook(self, phone: str) -> float:
        """One signed inbound webhook, as Twilio sends it; milliseconds to the answer."""
        params = {
            "MessageSid": "SM" + uuid.uuid4().hex,
            "AccountSid": ACCOUNT_SID,
            "From": f"whatsapp:{phone}",
            "To": f"whatsapp:{DESK_NUMBER}",
            "Body": "¿ya revisaron mis documentos?",
            "NumMedia": "0",
            "ProfileName": "Ciudadana",
            "WaId": phone.lstrip("+"),
        }
        url = f"{self.url}/channels/twilio/inbound"
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        start = time.perf_counter()
        response = requests.post(
            url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30
        )
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, response.text
        return elapsed


class Page(threading.Thread):
    """An agent's browser tab with a live page: signs in, opens the page and its stream,
    and (``refresh``) fetches the page again on changes, as live.js does."""

    def __init__(self, desk: Desk, email: str, case_id: int | None, refresh: bool) -> None:
        super().__init__(daemon=True)
        self.desk, self.email, self.case_id, self.refresh = desk, email, case_id, refresh
        self.page = f"{desk.url}/cases/{case_id}" if case_id else f"{desk.url}/cases/"
        self.gap = CASE_GAP if case_id else QUEUE_GAP
        self.status: int | None = None
        self.changes = 0
        self.refreshes = 0
        self.lock = threading.Lock()
        self.pending = False
        self.last_refresh = 0.0
        self.ready = threading.Event()
        self.stopped = threading.Event()
        self.session = requests.Session()
        # A kept-alive connection the server closed meanwhile: ask again, as browsers do.
        retry = Retry(total=2, allowed_methods=frozenset({"GET"}), backoff_factor=0.1)
        self.session.mount("http://", requests.adapters.HTTPAdapter(max_retries=retry))
        self.socket: socket.socket | None = None

    def sign_in(self) -> None:
        form = self.session.get(f"{self.desk.url}/login", timeout=30).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form) or re.search(
            r'name="csrf_token" value="([^"]+)"', form
        )
        assert token, "no CSRF token on the login page"
        response = self.session.post(
            f"{self.desk.url}/login",
            data={"email": self.email, "password": PASSWORD, "csrf_token": token.group(1)},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302, (response.status_code, response.text[:300])

    def run(self) -> None:
        try:
            self.session.get(self.page, timeout=60).raise_for_status()
            while not self.stopped.is_set():
                self._listen()
        except Exception as error:  # reported by status
            if not self.stopped.is_set():
                print(f"  page {self.email}: {type(error).__name__}: {error}")
        finally:
            self.ready.set()

    def _listen(self) -> None:
        # http.client rather than requests: close() can cut a read that is waiting.
        query = f"?case={self.case_id}" if self.case_id else ""
        connection = http.client.HTTPConnection("127.0.0.1", self.desk.port, timeout=60)
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.session.cookies)
        connection.request("GET", f"/live/events{query}", headers={"Cookie": cookies})
        self.socket = connection.sock
        response = connection.getresponse()
        self.status = response.status
        if self.status != 200:
            connection.close()
            self.ready.set()
            self.stopped.wait(30)
            return
        name = None
        try:
            for raw in response:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    if name == "hello":
                        self.ready.set()
                    elif name == "change":
                        self.changes += 1
                        if self.refresh:
                            self._refresh_soon()
                    elif name == "reconnect":
                        return
        finally:
            connection.close()

    def _refresh_soon(self) -> None:
        # As live.js: at most one refresh per gap, the queue's spread over two seconds.
        with self.lock:
            if self.pending:
                return
            self.pending = True
        spread = 0.0 if self.case_id else random.uniform(0, QUEUE_SPREAD)
        wait = max(DEBOUNCE + spread, self.last_refresh + self.gap - time.monotonic())
        threading.Timer(wait, self._refresh).start()

    def _refresh(self) -> None:
        self.last_refresh = time.monotonic()
        try:
            if not self.stopped.is_set():
                self.session.get(self.page, timeout=30)
                self.refreshes += 1
        finally:
            with self.lock:
                self.pending = False

    def close(self) -> None:
        self.stopped.set()
        if self.socket is not None:
            with suppress(OSError):
                self.socket.shutdown(socket.SHUT_RDWR)


@contextmanager
def pages_open(
    desk: Desk, emails: list[str], opened: list[tuple[int, str]], refresh: bool
) -> Iterator[list[Page]]:
    case_ids = [case_id for case_id, _ in opened]
    # Every other page is the queue; the rest are the open cases, one each.
    pages = [
        Page(desk, email, None if n % 2 == 0 else case_ids[n // 2 % len(case_ids)], refresh)
        for n, email in enumerate(emails)
    ]
    for page in pages:  # one at a time: sign-ins are slow on purpose (scrypt)
        page.sign_in()
    for page in pages:
        page.start()
    for page in pages:
        page.ready.wait(120)
    try:
        yield pages
    finally:
        for page in pages:
            page.close()
        for page in pages:
            page.join(5)
        time.sleep(2)  # the server lets go of the closed streams (within a tick)


def measure(desk: Desk, opened: list[tuple[int, str]], count: int, rate: float) -> list[float]:
    """``count`` webhooks, ``rate`` a second (0: one after the other, as fast as they go),
    from the citizens of the open cases, while agents change cases."""
    phones = [phone for _, phone in opened]
    for number in range(WARM_UP):
        desk.webhook(phones[number % len(phones)])
    samples = []
    with desk.agents_at_work(opened, CASE_CHANGES_PER_SECOND):
        start = time.monotonic()
        for number in range(count):
            if rate:
                time.sleep(max(0.0, start + number / rate - time.monotonic()))
            samples.append(desk.webhook(phones[number % len(phones)]))
    return samples


def page_costs(desk: Desk, email: str, case_id: int) -> str:
    """What one refresh costs the server: the pages' own time, one at a time."""
    page = Page(desk, email, None, refresh=False)
    page.sign_in()
    costs = []
    for path in ("/cases/", f"/cases/{case_id}"):
        samples = []
        for _ in range(20):
            start = time.perf_counter()
            page.session.get(desk.url + path, timeout=30).raise_for_status()
            samples.append((time.perf_counter() - start) * 1000)
        costs.append(f"{path} {statistics.median(samples[5:]):.0f} ms")
    return f"{'':<10}a page, alone (median): " + ", ".join(costs)


def run(database_url: str, count: int, pages: int, rate: float) -> None:
    backend = database_url.split(":")[0].split("+")[0]
    with tempfile.TemporaryDirectory(prefix="bench-live-") as folder:
        desk = Desk(Path(folder), database_url)
        try:
            emails, opened = desk.start(agents=pages, open_cases=max(1, pages // 2))
            print(f"[{backend}] {' '.join(procfile_desk_command(desk.port)[1:])}")
            print(page_costs(desk, emails[0], opened[0][0]))
            print(
                summary(f"[{backend}] webhook, no live page", measure(desk, opened, count, rate)),
            )
            for refresh in (False, True):
                with pages_open(desk, emails, opened, refresh) as open_pages:
                    listening = sum(page.status == 200 for page in open_pages)
                    samples = measure(desk, opened, count, rate)
                    time.sleep(1.5)  # the last changes reach the pages
                    what = "refreshing" if refresh else "listening"
                    print(
                        summary(f"[{backend}] webhook, {listening} pages {what}", samples),
                    )
                    print(
                        f"{'':<10}streams refused: {len(open_pages) - listening}, "
                        f"changes received: {sum(p.changes for p in open_pages)}, "
                        f"pages fetched again: {sum(p.refreshes for p in open_pages)}"
                    )
        finally:
            desk.stop()


def run_sync_workers(count: int, rate: float) -> None:
    """The old invocation: two sync workers. Streams are refused, the webhook is served."""
    with tempfile.TemporaryDirectory(prefix="bench-live-sync-") as folder:
        desk = Desk(
            Path(folder),
            f"sqlite:///{folder}/desk.db",
            command=[f"{DESK_BIN}/gunicorn", "--workers", "2"],
        )
        try:
            emails, opened = desk.start(agents=4, open_cases=2)
            with pages_open(desk, emails, opened, refresh=False) as open_pages:
                statuses = sorted(str(page.status) for page in open_pages)
                samples = measure(desk, opened, count, rate)
            print(summary("[sqlite, 2 sync workers] webhook", samples))
            print(f"{'':<10}live streams answered: {', '.join(statuses)} (503: refused)")
        finally:
            desk.stop()


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # a log shows progress
    # The server closes kept-alive connections after 2 s; the pages' retries are expected.
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    pages = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    rate = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    print(f"{count} webhooks per run, {rate or 'as many as they go'} a second, {pages} pages")
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/desk.db", count, pages, rate)
    reason = unreachable_reason()
    if reason:
        print(f"PostgreSQL skipped: {reason}")
    else:
        with temporary_schema("bench_live") as url:
            run(url, count, pages, rate)
    run_sync_workers(min(count, 100), rate)


if __name__ == "__main__":
    main()
