"""A local stand-in for Twilio's Messages API, for the real twilio client to talk to.

It records every message created and answers like Twilio does (201 with the
message resource). ``fail_next`` makes it answer errors the way Twilio does.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.support.json_standin import JsonStandIn


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
    http: JsonStandIn | None = None
    # When set, the stand-in reports "sent" then "delivered" to each message's
    # StatusCallback, signed with this auth token, as Twilio does.
    callback_token: str | None = None

    @property
    def url(self) -> str:
        assert self.http is not None
        return self.http.url

    def fail_next(self, status: int, code: int | None = None, message: str = "error") -> None:
        with self.lock:
            self.failures.append((status, code, message))

    def start(self) -> TwilioStandIn:
        self.http = JsonStandIn(self._respond)
        return self

    def _respond(
        self, method: str, path: str, headers: dict[str, str], form: dict[str, str] | None
    ) -> tuple[int, dict[str, Any]]:
        parts = path.split("/")
        # POST /2010-04-01/Accounts/{AccountSid}/Messages.json
        if method != "POST" or len(parts) != 5 or parts[2:5:2] != ["Accounts", "Messages.json"]:
            return 404, {"code": 20404, "message": "not found", "status": 404}
        with self.lock:
            failure = self.failures.pop(0) if self.failures else None
        if failure:
            status, code, message = failure
            return status, {
                "code": code,
                "message": message,
                "status": status,
                "more_info": "https://www.twilio.com/docs/errors",
            }
        form = form or {}
        sent = SentMessage(
            account_sid=parts[3],
            sid="SM" + uuid.uuid4().hex,
            to=form.get("To", ""),
            from_=form.get("From", ""),
            body=form.get("Body", ""),
            status_callback=form.get("StatusCallback"),
            auth=headers.get("Authorization"),
        )
        with self.lock:
            self.sent.append(sent)
        if self.callback_token and sent.status_callback:
            threading.Thread(target=self.report_delivery, args=(sent,), daemon=True).start()
        return 201, {
            "sid": sent.sid,
            "status": "queued",
            "to": sent.to,
            "from": sent.from_,
            "body": sent.body,
            "num_segments": "1",
            "account_sid": sent.account_sid,
            "error_code": None,
        }

    def report_delivery(self, sent: SentMessage) -> None:
        # Imported here: the bot environment uses this module's neighbours without twilio.
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
            try:
                requests.post(
                    sent.status_callback,
                    data=params,
                    timeout=10,
                    headers={"X-Twilio-Signature": signature},
                )
            except requests.RequestException:
                return  # like Twilio: a callback the desk did not take is only logged

    def stop(self) -> None:
        if self.http is not None:
            self.http.stop()

    def messages_to(self, address: str) -> list[SentMessage]:
        with self.lock:
            return [m for m in self.sent if m.to == address]
