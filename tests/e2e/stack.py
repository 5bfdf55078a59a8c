"""The whole system on this machine, for end-to-end tests and the latency benchmark:
the real Rasa server and action server (bot environment), the desk under gunicorn and
its worker (desk environment), and a local stand-in for Twilio's REST API."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import requests
from twilio.request_validator import RequestValidator

from bot.endpoints import write as write_endpoints
from tests.support.rasa_proxy import RasaProxy
from tests.support.twilio_standin import TwilioStandIn

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "ventanilla.tar.gz"
DESK_BIN = ROOT / ".venv-desk" / "bin"
BOT_BIN = ROOT / ".venv-bot" / "bin"
# As the Procfile runs them: below the desk's CPU priority on a shared machine.
BOT_NICE = ["nice", "-n", "10"]
DESK_NUMBER = "+525500000000"
ACCOUNT_SID = "AC" + "e" * 32
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Stack:
    workdir: Path
    database_url: str | None = None
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    rasa_token: str = field(default_factory=lambda: secrets.token_hex(16))
    desk_token: str = field(default_factory=lambda: secrets.token_hex(16))
    actions_token: str = field(default_factory=lambda: secrets.token_hex(16))
    # The embedded default: no Twilio account, replies delivered locally, simulator on.
    sandbox: bool = False
    # Scale-out: several Rasa servers share a tracker store (tracker_url, PostgreSQL)
    # and Redis's lock store (redis_url).
    rasa_servers: int = 1
    tracker_url: str | None = None
    redis_url: str | None = None
    desk_env: dict[str, str] = field(default_factory=dict)  # extra settings for the desk
    # Rasa pulls its model from the desk's model server (/models/live) every second.
    model_server: bool = False
    model_token: str = field(default_factory=lambda: secrets.token_hex(16))
    # The trainers' training runner (the Procfile's `trainer`): it runs queued training
    # jobs with the desk's TRAINING_* settings, which desk_env gives.
    training_runner: bool = False
    # A fault-injecting proxy between the desk and the (first) Rasa server.
    proxy: bool = False
    rasa_proxy: RasaProxy | None = None
    commands: dict[str, tuple[list[object], dict[str, str]]] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    standin: TwilioStandIn = field(default_factory=TwilioStandIn)

    def __post_init__(self) -> None:
        self.desk_port, self.actions_port = free_port(), free_port()
        self.rasa_ports = [free_port() for _ in range(self.rasa_servers)]
        self.desk_url = f"http://127.0.0.1:{self.desk_port}"
        self.rasa_urls = [f"http://127.0.0.1:{port}" for port in self.rasa_ports]
        self.rasa_url = self.rasa_urls[0]
        self.database_url = self.database_url or f"sqlite:///{self.workdir / 'desk.db'}"
        self.tracker_url = self.tracker_url or f"sqlite:///{self.workdir / 'rasa_tracker.db'}"

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> Stack:
        try:
            return self._start()
        except BaseException:
            self.stop()  # nothing left running behind a failed start
            raise

    def _start(self) -> Stack:
        if not MODEL.exists():
            raise RuntimeError(f"{MODEL} is missing: run `make train` first")
        self.standin.callback_token = self.auth_token
        self.standin.start()
        if self.proxy:
            self.rasa_proxy = RasaProxy(self.rasa_urls[0]).start()
        env = self._env()
        endpoints_file = self.workdir / "endpoints.yml"
        write_endpoints(
            endpoints_file,
            {
                "ACTION_SERVER_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
                "ACTION_SERVER_TOKEN": self.actions_token,
                "TRACKER_DATABASE_URL": self.tracker_url or "",
                **({"REDIS_URL": self.redis_url} if self.redis_url else {}),
                **(
                    {
                        "MODEL_SERVER_URL": f"{self.desk_url}/models/live",
                        "MODEL_SERVER_TOKEN": self.model_token,
                        "MODEL_PULL_SECONDS": "1",
                    }
                    if self.model_server
                    else {}
                ),
            },
        )
        self._spawn(
            "actions",
            [
                *BOT_NICE,
                BOT_BIN / "python",
                "-m",
                "bot.action_server",
                "--port",
                str(self.actions_port),
            ],
            env,
        )
        for number, port in enumerate(self.rasa_ports):
            self._spawn(
                "rasa" if number == 0 else f"rasa{number + 1}",
                [
                    *BOT_NICE,
                    BOT_BIN / "rasa",
                    "run",
                    "--model",
                    MODEL,
                    "--interface",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--credentials",
                    ROOT / "bot" / "credentials.yml",
                    "--endpoints",
                    endpoints_file,
                ],
                env,
            )
        flask = [DESK_BIN / "flask", "--app", "desk"]
        subprocess.run([*flask, "db-upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
        subprocess.run(
            [
                *flask,
                "create-agent",
                "--email",
                "ana@cab.gob.mx",
                "--name",
                "Ana",
                "--password",
                "contraseña-segura",
            ],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        self._spawn(
            "desk",
            [
                DESK_BIN / "gunicorn",
                "--workers",
                "2",
                "--worker-class",
                "gthread",
                "--threads",
                "64",
                "--bind",
                f"127.0.0.1:{self.desk_port}",
                "desk.wsgi:app",
            ],
            env,
        )
        self._spawn("worker", [*flask, "worker"], env)
        if self.training_runner:
            self._spawn("trainer", [*flask, "training-runner", "--idle", "1"], env)
        self.wait_for(lambda: self._ok(f"{self.desk_url}/health"), "the desk", 60)
        self.wait_for(
            lambda: self._ok(f"http://127.0.0.1:{self.actions_port}/health"),
            "the action server",
            120,
        )
        for url in self.rasa_urls:
            self.wait_for(
                lambda url=url: self._ok(f"{url}/webhooks/desk/"), "Rasa with its model", 240
            )
        return self

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.standin.http is not None:
            self.standin.stop()
        if self.rasa_proxy:
            self.rasa_proxy.stop()

    def kill(self, name: str) -> None:
        """SIGKILL: the process gets no chance to finish anything (a crash, an OOM kill)."""
        process = self.processes[name]
        process.kill()
        process.wait(timeout=20)

    def respawn(self, name: str) -> None:
        """Start a killed process again, as a process manager would."""
        command, env = self.commands[name]
        self._spawn(name, command, env)

    def logs(self) -> str:
        return "\n".join(
            f"--- {name} ---\n{(self.workdir / f'{name}.log').read_text()[-3000:]}"
            for name in self.processes
        )

    def _env(self) -> dict[str, str]:
        twilio = (
            {}
            if self.sandbox
            else {
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_API_BASE_URL": self.standin.url,
            }
        )
        return {
            **os.environ,
            **twilio,
            "RASA_TELEMETRY_ENABLED": "false",
            "DESK_INSTANCE_PATH": str(self.workdir / "instance"),
            "DATABASE_URL": self.database_url,
            "PUBLIC_BASE_URL": self.desk_url,
            **({} if self.sandbox else {"TWILIO_AUTH_TOKEN": self.auth_token}),
            "RASA_URL": self.rasa_proxy.url if self.rasa_proxy else ",".join(self.rasa_urls),
            "RASA_TOKEN": self.rasa_token,
            "DESK_API_TOKEN": self.desk_token,
            "DESK_URL": self.desk_url,
            "ACTION_SERVER_TOKEN": self.actions_token,
            **({"MODEL_SERVER_TOKEN": self.model_token} if self.model_server else {}),
            **self.desk_env,
        }

    def _spawn(self, name: str, command: list[object], env: dict[str, str]) -> None:
        self.commands[name] = (command, env)
        with (self.workdir / f"{name}.log").open("ab") as log:  # the child keeps its own copy
            self.processes[name] = subprocess.Popen(
                [str(part) for part in command],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def _ok(self, url: str) -> bool:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}\n{self.logs()}")
        try:
            return requests.get(url, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    # --- acting as Twilio and the citizen ------------------------------------------------

    def citizen_says(
        self,
        phone: str,
        body: str,
        *,
        channel: str = "whatsapp",
        sid: str | None = None,
        token: str | None = None,
    ) -> requests.Response:
        """POST a signed inbound webhook, exactly as Twilio would."""
        prefix = "whatsapp:" if channel == "whatsapp" else ""
        params = {
            "MessageSid": sid or "SM" + uuid.uuid4().hex,
            "AccountSid": ACCOUNT_SID,
            "From": prefix + phone,
            "To": prefix + DESK_NUMBER,
            "Body": body,
            "NumMedia": "0",
        }
        if channel == "whatsapp":
            params |= {"ProfileName": "Ciudadana", "WaId": phone.lstrip("+")}
        url = f"{self.desk_url}/channels/twilio/inbound"
        signature = RequestValidator(token or self.auth_token).compute_signature(url, params)
        return requests.post(
            url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10
        )

    def replies_to(self, phone: str, channel: str = "whatsapp"):  # type: ignore[no-untyped-def]
        return self.standin.messages_to(("whatsapp:" if channel == "whatsapp" else "") + phone)

    def wait_for(self, check: Callable[[], T], what: str, seconds: float = 60) -> T:
        """Poll until ``check`` returns something truthy; a deadline, not a timing assertion."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            time.sleep(0.05)
        raise AssertionError(f"gave up waiting for {what}\n{self.logs()}")
