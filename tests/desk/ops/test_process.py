"""A serving process freezes what start-up built out of the garbage collector, so a full
collection no longer stops every thread of a web worker for tens of milliseconds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# What gunicorn does: import desk.wsgi, which builds the app from the environment.
SERVE = """
import gc, json, sys
import desk.wsgi
frozen = gc.get_freeze_count()
gc.collect()
print(json.dumps({
    "frozen": frozen,
    "objects_left": len(gc.get_objects()),
    "switch": sys.getswitchinterval(),
}))
"""


def test_the_web_process_freezes_the_app_it_built_before_serving(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}",
        "DESK_INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "s" * 40,
        "RASA_TOKEN": "r" * 32,
        "DESK_API_TOKEN": "d" * 32,
    }
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", SERVE],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    # Flask, SQLAlchemy's mappers, translations: far more than what a request leaves.
    assert seen["frozen"] > 50_000
    assert seen["objects_left"] < seen["frozen"] / 10
    assert seen["switch"] == 0.0005
