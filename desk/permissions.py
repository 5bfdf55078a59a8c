"""Who may do what: the one place the desk's roles meet its routes.

Every view of the desk declares the permission it needs with ``@requires``; a view
without one is public only if it is listed in PUBLIC_ENDPOINTS (a test walks the URL
map and fails on any view that is neither). Templates ask ``can('…')``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort
from flask_login import current_user, login_required

from desk.models.agent import ADMIN, AGENT, SUPERVISOR, TRAINER

# What each permission lets a person do.
WORK_CASES = "work_cases"  # see the queue and cases, claim, reply, note, resolve
ASSIGN_CASES = "assign_cases"  # give a case to someone else, reassign
SEE_PHONES = "see_phones"  # the citizen's full number (others see it masked)
VIEW_DASHBOARD = "view_dashboard"  # the supervisors' dashboard and the CSV of cases
PRIVACY_REQUESTS = "privacy_requests"  # export and erase what is stored about a number
MANAGE_DESK = "manage_desk"  # users, teams, SLA targets, canned replies, templates, settings
TRAIN_ASSISTANT = "train_assistant"  # the trainers' loop: conversations to NLU data
PERMISSIONS = (
    WORK_CASES,
    ASSIGN_CASES,
    SEE_PHONES,
    VIEW_DASHBOARD,
    PRIVACY_REQUESTS,
    MANAGE_DESK,
    TRAIN_ASSISTANT,
)

MATRIX: dict[str, frozenset[str]] = {
    AGENT: frozenset({WORK_CASES}),
    SUPERVISOR: frozenset({WORK_CASES, ASSIGN_CASES, SEE_PHONES, VIEW_DASHBOARD, PRIVACY_REQUESTS}),
    # Trainers read conversations to improve the assistant; they do not answer citizens
    # and never see full numbers.
    TRAINER: frozenset({TRAIN_ASSISTANT}),
    ADMIN: frozenset(PERMISSIONS),
}

# Reachable without signing in: the citizen-facing and machine-facing endpoints, each
# with its own check (Twilio's signature, the API token, or nothing to protect).
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "home",
        "health",
        "auth.login",
        "auth.logout",
        "channels.twilio_inbound",
        "channels.twilio_status",
        "privacy.notice",
        "ops.healthz",
        "ops.readyz",
        "ops.prometheus_metrics",
    }
)
# Machine-to-machine blueprints, protected by their own tokens or Twilio's signature.
PUBLIC_BLUEPRINTS = frozenset({"api", "simulator", "model_server"})

View = TypeVar("View", bound=Callable[..., Any])


def allowed(role: str | None, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    return permission in MATRIX.get(role or "", frozenset())


def can(permission: str) -> bool:
    """Whether the signed-in person has ``permission``."""
    return bool(current_user.is_authenticated) and allowed(current_user.role, permission)


def requires(permission: str) -> Callable[[View], View]:
    """Sign-in plus ``permission``; 403 for a signed-in person without it."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not can(permission):
                from flask_babel import gettext

                abort(403, gettext("Tu rol no permite esta acción."))
            return view(*args, **kwargs)

        checked = login_required(guarded)
        checked.required_permission = permission  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def signed_in(view: View) -> View:
    """Any signed-in person, whatever the role (their own preferences, signing out)."""
    checked = login_required(view)
    checked.required_permission = None  # type: ignore[attr-defined]
    return checked  # type: ignore[return-value]


def mask_phone(phone: str | None) -> str:
    """+52 55 •••• 5678: enough to tell two citizens apart, not to call them."""
    if not phone:
        return ""
    digits = phone.removeprefix("whatsapp:")
    return digits[:5] + "•" * max(0, len(digits) - 9) + digits[-4:] if len(digits) > 8 else "••••"


def shown_phone(phone: str | None) -> str:
    """The number as the signed-in person may see it."""
    return (phone or "").removeprefix("whatsapp:") if can(SEE_PHONES) else mask_phone(phone)


# Sections other packages add to the top bar: (endpoint, label, permission), in order.
NAV: list[tuple[str, str, str]] = []


def add_nav(endpoint: str, label: str, permission: str) -> None:
    """A package's section in the top bar, shown to those with ``permission``."""
    if (endpoint, label, permission) not in NAV:
        NAV.append((endpoint, label, permission))


def extra_nav() -> list[dict[str, str]]:
    from flask import url_for
    from flask_babel import gettext

    return [
        {"url": url_for(endpoint), "label": gettext(label)}
        for endpoint, label, permission in NAV
        if can(permission)
    ]


ROLE_LABELS = {AGENT: "Agente", SUPERVISOR: "Supervisor", TRAINER: "Entrenador", ADMIN: "Admin"}


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        can=can, shown_phone=shown_phone, extra_nav=extra_nav, roles=ROLE_LABELS
    )
