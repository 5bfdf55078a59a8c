from __future__ import annotations

import hmac
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from desk.db import Base, utcnow
from desk.models.team import Team

AGENT = "agent"
SUPERVISOR = "supervisor"
TRAINER = "trainer"
ADMIN = "admin"
ROLES = (AGENT, SUPERVISOR, TRAINER, ADMIN)
LANGUAGES = ("es", "en")


class Agent(UserMixin, Base):
    """A person who works cases in the desk."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    active: Mapped[bool] = mapped_column(default=True)
    # What the agent may do: desk.permissions holds the matrix.
    role: Mapped[str] = mapped_column(sa.String(16), default=AGENT)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id"))
    language: Mapped[str] = mapped_column(sa.String(8), default="es")  # of the desk's UI
    # Taking cases: automatic assignment only gives cases to agents who are available.
    available: Mapped[bool] = mapped_column(default=False)
    available_changed_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    # Automatic assignment stops giving cases to an agent with this many active ones.
    max_active_cases: Mapped[int] = mapped_column(default=8)
    # Part of the signed session: rotated at logout, so a copied cookie stops working.
    session_token: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive agents
        return self.active

    team: Mapped[Team | None] = relationship()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # Sessions (desk.security.sessions): the token in an agent's session must match this one.

    def start_session(self) -> str:
        """A fresh token for a new login; sessions holding an older one are over."""
        self.session_token = secrets.token_urlsafe(32)
        return self.session_token

    def end_sessions(self) -> None:
        """End every session of this agent: the token rotates to one nobody holds."""
        self.session_token = secrets.token_urlsafe(32)

    def holds_session(self, token: object) -> bool:
        """Whether a session carrying ``token`` is still this agent's current one."""
        if not isinstance(token, str) or not token or not self.session_token:
            return False
        return hmac.compare_digest(self.session_token.encode(), token.encode())

    def deactivate(self) -> None:
        """Refuse this agent from now on, sessions already open included."""
        self.active = False
        self.end_sessions()
