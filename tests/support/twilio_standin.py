"""A local stand-in for Twilio's Messages API, for the real twilio client to talk to.

It records every message created and answers like Twilio does (201 with the
message resource). ``fail_next`` makes it answer errors the way Twilio does.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class SentMessage:
    account_sid: str
    sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None
    auth: str | None
    received_at: float = field(default_factory=time.perf_counter)


@dataclass
class TwilioStandIn:
    sent: list[SentMessage] = field(default_factory=list)
    # Each entry: (http status, twilio error code or None, message)
    failures: list[tuple[int, int | None, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    # When set, the stand-in reports "sent" then "delivered" to each message's
    # StatusCallback, signed with this auth token, as Twilio does.
    callback_token: str | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, status: int, code: int | None = None, message: str = "error") -> None:
        with self.lock:
            self.failures.append((status, code, message))

    def start(self) -> TwilioStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parts = self.path.split("/")
                # /2010-04-01/Accounts/{AccountSid}/Messages.json
                if len(parts) != 5 or parts[2] != "Accounts" or parts[4] != "Messages.json":
                    self._json(404, {"code": 20404, "message": "not found", "status": 404})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with standin.lock:
                    failure = standin.failures.pop(0) if standin.failures else None
                if failure:
                    status, code, message = failure
                    self._json(
                        status,
                        {
                            "code": code,
                            "message": message,
                            "status": status,
                            "more_info": "https://www.twilio.com/docs/errors",
                        },
                    )
                    return
                sent = SentMessage(
                    account_sid=parts[3],
                    sid="SM" + uuid.uuid4().hex,
                    to=form.get("To", ""),
                    from_=form.get("From", ""),
                    body=form.get("Body", ""),
                    status_callback=form.get("StatusCallback"),
                    auth=self.headers.get("Authorization"),
                )
                with standin.lock:
                    standin.sent.append(sent)
                if standin.callback_token and sent.status_callback:
                    threading.Thread(
                        target=standin.report_delivery, args=(sent,), daemon=True
                    ).start()
                self._json(
                    201,
                    {
                        "sid": sent.sid,
                        "status": "queued",
                        "to": sent.to,
                        "from": sent.from_,
                        "body": sent.body,
                        "num_segments": "1",
                        "account_sid": sent.account_sid,
                        "error_code": None,
                    },
                )

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def report_delivery(self, sent: SentMessage) -> None:
        import requests
        from twilio.request_validator import RequestValidator

        assert self.callback_token and sent.status_callback
        validator = RequestValidator(self.callback_token)
        for status in ("sent", "delivered"):
            params = {
                "MessageSid": sent.sid,
                "MessageStatus": status,
                "AccountSid": sent.account_sid,
                "To": sent.to,
                "From": sent.from_,
            }
            signature = validator.compute_signature(sent.status_callback, params)
            requests.post(
                sent.status_callback,
                data=params,
                timeout=10,
                headers={"X-Twilio-Signature": signature},
            )

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def messages_to(self, address: str) -> list[SentMessage]:
        with self.lock:
            return [m for m in self.sent if m.to == address]
