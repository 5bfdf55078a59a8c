"""Extensions created unbound; ``create_app`` binds them."""

from __future__ import annotations

from flask_babel import gettext
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Inicia sesión para ver los casos."
# The message above is a msgid: shown in the agent's language.
login_manager.localize_callback = gettext


@login_manager.user_loader
def load_agent(agent_id: str):  # type: ignore[no-untyped-def]
    from desk.db import get_session
    from desk.models import Agent

    return get_session().get(Agent, int(agent_id))
