"""A proxy in front of a real Rasa server that misbehaves on request, for the fault
matrix: the desk talks to it as to Rasa (RASA_URL), and it forwards to Rasa unless a
fault is queued.

- ``error``: answers a 500 without asking Rasa (Rasa failed on this message);
- ``late``: asks Rasa, which runs the turn, then answers only after the desk has given
  up (the case where a retry would run the turn twice);
- ``malformed``: asks Rasa, then answers a reply of a shape the desk does not expect;
- ``down``: nothing listens (``stop``), until ``start`` again.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.support.json_standin import JsonStandIn


@dataclass
class RasaProxy:
    upstream: str
    faults: list[tuple[str, float]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    http: JsonStandIn | None = None

    @property
    def url(self) -> str:
        assert self.http is not None
        return self.http.url

    def start(self) -> RasaProxy:
        self.http = JsonStandIn(self._respond)
        return self

    def stop(self) -> None:
        if self.http is not None:
            self.http.stop()

    def fault(self, kind: str, seconds: float = 0.0) -> None:
        with self.lock:
            self.faults.append((kind, seconds))

    def _respond(
        self, method: str, path: str, headers: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        with self.lock:
            fault = self.faults.pop(0) if (self.faults and method == "POST") else None
            self.calls.append({"method": method, "path": path, "body": body, "fault": fault})
        if fault and fault[0] == "error":
            return 500, {"error": "injected"}
        forwarded = {k: v for k, v in headers.items() if k.lower() in ("authorization",)}
        if method == "GET":
            answer = requests.get(self.upstream + path, headers=forwarded, timeout=60)
        else:
            answer = requests.post(self.upstream + path, json=body, headers=forwarded, timeout=60)
        payload = answer.json() if answer.content else {}
        if fault and fault[0] == "late":
            time.sleep(fault[1])
        if fault and fault[0] == "malformed":
            payload = {"messages": [{"text": {"not": "a string"}}], "intent": {}}
        return answer.status_code, payload

    def turns(self, sender: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                call
                for call in self.calls
                if call["path"].endswith("/webhook")
                and isinstance(call["body"], dict)
                and call["body"].get("sender") == sender
            ]
