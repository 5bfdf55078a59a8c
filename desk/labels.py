"""Spanish words the agents see for the desk's internal codes, and local times."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from desk.models.case import LOCAL_TZ

REASONS = {
    "citizen_request": "Pidió una persona",
    "bot_fallback": "El asistente no entendió",
    "bot_unavailable": "Asistente no disponible",
    "complaint": "Queja",
    "frustration": "Molesto con el asistente",
    "system_error": "Error del sistema",
}
STATUSES = {"open": "Abierto", "resolved": "Resuelto"}
AUTHORS = {"citizen": "Ciudadano", "bot": "Asistente", "agent": "Agente", "system": "Sistema"}
CHANNELS = {"whatsapp": "WhatsApp", "sms": "SMS"}
# Our queue states, then Twilio's delivery states.
DELIVERY = {
    "pending": "en cola",
    "processing": "enviando",
    "done": "enviado",
    "failed": "no se envió",
    "accepted": "aceptado",
    "queued": "en Twilio",
    "sending": "enviando",
    "sent": "enviado",
    "delivered": "entregado",
    "read": "leído",
    "undelivered": "no entregado",
}


def localtime(value: datetime | None) -> str:
    """Mexico City time, as agents read the clock."""
    return "" if value is None else value.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")


def init_app(app: Flask) -> None:
    app.add_template_filter(localtime)
    app.context_processor(
        lambda: {
            "reasons": REASONS,
            "statuses": STATUSES,
            "authors": AUTHORS,
            "channels": CHANNELS,
            "delivery": DELIVERY,
        }
    )
