"""Phone-sized answers composed from the catalog, in the citizen's language.

Where the catalog marks a section uncertain, the answer says so and links the
official site: the assistant never states a doubtful figure as fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from actions.catalog import Catalog, Procedure

TOPICS = ("what", "requirements", "cost", "where", "duration", "status")
# The topics a citizen can pick by number after hearing about a procedure.
TOPIC_MENU = ("requirements", "cost", "where", "duration")

TEXT = {
    "es": {
        "confirm": "Confírmalo en el sitio oficial: {url}",
        "official": "Sitio oficial: {url}",
        "requirements": "Requisitos para {name}:",
        "topic_menu": "¿Qué más quieres saber? 1 requisitos · 2 costo · 3 dónde/cómo · 4 tiempo",
        "menu_intro": "Elige un número:",
        "menu_outro": "O escribe «agente» para hablar con una persona.",
        "status": "No puedo ver pagos ni registros personales de {name}.",
        "status_phone": "Informes: {phone} ({label}).",
        "status_site": "Consulta tu caso en {url}",
        "status_human": "Si necesitas ayuda con tu caso, escribe «agente».",
    },
    "en": {
        "confirm": "Please confirm it on the official site: {url}",
        "official": "Official site: {url}",
        "requirements": "What you need for {name}:",
        "topic_menu": "What else? 1 requirements · 2 cost · 3 where/how · 4 time",
        "menu_intro": "Pick a number:",
        "menu_outro": 'Or write "agent" to talk to a person.',
        "status": "I cannot see personal payments or registrations for {name}.",
        "status_phone": "Information: {phone} ({label}).",
        "status_site": "Check yours at {url}",
        "status_human": 'If you need help with your case, write "agent".',
    },
}


@dataclass(frozen=True)
class Answer:
    body: list[str]  # paragraphs; on SMS the tail may give way to the closing line
    closing: str | None = None  # the official link or "confirm it there": always kept


def answer(procedure: Procedure, topic: str, language: str) -> Answer:
    """What to tell a citizen who asks about ``topic`` of ``procedure``."""
    text = TEXT[language]
    url = procedure.official_url
    if topic == "what":
        body = [
            f"{procedure.name(language)}: {procedure.data['description'][language]}",
            procedure.data["audience"][language],
            text["topic_menu"],
        ]
        return Answer(body, text["official"].format(url=url) if url else None)
    if topic == "status":
        return _status(procedure, language)
    section = procedure.section(topic)
    if topic == "requirements":
        items = "\n".join(f"• {item}" for item in section[language])
        body = [f"{text['requirements'].format(name=procedure.name(language))}\n{items}"]
    else:
        body = [section[language]]
    if topic == "where":
        if section["url"] and not _mentions(section[language], section["url"]):
            body[0] += f" {section['url']}"
        phones = [f"{p['number']}: {p['label'][language]}" for p in section["phones"]]
        if phones:
            body.append("\n".join(phones))
    if not url:
        return Answer(body)
    key = "confirm" if section["uncertain"] else "official"
    return Answer(body, text[key].format(url=url))


def _mentions(text: str, url: str) -> bool:
    bare = url.split("://", 1)[-1].removeprefix("www.").rstrip("/")
    return bare in text


def _status(procedure: Procedure, language: str) -> Answer:
    """Personal payments and registrations live in the agencies' systems, not here."""
    text = TEXT[language]
    where = procedure.section("where")
    body = [text["status"].format(name=procedure.name(language))]
    if where["phones"]:
        phone = where["phones"][0]
        body.append(
            text["status_phone"].format(phone=phone["number"], label=phone["label"][language])
        )
    body.append(text["status_human"])
    url = where["url"] or procedure.official_url
    return Answer(body, text["status_site"].format(url=url) if url else None)


def menu(catalog: Catalog, language: str) -> Answer:
    text = TEXT[language]
    lines = [f"{p.menu_order} {p.name(language)}" for p in catalog.procedures]
    return Answer([text["menu_intro"] + "\n" + "\n".join(lines)], text["menu_outro"])


# --- fitting answers to the channel ----------------------------------------------------

GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")  # two characters each
SMS_SEGMENTS = 3  # per answer, where possible
TWILIO_MAX = 1600


def sms_segments(text: str) -> int:
    """How many SMS segments Twilio bills for ``text`` (GSM-7 or, failing that, UCS-2)."""
    if all(ch in GSM7 or ch in GSM7_EXTENDED for ch in text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        return 1 if units <= 160 else -(-units // 153)
    units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)  # UTF-16 code units
    return 1 if units <= 70 else -(-units // 67)


def for_channel(reply: Answer, channel: str) -> list[str]:
    """Messages to send. WhatsApp: one message, split between paragraphs past Twilio's
    limit. SMS: within three segments where possible; the body is cut at a line or
    sentence, never the closing line (the official link, or "confirm it there")."""
    body = [p.strip() for p in reply.body if p and p.strip()]
    closing = [reply.closing] if reply.closing else []
    if channel != "sms" or sms_segments("\n\n".join(body + closing)) <= SMS_SEGMENTS:
        return _pack(body + closing, TWILIO_MAX)
    pieces = _pieces(body)
    kept = pieces[0][0]  # at least the first sentence, even if it alone is too long
    for piece, joiner in pieces[1:]:
        candidate = f"{kept}{joiner}{piece}"
        if sms_segments("\n\n".join([candidate + " …", *closing])) > SMS_SEGMENTS:
            break
        kept = candidate
    return ["\n\n".join([kept + " …", *closing])]


SENTENCE_END = re.compile(r"(?<=[a-záéíóúñ0-9)][.!?])\s+(?=[A-ZÁÉÍÓÚÑ¿¡])")


def _pieces(paragraphs: list[str]) -> list[tuple[str, str]]:
    """(piece, the text that joins it to the previous one): paragraphs, lines, sentences."""
    pieces: list[tuple[str, str]] = []
    for paragraph in paragraphs:
        joiner = "\n\n"
        for line in paragraph.split("\n"):
            for sentence in SENTENCE_END.split(line):
                pieces.append((sentence, joiner))
                joiner = " "
            joiner = "\n"
    return pieces


def _pack(paragraphs: list[str], limit: int) -> list[str]:
    messages: list[str] = []
    for paragraph in paragraphs:
        if messages and len(messages[-1]) + 2 + len(paragraph) <= limit:
            messages[-1] += "\n\n" + paragraph
        else:
            messages.append(paragraph[:limit])
    return messages
