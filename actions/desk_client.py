"""The action server's only door to the desk: its JSON API, with the service token."""

from __future__ import annotations

import os
from typing import Any

import requests


class DeskError(Exception):
    """The desk could not do what was asked (down, refused, or answered nonsense)."""


class CaseNotFound(DeskError):
    """No such case for this conversation (or not theirs: the desk does not say which)."""


class DeskClient:
    def __init__(self, base_url: str, token: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.http = requests.Session()

    @classmethod
    def from_env(cls) -> DeskClient:
        token = os.environ.get("DESK_API_TOKEN")
        if not token:
            raise DeskError("DESK_API_TOKEN is not set for the action server")
        # Not PORT: honcho gives every process its own.
        base_url = os.environ.get("DESK_URL") or "http://127.0.0.1:5000"
        return cls(base_url, token)

    def open_case(
        self, conversation: str, *, reason: str, topic: str | None = None
    ) -> dict[str, Any]:
        """Hand the conversation to people; returns the case (with its folio)."""
        return self._request(
            "POST",
            "/api/v1/cases",
            json={"conversation": conversation, "reason": reason, "topic": topic},
        )

    def case_status(self, folio: str, *, conversation: str) -> dict[str, Any] | None:
        """The case behind ``folio`` if this conversation's number opened it, else None.

        Both go in the body, never in the URL: access logs keep URLs, and the
        conversation key is the citizen's Rasa sender id.
        """
        try:
            case = self._request(
                "POST",
                "/api/v1/cases/lookup",
                json={"folio": folio, "conversation": conversation},
            )
        except CaseNotFound:
            return None
        if not isinstance(case.get("status"), str):
            raise DeskError("desk answered a case without a status")
        return case

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.http.request(
                method,
                self.base_url + path,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout,
                **kwargs,
            )
        except requests.RequestException as error:
            raise DeskError(f"desk unreachable: {error}") from error
        if response.status_code == 404:
            raise CaseNotFound(response.text[:200])
        if response.status_code >= 300:
            raise DeskError(f"desk answered {response.status_code}: {response.text[:200]}")
        try:
            answer = response.json()
        except ValueError as error:
            raise DeskError("desk answered non-JSON") from error
        if not isinstance(answer, dict):
            raise DeskError("desk answered JSON that is not an object")
        return answer


_client: DeskClient | None = None


def desk() -> DeskClient:
    """One client per action-server process, built on first use (not at import)."""
    global _client
    if _client is None:
        _client = DeskClient.from_env()
    return _client
