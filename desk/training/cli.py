"""``flask --app desk …`` commands for the trainers' loop."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the training commands."""
