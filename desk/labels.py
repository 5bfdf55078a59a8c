"""Spanish words the agents see for the desk's internal codes, and local times."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from desk.models import AuditEvent
from desk.models.case import LOCAL_TZ

REASONS = {
    "citizen_request": "Pidió una persona",
    "bot_fallback": "El asistente no entendió",
    "bot_unavailable": "Asistente no disponible",
    "complaint": "Queja",
    "frustration": "Molesto con el asistente",
    "system_error": "Error del sistema",
}
STATUSES = {
    "new": "Nuevo",
    "open": "Abierto",
    "pending": "Esperando al ciudadano",
    "resolved": "Resuelto",
    "closed": "Cerrado",
}
PRIORITIES = {"low": "Baja", "normal": "Normal", "high": "Alta", "urgent": "Urgente"}
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
    "canceled": "cancelado",
    "partially_delivered": "entregado en parte",
    "scheduled": "programado",
}
# Twilio's error codes an agent meets, in words (twilio.com/docs/api/errors).
TWILIO_ERRORS = {
    "21610": "El ciudadano pidió no recibir mensajes (STOP/BAJA).",
    "21211": "El número no es válido.",
    "21614": "El número no es un celular.",
    "21611": "La cola de envío del número está llena; se reintenta.",
    "30003": "El teléfono no está disponible (apagado o sin señal).",
    "30004": "El mensaje fue bloqueado por el destinatario o su operador.",
    "30005": "El número no existe o ya no está activo.",
    "30006": "El número no puede recibir este mensaje (fijo o de otro tipo).",
    "30007": "El operador lo filtró como spam.",
    "30008": "Error desconocido del operador.",
    "63016": "Fuera de la ventana de 24 horas de WhatsApp: hay que enviar una plantilla aprobada.",
    "63021": "La plantilla con sus datos pasa de 1,024 caracteres.",
    "63024": "El destinatario no puede recibir este tipo de mensaje en WhatsApp.",
    "system_error": "Error del sistema al procesar el mensaje.",
    "opted_out": "El ciudadano pidió BAJA; no se envió.",
}
EVENTS = {
    "case.opened": "Caso abierto",
    "case.new": "De vuelta en la cola",
    "case.open": "En atención",
    "case.pending": "Esperando al ciudadano",
    "case.resolved": "Resuelto",
    "case.closed": "Cerrado",
    "case.claimed": "Tomado por",
    "case.assigned": "Asignado a",
    "case.unassigned": "Sin agente",
    "case.team_changed": "Equipo",
    "case.replied": "Respuesta enviada",
    "case.note_added": "Nota interna",
    "case.priority_changed": "Prioridad cambiada",
    "case.topic_changed": "Tema cambiado",
    "case.tags_changed": "Etiquetas cambiadas",
    "case.csat": "Satisfacción",
    "message.escalated": "Mensaje pasado a una persona",
    "notice.not_sent": "Aviso no enviado (ventana de WhatsApp cerrada, sin plantilla)",
}


def localtime(value: datetime | None) -> str:
    """Mexico City time, as agents read the clock."""
    return "" if value is None else value.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")


def explain_error(code: str | None) -> str:
    """An outbound failure as the agent should read it."""
    if not code:
        return ""
    return TWILIO_ERRORS.get(str(code), f"Error {code} de Twilio.")


def event_label(event: AuditEvent) -> str:
    """One line of a case's timeline: what happened, by whom."""
    what = EVENTS.get(event.action, event.action)
    details = event.details or {}
    extra = ""
    if event.action in ("case.claimed", "case.assigned") and details.get("assignee"):
        extra = f" {details['assignee']}"
    elif event.action == "case.csat":
        extra = f": {details.get('score')}/5"
    elif event.action == "case.priority_changed":
        extra = f": {PRIORITIES.get(details.get('new', ''), details.get('new'))}"
    elif event.action == "case.team_changed":
        extra = f": {details.get('team')}"
    who = (
        event.agent.name
        if event.agent is not None
        else AUTHORS.get({"bot": "bot", "citizen": "citizen"}.get(event.actor, "system"), "")
    )
    return f"{what}{extra} ({who})"


def init_app(app: Flask) -> None:
    app.add_template_filter(localtime)
    app.jinja_env.globals.update(explain_error=explain_error, event_label=event_label)
    app.context_processor(
        lambda: {
            "reasons": REASONS,
            "priorities": PRIORITIES,
            "statuses": STATUSES,
            "authors": AUTHORS,
            "channels": CHANNELS,
            "delivery": DELIVERY,
        }
    )
