"""``flask --app desk purge [--dry-run]``: retention, run by hand."""

from __future__ import annotations

import click
from flask import current_app

from desk.db import get_session
from desk.privacy import retention, services


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be erased.")
def purge_command(dry_run: bool) -> None:
    """Erase messages and files of cases closed longer than retention_days ago, and
    retry the assistant trackers an erasure could not forget."""
    session = get_session()
    report = retention.purge(session, dry_run=dry_run)
    verb = "would erase" if dry_run else "erased"
    click.echo(
        f"{verb}: {report.messages} messages of {report.cases} cases, "
        f"{report.media_files} media files ({report.bytes} bytes); "
        f"cases closed before {report.cutoff:%Y-%m-%d %H:%M} UTC"  # type: ignore[str-format]
    )
    pending = services.pending_trackers(session)
    if dry_run or not pending:
        click.echo(f"assistant trackers still to forget: {len(pending)}")
        return
    bot = services.bot_for(current_app.config)
    forgotten, still = services.forget_trackers(session, pending, bot)
    click.echo(f"assistant trackers forgotten: {forgotten}, still to forget: {still}")
