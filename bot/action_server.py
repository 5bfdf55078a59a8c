"""The action server, locked down: ``python -m bot.action_server [--port 5055]``.

rasa-sdk's own runner listens on every interface (SANIC_HOST defaults to 0.0.0.0)
and asks no credentials, while the actions hold DESK_API_TOKEN: anyone who reaches
it could post a forged tracker and open cases or read folios for any conversation.
Here it listens on 127.0.0.1 unless SANIC_HOST says otherwise, and every call but
/health must carry ``Authorization: Bearer $ACTION_SERVER_TOKEN``, which Rasa sends
from ``action_endpoint.headers`` in its endpoints file. A failing action answers a
plain 500: rasa-sdk's would echo the whole tracker (the citizen's messages) back.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

log = logging.getLogger(__name__)
DEFAULT_PORT = 5055


def build(token: str, package: str = "actions") -> Sanic:
    if not token:
        raise SystemExit("ACTION_SERVER_TOKEN is not set: the action server refuses to start open")
    app = create_app(package, cors_origins=None)

    @app.middleware("request")
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path == "/health":
            return None
        header = request.headers.get("Authorization", "")
        given = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        if not given or not hmac.compare_digest(given.encode(), token.encode()):
            return response.json({"error": "a valid token is required"}, status=401)
        return None

    def failed(request: Request, exception: Exception) -> HTTPResponse:
        # The type only: the message of an exception can quote the tracker.
        log.error("action failed on %s: %s", request.path, type(exception).__name__)
        return response.json({"error": "the action failed"}, status=500)

    app.error_handler.add(Exception, failed)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("ACTIONS_PORT", DEFAULT_PORT))
    )
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = build(os.environ.get("ACTION_SERVER_TOKEN", ""))
    host = os.environ.get("SANIC_HOST", "127.0.0.1")
    log.info("action server on http://%s:%s", host, args.port)
    app.run(host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)


if __name__ == "__main__":
    main()
