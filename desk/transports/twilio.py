from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from desk.transports.base import SendResult, SentMessage, TransportError

TIMEOUT_SECONDS = 15.0
OPTED_OUT = 21610
RETRYABLE_CODES = {20429, 21611}  # too many requests; the sender's queue is full
LOOKUP_LIMIT = 200
# Twilio's clock and ours: a send is looked up from a little before it began.
CLOCK_SKEW = timedelta(seconds=60)


class TwilioTransport:
    """Sends through Twilio's REST API with the official client."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        api_base_url: str | None = None,
        timeout: float = TIMEOUT_SECONDS,
        connections: int = 16,
    ):
        http = TwilioHttpClient(timeout=timeout)
        # twilio keeps cpu_count + 4 connections: with more sending threads than that,
        # each send past them opened (and closed) its own TLS connection to Twilio.
        assert http.session is not None
        for scheme in ("https://", "http://"):
            http.session.mount(scheme, HTTPAdapter(pool_maxsize=connections))
        self.client = Client(account_sid, auth_token, http_client=http)
        if api_base_url:
            # A local stand-in for Twilio's API (tests, staging). Edge and region
            # stay unset: they would rewrite the host back to twilio.com.
            self.client.api.base_url = api_base_url.rstrip("/")

    def send(
        self,
        *,
        to: str,
        from_: str,
        body: str,
        status_callback: str | None,
        content_sid: str | None = None,
        content_variables: dict[str, str] | None = None,
    ) -> SendResult:
        options: dict[str, Any] = {"status_callback": status_callback} if status_callback else {}
        if content_sid:
            # A WhatsApp template: Twilio builds the text; a body beside it would be
            # sent as free text, which fails outside the 24-hour window (63016).
            options["content_sid"] = content_sid
            options["content_variables"] = json.dumps(content_variables or {})
        else:
            options["body"] = body
        try:
            sent = self.client.messages.create(to=to, from_=from_, **options)
        except (TwilioRestException, TwilioServiceException) as error:
            # twilio 9.10+ raises TwilioServiceException (not a TwilioRestException)
            # for RFC 9457 answers; both carry the HTTP status and Twilio's code.
            raise _classify(error) from None
        except (requests.ConnectTimeout, requests.exceptions.SSLError) as error:
            raise TransportError(_unreached(error), retryable=True) from None
        except requests.ConnectionError as error:
            # Refused before anything was sent, or cut after: only the first is clear.
            unclear = not _never_connected(error)
            raise TransportError(_unreached(error), retryable=True, unclear=unclear) from None
        except requests.RequestException as error:
            # A read timeout: Twilio may well have accepted it and be slow to say so.
            raise TransportError(_unreached(error), unclear=True) from None
        except TwilioException as error:
            raise TransportError(
                f"Twilio client error: {type(error).__name__}", unclear=True
            ) from None
        return SendResult(sid=sent.sid, status=sent.status or "queued")

    def sent_since(self, *, to: str, from_: str, since: datetime) -> list[SentMessage]:
        """Newest first, back to ``since``. Not filtered by DateSent: a message Twilio
        accepted but has not sent yet has no date sent, and it is the one to find."""
        found: list[SentMessage] = []
        try:
            for message in self.client.messages.stream(
                to=to, from_=from_, limit=LOOKUP_LIMIT, page_size=50
            ):
                created = message.date_created
                if created is not None and created < since - CLOCK_SKEW:
                    break
                found.append(
                    SentMessage(
                        sid=message.sid,
                        body=message.body or "",
                        status=message.status or "",
                        created_at=created,
                    )
                )
        except (TwilioRestException, TwilioServiceException) as error:
            raise TransportError(
                f"Twilio {error.status} looking up sent messages", http_status=error.status
            ) from None
        except (TwilioException, requests.RequestException) as error:
            raise TransportError(f"looking up sent messages: {_unreached(error)}") from None
        return found


def _classify(error: TwilioRestException | TwilioServiceException) -> TransportError:
    code, status = error.code, error.status
    detail = getattr(error, "msg", None) or getattr(error, "detail", None) or ""
    text = f"Twilio {status}" + (f" error {code}" if code else "") + f": {detail}"[:300]
    if code == OPTED_OUT:
        return TransportError(text, code=code, http_status=status, opted_out=True)
    if status >= 500:
        # The request arrived; whether the message was accepted before the failure
        # is unknown until Twilio's list says so.
        return TransportError(text, code=code, http_status=status, unclear=True)
    retryable = status == 429 or code in RETRYABLE_CODES
    return TransportError(text, code=code, http_status=status, retryable=retryable)


def _never_connected(error: requests.ConnectionError) -> bool:
    """Whether the connection itself failed (refused, no route, DNS), so nothing was sent."""
    text = repr(error)
    return any(
        sign in text
        for sign in (
            "NewConnectionError",
            "Connection refused",
            "NameResolutionError",
            "Failed to resolve",
            "No route to host",
            "Network is unreachable",
        )
    )


def _unreached(error: Exception) -> str:
    # The type only: requests' messages quote the URL, with the account SID in it.
    return f"Twilio unreachable ({type(error).__name__})"
