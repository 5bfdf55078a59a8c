"""Stand-ins for the ops tests: Rasa servers on local ports, and a Prometheus scrape."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@dataclass
class FakeRasa:
    """Answers GET /webhooks/desk/ like the Rasa desk channel's health route."""

    status: int = 200
    delay: float = 0.0
    paths: list[str] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def rasa_server() -> Iterator[Callable[..., FakeRasa]]:
    servers: list[ThreadingHTTPServer] = []

    def start(**options) -> FakeRasa:
        rasa = FakeRasa(**options)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                rasa.paths.append(self.path)
                time.sleep(rasa.delay)
                status = rasa.status if self.path == "/webhooks/desk/" else 404
                body = json.dumps({"status": "ok"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        rasa.url = f"http://127.0.0.1:{server.server_address[1]}"
        return rasa

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def closed_port_url() -> str:
    """A local URL nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def scrape(client: FlaskClient) -> Samples:
    """GET /metrics, parsed: {(sample name, sorted labels): value}."""
    response = client.get("/metrics")
    assert response.status_code == 200
    samples: Samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 when the series does not exist (yet)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
