"""Shared by both runtimes: keep this free of desk (3.11) and rasa (3.10) imports."""

import os

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
