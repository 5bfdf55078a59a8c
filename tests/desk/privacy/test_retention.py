"""Retention: words and files of cases closed longer than retention_days ago are erased;
nothing newer, nothing an active case holds, nothing still queued."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from desk import privacy
from desk.db import utcnow
from desk.models import AuditEvent, Case, MediaFile, Message
from desk.models import case as c
from desk.models import message as m
from desk.privacy.retention import PurgeReport, purge
from desk.services import settings
from tests.desk.privacy.conftest import PHOTO, audit_details


@dataclass
class Desk:
    """A desk a year and more old: what retention must erase, and what it must keep."""

    expired: list[Message]  # must be erased
    kept: list[Message]  # must stay as they are
    old_case: Case
    recent_case: Case
    photo: MediaFile
    photo_path: Path


def _ago(days: int):
    return utcnow() - timedelta(days=days)


def _closed(case: Case, days_ago: int) -> Case:
    case.status, case.resolved_at, case.closed_at = c.CLOSED, _ago(days_ago + 7), _ago(days_ago)
    return case


@pytest.fixture
def desk(db, make_conversation, make_message, make_case, media_folder) -> Desk:
    old = make_conversation()
    old_case = _closed(make_case(old), days_ago=400)
    before_case = make_message(old, body="¿Cómo saco mi CURP?", status=m.DONE, created_at=_ago(420))
    in_case = make_message(
        old,
        body="Mi nombre es Juana Pérez",
        status=m.DONE,
        case_id=old_case.id,
        created_at=_ago(410),
        media=[{"url": "https://api.twilio.com/Media/ME1", "content_type": "image/jpeg"}],
    )
    answer = make_message(
        old,
        direction=m.OUTBOUND,
        author=m.AGENT,
        body="Gracias Juana",
        status=m.DONE,
        case_id=old_case.id,
        created_at=_ago(409),
    )
    recent_chat = make_message(old, body="hola otra vez", status=m.DONE, created_at=_ago(3))
    still_queued = make_message(old, body="sigo aquí", created_at=_ago(420))  # pending
    closed_lately = _closed(make_case(old), days_ago=10)
    of_closed_lately = make_message(
        old, body="mi folio anterior", status=m.DONE, case_id=closed_lately.id, created_at=_ago(400)
    )
    active = make_case(old)  # the citizen came back: a person is on it now
    held_by_active = make_message(
        old, body="lo de antes", status=m.DONE, case_id=active.id, created_at=_ago(400)
    )

    recent = make_conversation()
    recent_case = _closed(make_case(recent), days_ago=10)
    recent_message = make_message(
        recent, body="Soy Pedro", status=m.DONE, case_id=recent_case.id, created_at=_ago(12)
    )

    photo_path = media_folder / old.key / "0.jpg"
    photo_path.parent.mkdir()
    photo_path.write_bytes(PHOTO)
    photo = MediaFile(
        message_id=in_case.id,
        position=0,
        content_type="image/jpeg",
        size=len(PHOTO),
        path=f"{old.key}/0.jpg",
    )
    db.add(photo)
    db.commit()
    return Desk(
        expired=[before_case, in_case, answer],
        kept=[recent_chat, still_queued, held_by_active, of_closed_lately, recent_message],
        old_case=old_case,
        recent_case=recent_case,
        photo=photo,
        photo_path=photo_path,
    )


def _bodies(db, messages: list[Message]) -> list[str]:
    db.expire_all()
    return [message.body for message in messages]


def test_a_dry_run_counts_what_would_go_and_changes_nothing(db, desk):
    kept_before = _bodies(db, desk.kept)

    report = purge(db, dry_run=True)

    assert (report.cases, report.messages, report.media_files, report.bytes) == (
        1,
        3,
        1,
        len(PHOTO),
    )
    assert report.dry_run
    assert _bodies(db, desk.expired) == [
        "¿Cómo saco mi CURP?",
        "Mi nombre es Juana Pérez",
        "Gracias Juana",
    ]
    assert _bodies(db, desk.kept) == kept_before
    assert desk.photo_path.exists()
    assert audit_details(db, "privacy.purged") == []


def test_the_purge_erases_only_what_retention_ran_out_for(db, desk):
    kept_before = _bodies(db, desk.kept)

    report = purge(db)

    assert (report.cases, report.messages, report.media_files, report.bytes) == (
        1,
        3,
        1,
        len(PHOTO),
    )
    assert _bodies(db, desk.expired) == ["", "", ""]
    assert all(message.media == [] for message in desk.expired)
    assert not desk.photo_path.exists()
    assert db.get(MediaFile, desk.photo.id).path is None
    assert _bodies(db, desk.kept) == kept_before
    # Who wrote, when, and the case itself stay for the statistics.
    assert [message.author for message in desk.expired] == ["citizen", "citizen", "agent"]
    assert db.get(Case, desk.old_case.id).status == c.CLOSED
    [purged] = audit_details(db, "privacy.purged")
    assert purged == {
        "retention_days": 365,
        "cases": 1,
        "messages": 3,
        "media_files": 1,
        "bytes": len(PHOTO),
    }


def test_a_second_purge_finds_nothing_to_do(db, desk):
    purge(db)
    events = db.scalar(sa.select(sa.func.count()).select_from(AuditEvent))

    again = purge(db)
    dry = purge(db, dry_run=True)

    assert (again.cases, again.messages, again.media_files, again.bytes) == (0, 0, 0, 0)
    assert (dry.cases, dry.messages, dry.media_files, dry.bytes) == (0, 0, 0, 0)
    assert db.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events


def test_a_shorter_retention_setting_reaches_the_recent_closed_case(db, desk):
    settings.put(db, "retention_days", 5)
    db.commit()

    report = purge(db)

    assert report.cases == 3
    assert _bodies(db, desk.kept[-2:]) == ["", ""]  # the cases closed 10 days ago
    # Unless a message is still queued or an active case holds it.
    assert _bodies(db, desk.kept[1:3]) == ["sigo aquí", "lo de antes"]


def test_the_cutoff_is_counted_from_now(db, desk):
    report = purge(db, now=utcnow() - timedelta(days=100), dry_run=True)

    # A hundred days ago the old case had been closed 300 days: not yet.
    assert report == PurgeReport(dry_run=True, cutoff=report.cutoff)


@pytest.fixture
def runner(app):
    # create_app registers the command through privacy.init_app; registering it again
    # here keeps these tests about the command, not about the factory's wiring.
    privacy.init_app(app)
    return app.test_cli_runner()


def test_the_command_reports_a_dry_run_and_then_purges(runner, db, desk):
    dry = runner.invoke(args=["purge", "--dry-run"])

    assert dry.exit_code == 0, dry.output
    assert "would erase: 3 messages of 1 cases, 1 media files" in dry.output
    assert _bodies(db, desk.expired)[0] == "¿Cómo saco mi CURP?"

    real = runner.invoke(args=["purge"])

    assert real.exit_code == 0, real.output
    assert "erased: 3 messages of 1 cases, 1 media files" in real.output
    assert _bodies(db, desk.expired) == ["", "", ""]
    assert "assistant trackers still to forget: 0" in real.output


def test_the_app_factory_registers_the_purge_command(app):
    assert "purge" in app.cli.commands
