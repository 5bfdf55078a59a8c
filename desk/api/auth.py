from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, request


def service_token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only the action server, holding DESK_API_TOKEN, may call the view."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        expected = current_app.config["DESK_API_TOKEN"]
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            abort(401, "a valid service token is required (Authorization: Bearer …)")
        return view(*args, **kwargs)

    return wrapper
