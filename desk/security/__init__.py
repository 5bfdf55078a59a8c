"""The desk's web security, switched on in one place by ``create_app``.

- ``proxies``: the client's address behind trusted reverse proxies only;
- ``headers``: Content-Security-Policy and the other security headers on every answer;
- ``limiter``: login rate limits, per address and per account, counted in Redis or
  in the database (``rate_limit_storage``);
- ``sessions``: sessions ended server-side and after an idle time;
- ``demo_agent``: the sandbox's demo agent retired whenever Twilio is configured;
- ``secret_files``: secrets written to disk private from their first byte.
"""

from __future__ import annotations

from flask import Flask

from desk.security import demo_agent, headers, limiter, proxies, sessions


def init_app(app: Flask) -> None:
    proxies.init_app(app)
    headers.init_app(app)
    limiter.init_app(app)
    sessions.init_app(app)
    demo_agent.retire_at_start_up(app)
