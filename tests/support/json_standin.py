"""A local HTTP server that records requests and answers JSON: the stand-in for the
Rasa server (desk tests), the desk API (action tests) and, under TwilioStandIn,
Twilio's REST API. Standard library only, so both runtimes can use it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

# (method, path, headers, body: parsed JSON, form fields, or None) -> (status, JSON answer)
Responder = Callable[[str, str, dict[str, str], Any], tuple[int, Any]]


class JsonStandIn:
    def __init__(self, respond: Responder) -> None:
        self.respond = respond
        self.calls: list[dict[str, Any]] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                headers = dict(self.headers)
                if not raw:
                    body = None
                elif headers.get("Content-Type", "").startswith("application/json"):
                    body = json.loads(raw)
                else:  # form-encoded, as Twilio's client sends
                    body = {k: v[0] for k, v in parse_qs(raw).items()}
                standin.calls.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "auth": headers.get("Authorization"),
                        "json": body,
                    }
                )
                status, answer = standin.respond(self.command, self.path, headers, body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
