from __future__ import annotations

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from desk.transports.base import SendResult, TransportError

TIMEOUT_SECONDS = 15
OPTED_OUT = 21610
RETRYABLE_CODES = {20429, 21611}  # too many requests; the sender's queue is full


class TwilioTransport:
    """Sends through Twilio's REST API with the official client."""

    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, *, api_base_url: str | None = None):
        self.client = Client(
            account_sid, auth_token, http_client=TwilioHttpClient(timeout=TIMEOUT_SECONDS)
        )
        if api_base_url:
            # A local stand-in for Twilio's API (tests, staging). Edge and region
            # stay unset: they would rewrite the host back to twilio.com.
            self.client.api.base_url = api_base_url.rstrip("/")

    def send(self, *, to: str, from_: str, body: str, status_callback: str | None) -> SendResult:
        options = {"status_callback": status_callback} if status_callback else {}
        try:
            sent = self.client.messages.create(to=to, from_=from_, body=body, **options)
        except (TwilioRestException, TwilioServiceException) as error:
            # twilio 9.10+ raises TwilioServiceException (not a TwilioRestException)
            # for RFC 9457 answers; both carry the HTTP status and Twilio's code.
            raise _classify(error) from error
        except (TwilioException, requests.RequestException) as error:
            # No answer from Twilio at all: the message was not accepted, try again.
            raise TransportError(f"Twilio unreachable: {error}", retryable=True) from error
        return SendResult(sid=sent.sid, status=sent.status or "queued")


def _classify(error: TwilioRestException | TwilioServiceException) -> TransportError:
    code, status = error.code, error.status
    detail = getattr(error, "msg", None) or getattr(error, "detail", None) or ""
    text = f"Twilio {status}" + (f" error {code}" if code else "") + f": {detail}"
    if code == OPTED_OUT:
        return TransportError(text, code=code, http_status=status, opted_out=True)
    retryable = status == 429 or status >= 500 or code in RETRYABLE_CODES
    return TransportError(text, code=code, http_status=status, retryable=retryable)
