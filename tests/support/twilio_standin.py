"""A local stand-in for Twilio's Messages API, for the real twilio client to talk to.

It records every message it accepts and answers like Twilio does (201 with the
message resource), lists them (GET Messages.json with To, From and DateSent>), and
reports delivery to each StatusCallback. It can also misbehave the ways Twilio's API
does, one request at a time (``fault``) or always (``latency``):

- ``reject``: an error answer; nothing accepted (429 / 20429, 21610, 400…);
- ``accept_then_hang``: the message is accepted, the answer comes after the client
  has given up (the case where a blind retry sends it twice);
- ``accept_then_500``: accepted, then a 500;
- ``slow``: a normal answer after a delay.

It also serves media, as Twilio's media URLs do (``add_media``): the bytes, or a redirect
to a CDN, only to a request with the account's Basic credentials.
"""

from __future__ import annotations

import base64
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
    created: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class StoredMedia:
    data: bytes
    content_type: str
    authorization: str  # the Basic header Twilio would demand
    redirect_to: str | None = None  # Twilio's CDN: a 302 there instead of the bytes


# /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media/{MediaSid}
MEDIA_PATH = re.compile(r"^/2010-04-01/Accounts/[^/]+/Messages/[^/]+/Media/[^/]+$")


@dataclass
class Fault:
    kind: str  # reject | accept_then_hang | accept_then_500 | slow
    status: int = 500
    code: int | None = None
    message: str = "error"
    seconds: float = 0.0


@dataclass
class TwilioStandIn:
    sent: list[SentMessage] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    # Every answer to a POST waits this long: Twilio's API from outside the US.
    latency: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Notified on every accepted message, so waiting for one costs no polling: a
    # benchmark's own CPU would otherwise be taken from the stack it measures.
    arrived: threading.Condition = field(default_factory=threading.Condition)
    by_address: dict[str, list[SentMessage]] = field(default_factory=dict)
    http: JsonStandIn | None = None
    # When set, the stand-in reports "sent" then "delivered" to each message's
    # StatusCallback, signed with this auth token, as Twilio does.
    callback_token: str | None = None
    creates: int = 0  # POSTs to Messages.json, accepted or not
    media: dict[str, StoredMedia] = field(default_factory=dict)  # by path
    media_requests: list[dict[str, str | None]] = field(default_factory=list)

    @property
    def url(self) -> str:
        assert self.http is not None
        return self.http.url

    def fail_next(self, status: int, code: int | None = None, message: str = "error") -> None:
        self.fault(Fault("reject", status=status, code=code, message=message))

    def fault(self, fault: Fault, times: int = 1) -> None:
        with self.lock:
            self.faults.extend([fault] * times)

    def start(self) -> TwilioStandIn:
        self.http = JsonStandIn(self._respond)
        self._serve_media_too(self.http)
        return self

    def add_media(
        self,
        account_sid: str,
        auth_token: str,
        data: bytes,
        content_type: str,
        *,
        redirect_to: str | None = None,
    ) -> str:
        """Media only ``account_sid``:``auth_token`` may fetch; returns its path."""
        path = (
            f"/2010-04-01/Accounts/{account_sid}/Messages/MM{uuid.uuid4().hex}"
            f"/Media/ME{uuid.uuid4().hex}"
        )
        secret = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        with self.lock:
            self.media[path] = StoredMedia(data, content_type, f"Basic {secret}", redirect_to)
        return path

    def _serve_media_too(self, http: JsonStandIn) -> None:
        # JsonStandIn answers JSON only; media paths get their own GET, every other
        # request goes on to it unchanged.
        json_handler: Any = http.server.RequestHandlerClass
        standin = self

        class Handler(json_handler):  # type: ignore[misc,valid-type]
            def do_GET(self) -> None:
                if MEDIA_PATH.match(urlsplit(self.path).path):
                    standin._serve_media(self)
                else:
                    json_handler.do_GET(self)

        http.server.RequestHandlerClass = Handler

    def _serve_media(self, handler: Any) -> None:
        path = urlsplit(handler.path).path
        authorization = handler.headers.get("Authorization")
        with self.lock:
            self.media_requests.append({"path": path, "auth": authorization})
            media = self.media.get(path)
        if media is None:
            status, headers, body = 404, {"Content-Type": "application/json"}, b"{}"
        elif authorization != media.authorization:
            status, body = 401, b'{"code": 20003, "message": "Authenticate", "status": 401}'
            headers = {"Content-Type": "application/json", "WWW-Authenticate": "Basic"}
        elif media.redirect_to:
            status, headers, body = 302, {"Location": media.redirect_to}, b""
        else:
            status, headers, body = 200, {"Content-Type": media.content_type}, media.data
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _respond(
        self, method: str, path: str, headers: dict[str, str], form: dict[str, str] | None
    ) -> tuple[int, dict[str, Any]]:
        split = urlsplit(path)
        parts = split.path.split("/")
        # /2010-04-01/Accounts/{AccountSid}/Messages.json
        if len(parts) != 5 or parts[2:5:2] != ["Accounts", "Messages.json"]:
            return 404, {"code": 20404, "message": "not found", "status": 404}
        if method == "GET":
            return 200, self._list(parts[3], parse_qs(split.query))
        if method != "POST":
            return 405, {"code": 20004, "message": "method not allowed", "status": 405}
        arrived = time.perf_counter()  # when the desk handed it over, before any delay
        with self.lock:
            self.creates += 1
            fault = self.faults.pop(0) if self.faults else None
        if self.latency:
            time.sleep(self.latency)
        if fault and fault.kind == "reject":
            return fault.status, _error(fault.status, fault.code, fault.message)
        if fault and fault.kind == "slow":
            time.sleep(fault.seconds)
        sent = self._accept(parts[3], form or {}, headers, arrived)
        if fault and fault.kind == "accept_then_hang":
            time.sleep(fault.seconds)
        if fault and fault.kind == "accept_then_500":
            return 500, _error(500, None, "internal error")
        return 201, _resource(sent)

    def _accept(
        self, account_sid: str, form: dict[str, str], headers: dict[str, str], arrived: float
    ) -> SentMessage:
        sent = SentMessage(
            account_sid=account_sid,
            sid="SM" + uuid.uuid4().hex,
            to=form.get("To", ""),
            from_=form.get("From", ""),
            body=form.get("Body", ""),
            status_callback=form.get("StatusCallback"),
            auth=headers.get("Authorization"),
            received_at=arrived,
        )
        with self.lock:
            self.sent.append(sent)
            self.by_address.setdefault(sent.to, []).append(sent)
        with self.arrived:
            self.arrived.notify_all()
        if self.callback_token and sent.status_callback:
            threading.Thread(target=self.report_delivery, args=(sent,), daemon=True).start()
        return sent

    def _list(self, account_sid: str, query: dict[str, list[str]]) -> dict[str, Any]:
        to, from_ = query.get("To", [None])[0], query.get("From", [None])[0]
        after = query.get("DateSent>", [None])[0]
        since = datetime.fromisoformat(after.replace("Z", "+00:00")) if after else None
        with self.lock:
            found = [
                m
                for m in self.sent
                if m.account_sid == account_sid
                and (to is None or m.to == to)
                and (from_ is None or m.from_ == from_)
                # Twilio's DateSent filter counts whole seconds.
                and (
                    since is None
                    or m.created.replace(microsecond=0) >= since.replace(microsecond=0)
                )
            ]
        messages = [_resource(m) for m in reversed(found)]  # newest first, as Twilio lists
        uri = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        return {
            "messages": messages,
            "end": max(len(messages) - 1, 0),
            "first_page_uri": uri,
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "previous_page_uri": None,
            "start": 0,
            "uri": uri,
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
            return list(self.by_address.get(address, ()))

    def wait(self, seconds: float) -> None:
        """Sleep until the next message arrives, or ``seconds`` pass."""
        with self.arrived:
            self.arrived.wait(seconds)


def _resource(sent: SentMessage) -> dict[str, Any]:
    return {
        "sid": sent.sid,
        "status": "queued",
        "to": sent.to,
        "from": sent.from_,
        "body": sent.body,
        "num_segments": "1",
        "account_sid": sent.account_sid,
        "error_code": None,
        "date_created": sent.created.strftime("%a, %d %b %Y %H:%M:%S +0000"),
    }


def _error(status: int, code: int | None, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "status": status,
        "more_info": "https://www.twilio.com/docs/errors",
    }
