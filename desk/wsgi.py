"""Entry point for gunicorn: ``gunicorn desk.wsgi:app``. Reads .env like the flask CLI."""

import sys

from dotenv import load_dotenv

from desk import create_app
from desk.worker import SWITCH_SECONDS

load_dotenv()
app = create_app()
# 64 threads a process: as in the worker, the thread holding a transaction's lock
# should not wait 5 ms for the GIL each time it comes back from the database.
sys.setswitchinterval(SWITCH_SECONDS)
