"""Storing what citizens send: the webhook's whole job, kept small so it answers at once."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from desk.db import utcnow
from desk.models import Conversation, Message
from desk.models import message as m
from desk.models.conversation import channel_of
from desk.services.queue import CHANNEL, notify_worker

MAX_BODY = 4096  # WhatsApp's own limit; SMS bodies arrive already joined by Twilio


class BadInbound(ValueError):
    """The webhook lacks a field every Twilio message has."""


@dataclass(frozen=True)
class Inbound:
    """One message as a Twilio webhook describes it, checked so that storing it cannot fail."""

    sid: str
    citizen_address: str
    desk_address: str
    body: str
    # {"url", "content_type"}; a link that is not kept is {"dropped": why, "content_type"}.
    media: list[dict[str, str]]
    profile_name: str | None

    # Class constants (unannotated, so not fields). Twilio sends at most 10 media.
    MAX_MEDIA = 10
    MAX_MEDIA_URL = 2048
    MAX_CONTENT_TYPE = 255

    @classmethod
    def from_twilio(cls, form: Mapping[str, str]) -> Inbound:
        missing = [name for name in ("MessageSid", "From", "To") if not form.get(name)]
        if missing:
            raise BadInbound(f"missing {', '.join(missing)}")
        raw = form.get("NumMedia") or "0"
        if not (len(raw) <= 2 and raw.isascii() and raw.isdigit()) or int(raw) > cls.MAX_MEDIA:
            raise BadInbound(
                f"NumMedia must be a whole number from 0 to {cls.MAX_MEDIA}, not {raw[:20]!r}"
            )
        media = []
        for i in range(int(raw)):
            url = form.get(f"MediaUrl{i}")
            if not url:
                continue
            content_type = cls._text(form.get(f"MediaContentType{i}"), cls.MAX_CONTENT_TYPE)
            dropped = cls._unkept_link(url)
            # A link not kept is noted, never stored: agents would open it.
            media.append(
                {"dropped": dropped, "content_type": content_type}
                if dropped
                else {"url": url, "content_type": content_type}
            )
        return cls(
            sid=cls._identifier(form, "MessageSid", Message.__table__.c.provider_sid),
            citizen_address=cls._identifier(form, "From", Conversation.__table__.c.citizen_address),
            desk_address=cls._identifier(form, "To", Conversation.__table__.c.desk_address),
            body=cls._text(form.get("Body"), MAX_BODY),
            media=media,
            profile_name=cls._text(
                form.get("ProfileName"), Conversation.__table__.c.profile_name.type.length
            )
            or None,
        )

    @staticmethod
    def _identifier(form: Mapping[str, str], name: str, column: sa.Column[str]) -> str:
        """A SID or an address: kept as given, or refused if the column cannot hold it."""
        value = form[name]
        if not value.isprintable():
            raise BadInbound(f"{name} has control characters")
        if len(value) > column.type.length:
            raise BadInbound(f"{name} is longer than {column.type.length} characters")
        return value

    @staticmethod
    def _text(value: str | None, limit: int) -> str:
        """Free text (the body, a name): NUL characters, which PostgreSQL cannot store,
        are removed; past ``limit`` it is cut."""
        return (value or "").replace("\x00", "")[:limit]

    @classmethod
    def _unkept_link(cls, url: str) -> str | None:
        """Why a media link is not kept, or None: only https links to somewhere are."""
        if url[:8].lower() != "https://":
            return "scheme"
        if len(url) <= 8 or len(url) > cls.MAX_MEDIA_URL or not url.isprintable() or " " in url:
            return "malformed"
        return None


def receive(session: Session, inbound: Inbound) -> int | None:
    """Store an inbound message once; returns its id, or None when its MessageSid was
    stored already (Twilio called again). Commits.

    In one transaction: the conversation (created on first contact, else its
    last_inbound_at and profile name brought up to date), the message, and the worker's
    wake-up. A repeated MessageSid rolls it all back, so a retry changes nothing.
    Plain SQL rather than the ORM's unit of work, which took two thirds of the CPU of a
    webhook that Twilio, and a burst of citizens, wait on. On PostgreSQL it is one
    statement: under a burst every round trip waits its turn for a CPU."""
    now = utcnow()
    connection = session.connection()
    conversation = {
        "channel": channel_of(inbound.citizen_address),
        "citizen_address": inbound.citizen_address,
        "desk_address": inbound.desk_address,
        "phone": inbound.citizen_address.removeprefix("whatsapp:"),
        "profile_name": inbound.profile_name,
        "now": now,
    }
    message = {"body": inbound.body, "media": inbound.media, "provider_sid": inbound.sid}
    if connection.dialect.name == "postgresql":
        message_id = connection.execute(_store_postgres(), conversation | message).scalar()
    else:
        conversation_id = connection.execute(
            _upsert_conversation(connection.dialect.name), conversation
        ).scalar_one()
        message_id = connection.execute(
            _insert_message(connection.dialect.name),
            message | {"conversation_id": conversation_id, "now": now},
        ).scalar()
    if message_id is None:
        session.rollback()
        return None
    if connection.dialect.name != "postgresql":
        notify_worker(session, m.INBOUND)  # PostgreSQL's NOTIFY is in the statement
    session.commit()
    return message_id


@functools.cache
def _store_postgres() -> sa.Insert:
    """The conversation's upsert as a CTE, the message, and NOTIFY in its RETURNING
    (evaluated only for a row inserted, so never for a repeated MessageSid)."""
    conversation = _upsert_conversation("postgresql").cte("conversation")
    table = Message.__table__
    columns = {
        "conversation_id": conversation.c.id,
        "direction": sa.literal(m.INBOUND, table.c.direction.type),
        "author": sa.literal(m.CITIZEN, table.c.author.type),
        "body": sa.bindparam("body", type_=table.c.body.type),
        "media": sa.bindparam("media", type_=table.c.media.type),
        "provider_sid": sa.bindparam("provider_sid", type_=table.c.provider_sid.type),
        "status": sa.literal(m.PENDING, table.c.status.type),
        # An INSERT … SELECT gets no Python-side defaults: each column is named here.
        "attempts": sa.literal(0, table.c.attempts.type),
        # UTCDateTime: the column's type stores an aware time as UTC.
        **{
            name: sa.bindparam("now", type_=table.c[name].type)
            for name in ("next_attempt_at", "created_at", "updated_at")
        },
    }
    return (
        postgresql.insert(table)
        .from_select(list(columns), sa.select(*columns.values()))
        .on_conflict_do_nothing(index_elements=[table.c.provider_sid])
        .returning(table.c.id, sa.func.pg_notify(CHANNEL, m.INBOUND))
    )


@functools.cache
def _upsert_conversation(dialect: str) -> sa.Insert:
    table = Conversation.__table__
    statement = _insert_for(dialect)(table).values(
        channel=sa.bindparam("channel"),
        citizen_address=sa.bindparam("citizen_address"),
        desk_address=sa.bindparam("desk_address"),
        phone=sa.bindparam("phone"),
        profile_name=sa.bindparam("profile_name"),
        last_inbound_at=sa.bindparam("now"),
        # A BAJA on another channel holds here too: it is the person's choice.
        opted_out=sa.exists().where(
            table.c.phone == sa.bindparam("phone"), table.c.opted_out.is_(True)
        ),
    )
    # The citizen's first two messages may arrive together: one creates, one updates.
    return statement.on_conflict_do_update(
        index_elements=[table.c.citizen_address, table.c.desk_address],
        set_={
            "last_inbound_at": statement.excluded.last_inbound_at,
            "profile_name": sa.func.coalesce(statement.excluded.profile_name, table.c.profile_name),
        },
    ).returning(table.c.id)


@functools.cache
def _insert_message(dialect: str) -> sa.Insert:
    table = Message.__table__
    return (
        _insert_for(dialect)(table)
        .values(
            conversation_id=sa.bindparam("conversation_id"),
            direction=m.INBOUND,
            author=m.CITIZEN,
            body=sa.bindparam("body"),
            media=sa.bindparam("media", type_=table.c.media.type),
            provider_sid=sa.bindparam("provider_sid"),
            status=m.PENDING,
            next_attempt_at=sa.bindparam("now"),
            created_at=sa.bindparam("now"),
            updated_at=sa.bindparam("now"),
        )
        .on_conflict_do_nothing(index_elements=[table.c.provider_sid])
        .returning(table.c.id)
    )


def _insert_for(dialect: str):  # type: ignore[no-untyped-def]
    """INSERT … ON CONFLICT, which both databases the desk runs on have."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


# --- when the database is down -----------------------------------------------------------
# Twilio does not retry a webhook that failed: a 5xx while the database restarts would
# lose the citizen's message. So a verified message that cannot be stored is written to
# a spool folder (one file each, readable by the desk only) and acknowledged; it is
# stored when the database is back, by the web process's next message or the worker.


def spool(inbound: Inbound, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"{_safe_name(inbound.sid)}.json"
    tmp = path.with_suffix(".tmp")
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(dataclasses.asdict(inbound), out, ensure_ascii=False)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)  # whole or not at all
    return path


def drain(session: Session, directory: Path) -> int:
    """Store the spooled messages (oldest first) and delete each once stored."""
    if not directory.is_dir():
        return 0
    stored = 0
    for path in sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime):
        data = json.loads(path.read_text(encoding="utf-8"))
        receive(session, Inbound(**data))
        path.unlink()
        stored += 1
    return stored


def _safe_name(sid: str) -> str:
    return "".join(ch for ch in sid if ch.isalnum())[:64] or "message"
