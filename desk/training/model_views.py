"""The assistant's models: the gate's comparison, publishing, rolling back, and the
model server every Rasa server pulls the live model from."""

from __future__ import annotations

from desk.training.views import bp  # noqa: F401  (these routes join the training blueprint)
