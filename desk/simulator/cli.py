"""``flask --app desk simulate-day``: a day of citizens' conversations for the trainers.

It plays data/simulation/day.yml (desk.simulator.day) through the desk's inbound route
while the stack runs (``make run``), then says how the assistant did and how many
messages now wait in the review inbox.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from desk.db import get_session
from desk.simulator import day


def init_app(app: Flask) -> None:
    """Registers the simulator's command."""
    app.cli.add_command(simulate_day)


@click.command("simulate-day")
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=day.DEFAULT_FILE,
    show_default=True,
    help="The day's conversations.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Play only the first N conversations.")
@click.option(
    "--pace",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds between conversations.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=90.0,
    show_default=True,
    help="Seconds to wait for each message to be handled; 0 posts without waiting.",
)
@with_appcontext
def simulate_day(path: Path, limit: int | None, pace: float, timeout: float) -> None:
    """Play a simulated day of citizens' conversations through the running desk."""
    config = current_app.config
    if not config["TWILIO_SANDBOX"] and not config.get("TWILIO_API_BASE_URL"):
        # The replies would go to Twilio, addressed to invented numbers.
        raise click.ClickException(
            "Twilio is configured: the assistant's replies would be sent for real. "
            "Run the simulated day in the sandbox (no TWILIO_ACCOUNT_SID), "
            "or against a stand-in (TWILIO_API_BASE_URL)."
        )
    try:
        conversations = day.load(path)[:limit]
    except day.DayFileError as error:
        raise click.ClickException(str(error)) from error
    session = get_session()
    running = day.worker_is_running(session, config["WORKER_HEARTBEAT_MAX_AGE_SECONDS"])
    session.close()
    if timeout > 0 and not running:
        raise click.ClickException(
            "No worker is running, so nothing would answer: start the stack (make run), "
            "or pass --timeout 0 to only store the messages."
        )
    click.echo(f"Playing {len(conversations)} conversations from {path}")
    try:
        summary = day.play(
            conversations, timeout=timeout, pace=pace, on_conversation=_progress(len(conversations))
        )
    except day.Refused as error:
        raise click.ClickException(str(error)) from error
    _report(summary, waited=timeout > 0)


def _progress(total: int) -> Callable[[int, day.CitizenConversation, list[str]], None]:
    def echo(number: int, conversation: day.CitizenConversation, outcomes: list[str]) -> None:
        said = ", ".join(outcomes)
        click.echo(f"  {number:>3}/{total} {conversation.channel:<8} {conversation.phone}  {said}")

    return echo


def _report(summary: day.Summary, *, waited: bool) -> None:
    rows = [("Conversations", str(summary.conversations)), ("Messages", str(summary.messages))]
    if waited:
        rows += [
            ("Answered", f"{summary.answered} messages, by the assistant"),
            (
                "Handed to a person",
                f"{summary.handed_over} conversations ({summary.to_person} messages)",
            ),
        ]
        if summary.quiet:
            rows.append(("No reply due", f"{summary.quiet} (ratings, consent words)"))
        if summary.no_reply:
            rows.append(("Not handled in time", f"{summary.no_reply} (is Rasa up? see the worker)"))
    else:
        rows.append(("Replies", "not waited for (--timeout 0); the worker answers when it runs"))
    rows.append(
        (
            "Review inbox",
            f"{summary.waiting_review} messages wait ({summary.waiting_from_day} from this day)",
        )
    )
    for label, value in rows:
        click.echo(f"{label + ':':<21}{value}")
