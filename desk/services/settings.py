"""Desk settings admins change from the desk, with the defaults a new desk starts with.

Read through ``get``: a value an admin saved wins over the default. Environment
variables stay for what an operator sets at deployment (desk/config.py).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from desk.models import Setting, SlaTarget
from desk.models import case as c

# key -> (default, type, what it means: shown on the admins' settings page)
DEFAULTS: dict[str, tuple[Any, type, str]] = {
    "reopen_window_hours": (
        72,
        int,
        "Horas tras resolver en que un mensaje del ciudadano reabre su caso",
    ),
    "auto_close_days": (7, int, "Días tras resolver en que un caso se cierra"),
    "retention_days": (
        365,
        int,
        "Días tras cerrar un caso en que se borran sus mensajes y adjuntos",
    ),
    "offline_handback_minutes": (
        15,
        int,
        "Minutos sin conexión tras los que los casos sin responder de un agente vuelven a la cola",
    ),
    "auto_assign": (True, bool, "Asignar los casos nuevos a los agentes disponibles"),
    "business_hours_enabled": (False, bool, "Contar los plazos solo en horario de atención"),
    # Mexico City time; Monday is 0.
    "business_days": ([0, 1, 2, 3, 4], list, "Días de atención (0 = lunes)"),
    "business_start": ("09:00", str, "Inicio del horario de atención"),
    "business_end": ("18:00", str, "Fin del horario de atención"),
    "csat_enabled": (True, bool, "Preguntar la satisfacción (1 a 5) al resolver"),
}

# Minutes to the first answer and to the resolution, by priority.
SLA_DEFAULTS: dict[str, tuple[int, int]] = {
    c.URGENT: (15, 4 * 60),
    c.HIGH: (30, 8 * 60),
    c.NORMAL: (60, 24 * 60),
    c.LOW: (4 * 60, 72 * 60),
}


class InvalidSetting(ValueError):
    """A value of the wrong kind for its setting; the message says what is expected."""


def get(session: Session, key: str) -> Any:
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    row = session.get(Setting, key)
    return DEFAULTS[key][0] if row is None else row.value


def all_values(session: Session) -> dict[str, Any]:
    saved = {row.key: row.value for row in session.scalars(sa.select(Setting))}
    return {key: saved.get(key, default) for key, (default, _kind, _label) in DEFAULTS.items()}


def put(session: Session, key: str, value: Any) -> None:
    """Save a setting in the caller's transaction, checked against its kind."""
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    kind = DEFAULTS[key][1]
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise InvalidSetting(f"{key} must be a {kind.__name__}, got {value!r}")
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def sla_minutes(session: Session, priority: str) -> tuple[int, int]:
    """(first response, resolution) targets in minutes for ``priority``."""
    row = session.get(SlaTarget, priority)
    if row is not None:
        return row.first_response_minutes, row.resolution_minutes
    return SLA_DEFAULTS.get(priority, SLA_DEFAULTS[c.NORMAL])
