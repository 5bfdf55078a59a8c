"""Training jobs in the desk: queue one, follow its progress and log."""

from __future__ import annotations

from desk.training.views import bp  # noqa: F401  (these routes join the training blueprint)
