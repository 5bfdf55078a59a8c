"""``flask --app desk …`` commands for the trainers' loop.

``training-runner`` is the Procfile's ``trainer`` process: it runs the queued training
jobs one at a time until SIGTERM. ``training-patch`` shows what the review inbox has
written into the NLU data and the held-out set, as a diff to review and commit.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app

from desk.training import runner

PATCHED = ("data/nlu", "tests/nlu")


def init_app(app: Flask) -> None:
    """Registers the training commands."""
    app.cli.add_command(training_runner)
    app.cli.add_command(training_patch)


@click.command("training-runner")
@click.option("--idle", default=5.0, show_default=True, help="Seconds between looks at the queue.")
def training_runner(idle: float) -> None:
    """Run queued training jobs, one at a time, until stopped."""
    stopping = threading.Event()

    def stop(_signum: int, _frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if current_app.config["TRAINING_NICE"] > 0:
        os.nice(current_app.config["TRAINING_NICE"])  # the commands it starts inherit it
    name = f"{socket.gethostname()}:{os.getpid()}"
    click.echo(f"training runner {name} waiting for jobs")
    runner.serve(current_app._get_current_object(), name, stopping, idle_seconds=idle)  # type: ignore[attr-defined]


@click.command("training-patch")
def training_patch() -> None:
    """Print the pending changes to data/nlu and tests/nlu as a unified diff."""
    root = Path(current_app.config["TRAINING_DATA_ROOT"])
    click.echo(patch(root), nl=False)


def patch(root: Path) -> str:
    """`git diff` of the reviewed examples in ``root`` (new files too), or why there is none."""
    try:
        inside = _git(root, "rev-parse", "--is-inside-work-tree")
    except OSError:
        inside = None
    if inside is None or inside.returncode != 0 or inside.stdout.strip() != "true":
        return f"{root} is not a git checkout: there is no diff to show.\n"
    parts = [_git(root, "diff", "--", *PATCHED).stdout]
    # A file the inbox created is untracked, and `git diff` alone would not show it.
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "--", *PATCHED)
    for name in untracked.stdout.splitlines():
        parts.append(_git(root, "diff", "--no-index", "--", "/dev/null", name).stdout)
    return "".join(parts) or "No pending changes in data/nlu or tests/nlu.\n"


def _git(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *arguments], cwd=root, capture_output=True, text=True, check=False
    )
