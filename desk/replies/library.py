"""The prepared messages themselves: canned replies and WhatsApp templates as the
admins keep them. Every change commits and leaves an audit event."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desk.models import Agent, CannedReply, WhatsAppTemplate
from desk.services import audit


class Taken(ValueError):
    """Another canned reply has that shortcut, or another template that name."""


def canned_replies(session: Session) -> list[CannedReply]:
    """All of them, active first, by shortcut."""
    return list(
        session.scalars(
            sa.select(CannedReply).order_by(CannedReply.active.desc(), CannedReply.shortcut)
        )
    )


def active_canned(session: Session) -> list[CannedReply]:
    return list(
        session.scalars(
            sa.select(CannedReply)
            .where(CannedReply.active.is_(True))
            .order_by(CannedReply.shortcut)
        )
    )


def whatsapp_templates(session: Session) -> list[WhatsAppTemplate]:
    """All of them, active first, by name."""
    return list(
        session.scalars(
            sa.select(WhatsAppTemplate).order_by(
                WhatsAppTemplate.active.desc(), WhatsAppTemplate.name
            )
        )
    )


def shortcut_taken(session: Session, shortcut: str, but: int | None = None) -> bool:
    query = sa.select(CannedReply.id).where(CannedReply.shortcut == shortcut)
    if but is not None:
        query = query.where(CannedReply.id != but)
    return session.scalar(query) is not None


def template_name_taken(session: Session, name: str, but: int | None = None) -> bool:
    query = sa.select(WhatsAppTemplate.id).where(WhatsAppTemplate.name == name)
    if but is not None:
        query = query.where(WhatsAppTemplate.id != but)
    return session.scalar(query) is not None


def save_canned(
    session: Session, agent: Agent, reply: CannedReply | None, **fields: Any
) -> CannedReply:
    """Create (``reply`` None) or change a canned reply. Commits; raises Taken."""
    if shortcut_taken(session, fields["shortcut"], reply.id if reply else None):
        raise Taken(f"ya hay una respuesta con el atajo /{fields['shortcut']}")
    created = reply is None
    reply = reply or CannedReply(active=True)
    for key in ("shortcut", "title", "body_es", "body_en"):
        setattr(reply, key, fields[key])
    return _commit(
        session,
        reply,
        Taken(f"ya hay una respuesta con el atajo /{fields['shortcut']}"),
        "canned_reply.created" if created else "canned_reply.changed",
        agent,
        shortcut=reply.shortcut,
    )


def save_template(
    session: Session, agent: Agent, template: WhatsAppTemplate | None, **fields: Any
) -> WhatsAppTemplate:
    """Create (``template`` None) or change a WhatsApp template. Commits; raises Taken."""
    if template_name_taken(session, fields["name"], template.id if template else None):
        raise Taken(f"ya hay una plantilla llamada {fields['name']}")
    created = template is None
    template = template or WhatsAppTemplate(active=True)
    for key in ("name", "content_sid", "language", "body", "variables", "purpose"):
        setattr(template, key, fields[key])
    return _commit(
        session,
        template,
        Taken(f"ya hay una plantilla llamada {fields['name']}"),
        "whatsapp_template.created" if created else "whatsapp_template.changed",
        agent,
        name=template.name,
    )


def set_active(
    session: Session, agent: Agent, item: CannedReply | WhatsAppTemplate, active: bool
) -> None:
    """Deactivate (kept for the record, no longer offered) or reactivate. Commits."""
    if item.active == active:
        return
    item.active = active
    kind = "canned_reply" if isinstance(item, CannedReply) else "whatsapp_template"
    label = item.shortcut if isinstance(item, CannedReply) else item.name
    audit.record(
        session,
        f"{kind}.{'activated' if active else 'deactivated'}",
        actor="agent",
        agent=agent,
        item_id=item.id,
        label=label,
    )
    session.commit()


def _commit(
    session: Session,
    item: CannedReply | WhatsAppTemplate,
    taken: Taken,
    action: str,
    agent: Agent,
    **details: Any,
) -> Any:
    session.add(item)
    try:
        # Two admins saving the same shortcut at once: the unique index decides.
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise taken from None
    audit.record(session, action, actor="agent", agent=agent, item_id=item.id, **details)
    session.commit()
    return item
