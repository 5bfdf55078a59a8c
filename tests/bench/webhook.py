"""Benchmark: the inbound webhook's own work (signature check, dedupe, store, commit).

Runs in-process with Flask's test client on SQLite and on PostgreSQL, against a
baseline in the same run: GET /health, which costs the same request handling with
no work. Usage: .venv-desk/bin/python tests/bench/webhook.py [requests]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from desk import create_app  # noqa: E402
from desk.cli import upgrade_database  # noqa: E402
from tests.bench.stats import summary  # noqa: E402
from tests.support.postgres import temporary_schema, unreachable_reason  # noqa: E402

TOKEN = "bench-token"
BASE = "https://desk.example.test"


def run(database_url: str, count: int) -> None:
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "PUBLIC_BASE_URL": BASE,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "DESK_API_TOKEN": "x",
            "RASA_TOKEN": "y",
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        upgrade_database()
    client = app.test_client()
    validator = RequestValidator(TOKEN)
    url = f"{BASE}/channels/twilio/inbound"
    webhook, baseline = [], []
    for i in range(count + 100):  # the first 100 warm up caches and connections
        params = {
            "MessageSid": "SM" + uuid.uuid4().hex,
            "AccountSid": "AC1",
            "From": f"whatsapp:+52155{i % 500:08d}",
            "To": "whatsapp:+525500000000",
            "Body": "hola, k necesito pa sacar el pasaporte",
            "NumMedia": "0",
        }
        headers = {"X-Twilio-Signature": validator.compute_signature(url, params)}
        start = time.perf_counter()
        response = client.post("/channels/twilio/inbound", data=params, headers=headers)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, response.data
        start = time.perf_counter()
        client.get("/health")
        base = (time.perf_counter() - start) * 1000
        if i >= 100:
            webhook.append(elapsed)
            baseline.append(base)
    backend = database_url.split(":")[0]
    print(summary(f"[{backend}] baseline GET /health", baseline))
    print(summary(f"[{backend}] POST /channels/twilio/inbound", webhook))


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    os.environ["DESK_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="bench-instance-")
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.db", count)
    reason = unreachable_reason()
    if reason:
        print(f"PostgreSQL skipped: {reason}")
        return
    with temporary_schema("bench") as url:
        run(url, count)


if __name__ == "__main__":
    main()
