"""The desk's copies on disk: private from the first byte, whole or absent, and gone
when a citizen's data is erased."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from desk.db import utcnow
from desk.media import fetch, storage
from desk.models import MediaFile
from tests.desk.media.conftest import JPEG, PDF, files_in


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_a_file_is_stored_by_year_and_month_under_a_random_name(app, media_folder):
    now = utcnow()

    with storage.MediaWriter("application/pdf", media_folder) as writer:
        writer.write(PDF)
        relative = writer.commit()

    assert re.fullmatch(rf"{now:%Y}/{now:%m}/[0-9a-f]{{32}}\.pdf", relative)
    assert (media_folder / relative).read_bytes() == PDF


def test_files_are_readable_by_the_desk_only(app, media_folder):
    with storage.MediaWriter("image/jpeg", media_folder) as writer:
        writer.write(JPEG)
        during = mode(writer.temporary)
        relative = writer.commit()

    stored = media_folder / relative
    assert during == mode(stored) == 0o600
    assert mode(stored.parent) == mode(stored.parent.parent) == mode(media_folder) == 0o700


def test_a_file_being_written_is_not_there_until_committed(app, media_folder):
    with storage.MediaWriter("image/jpeg", media_folder) as writer:
        writer.write(JPEG[:10])
        visible = [p.name for p in files_in(media_folder)]
        writer.write(JPEG[10:])
        relative = writer.commit()

    # Only the hidden temporary name existed while it was incomplete.
    assert visible == [writer.temporary.name]
    assert writer.temporary.name.startswith(".")
    assert files_in(media_folder) == [media_folder / relative]


def test_a_file_abandoned_half_way_leaves_nothing(app, media_folder):
    with pytest.raises(RuntimeError), storage.MediaWriter("image/jpeg", media_folder) as writer:
        writer.write(JPEG[:10])
        raise RuntimeError("the connection dropped")

    assert files_in(media_folder) == []


def test_media_folder_setting_moves_the_files(app, tmp_path):
    app.config["MEDIA_FOLDER"] = str(tmp_path / "elsewhere")

    assert storage.media_root() == tmp_path / "elsewhere"


def test_the_default_folder_is_media_in_the_instance_folder(app):
    assert storage.media_root() == Path(app.instance_path) / "media"


def test_open_media_reads_the_stored_copy(make_message, stored_media):
    row = stored_media(make_message(), JPEG)

    with storage.open_media(row) as file:
        assert file.read() == JPEG


@pytest.mark.parametrize("path", [None, "2025/01/gone.jpg", "../../secret.txt", "/etc/passwd"])
def test_open_media_refuses_what_is_not_a_stored_file(app, make_message, path):
    row = MediaFile(id=1, message_id=1, position=0, content_type="image/jpeg", path=path)

    with pytest.raises(storage.MediaMissing):
        storage.open_media(row)


def test_erasing_a_message_deletes_its_files_and_forgets_their_paths(
    db, make_message, stored_media, media_folder
):
    message = make_message()
    stored_media(message, JPEG)
    stored_media(message, PDF, "application/pdf")
    other = stored_media(make_message(), JPEG)

    deleted = storage.erase_message_media(db, message)
    db.commit()

    rows = db.scalars(sa.select(MediaFile).where(MediaFile.message_id == message.id)).all()
    assert deleted == 2
    assert [(r.path, r.size, r.error) for r in rows] == [(None, None, "erased")] * 2
    # Someone else's file stays.
    assert files_in(media_folder) == [media_folder / other.path]


def test_an_erased_message_is_never_fetched_again(
    db, twilio, twilio_config, twilio_media, make_message
):
    # Erased before the fetcher ever saw it: no row existed yet.
    message = make_message(media=[{"url": twilio_media(), "content_type": "image/jpeg"}])

    assert storage.erase_message_media(db, message) == 0
    db.commit()
    fetch.fetch_pending(db, twilio_config)

    (row,) = db.scalars(sa.select(MediaFile).where(MediaFile.message_id == message.id))
    assert (row.path, row.error) == (None, "erased")
    assert twilio.media_requests == []


def test_erasing_a_file_already_missing_from_disk_still_forgets_it(
    db, make_message, stored_media, media_folder
):
    message = make_message()
    row = stored_media(message)
    (media_folder / row.path).unlink()

    assert storage.erase_message_media(db, message) == 0
    assert row.path is None
