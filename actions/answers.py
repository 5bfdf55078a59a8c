"""Phone-sized answers composed from the catalog, in the citizen's language.

Where the catalog marks a section uncertain, the answer says so and links the
official site: the assistant never states a doubtful figure as fact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from actions.catalog import Catalog, Procedure

TOPICS = ("what", "requirements", "cost", "where", "duration", "status", "problems")
# The topics a citizen can pick by number after hearing about a procedure.
TOPIC_MENU = ("requirements", "cost", "where", "duration", "problems")

TEXT = {
    "es": {
        "confirm": "Confírmalo en el sitio oficial: {url}",
        "official": "Sitio oficial: {url}",
        "topic_menu": "¿Qué más quieres saber? 1 requisitos · 2 costo · 3 dónde/cómo · "
        "4 tiempo · 5 problemas",
        "menu_intro": "Elige un número:",
        "menu_outro": "O escribe «agente» para hablar con una persona.",
        "status": "No puedo ver pagos ni registros personales.",
        "status_phone": "Informes: {phone} ({label}).",
        "status_site": "Consulta tu caso en {url}",
        "status_human": "Si necesitas ayuda con tu caso, escribe «agente».",
        "problem_unknown": "No tengo la solución de ese problema.",
        "problem_phone": "Si no se resuelve, llama al {phone}: {label}.",
        "offer_person": "¿Te paso con una persona del Centro? Responde «sí».",
        "which_problem": "Cuéntame cuál es y te digo qué hacer.",
    },
    "en": {
        "confirm": "Please confirm it on the official site: {url}",
        "official": "Official site: {url}",
        "topic_menu": "What else? 1 requirements · 2 cost · 3 where/how · 4 time · 5 problems",
        "menu_intro": "Pick a number:",
        "menu_outro": 'Or write "agent" to talk to a person.',
        "status": "I cannot see personal payments or registrations.",
        "status_phone": "Information: {phone} ({label}).",
        "status_site": "Check yours at {url}",
        "status_human": 'If you need help with your case, write "agent".',
        "problem_unknown": "I do not have the fix for that problem.",
        "problem_phone": "If that does not solve it, call {phone}: {label}.",
        "offer_person": 'Shall I pass you to a person at the Centro? Reply "yes".',
        "which_problem": "Tell me which one and I will tell you what to do.",
    },
}
# What each answer is about, after the procedure's name: "Pasaporte mexicano — costo".
LABELS = {
    "es": {
        "requirements": "requisitos",
        "cost": "costo",
        "where": "dónde y cómo",
        "duration": "tiempo",
        "status": "pagos y registro",
        "problems": "problemas",
    },
    "en": {
        "requirements": "requirements",
        "cost": "cost",
        "where": "where and how",
        "duration": "how long",
        "status": "payments and registration",
        "problems": "problems",
    },
}


@dataclass(frozen=True)
class Answer:
    body: list[str]  # paragraphs; on SMS the tail may give way to the closing line
    closing: str | None = None  # the official link or "confirm it there": always kept
    # The procedure's name, full and short, and what the answer tells about it: the
    # first words of the answer, so a vague question (and the transcript) shows what
    # a figure belongs to.
    subject: tuple[str, str] | None = None
    label: str | None = None


def about(
    procedure: Procedure,
    language: str,
    label: str | None = None,
    *,
    body: list[str],
    closing: str | None = None,
) -> Answer:
    """An answer about ``procedure``, headed by its name and ``label``."""
    subject = (procedure.name(language), procedure.short_name(language))
    return Answer(body, closing, subject=subject, label=label)


def answer(procedure: Procedure, topic: str, language: str, said: str = "") -> Answer:
    """What to tell a citizen who asks about ``topic`` of ``procedure``; ``said`` is
    their message, which picks the problem they have among the known ones."""
    text = TEXT[language]
    url = procedure.official_url
    if topic == "what":
        body = [
            procedure.data["description"][language],
            procedure.data["audience"][language],
            text["topic_menu"],
        ]
        closing = text["official"].format(url=url) if url else None
        return about(procedure, language, body=body, closing=closing)
    if topic == "status":
        return _status(procedure, language)
    if topic == "problems":
        return _problems(procedure, language, said)
    section = procedure.section(topic)
    if topic == "requirements":
        body = ["\n".join(f"• {item}" for item in section[language])]
    else:
        body = [section[language]]
    if topic == "where":
        if section["url"] and not _mentions(section[language], section["url"]):
            body[0] += f" {section['url']}"
        phones = [f"{p['number']}: {p['label'][language]}" for p in section["phones"]]
        if phones:
            body.append("\n".join(phones))
    label = LABELS[language][topic]
    if not url:
        return about(procedure, language, label, body=body)
    key = "confirm" if section["uncertain"] else "official"
    return about(procedure, language, label, body=body, closing=text[key].format(url=url))


def _mentions(text: str, url: str) -> bool:
    bare = url.split("://", 1)[-1].removeprefix("www.").rstrip("/")
    return bare in text


def _status(procedure: Procedure, language: str) -> Answer:
    """Personal payments and registrations live in the agencies' systems, not here."""
    text = TEXT[language]
    body = [text["status"]]
    phone = _first_phone(procedure)
    if phone:
        body.append(
            text["status_phone"].format(phone=phone["number"], label=phone["label"][language])
        )
    body.append(text["status_human"])
    url = procedure.section("where")["url"] or procedure.official_url
    closing = text["status_site"].format(url=url) if url else None
    return about(procedure, language, LABELS[language]["status"], body=body, closing=closing)


def _problems(procedure: Procedure, language: str, said: str) -> Answer:
    """The known problem the citizen describes, or all of them when they did not say
    which; then the line to call and the offer of a person. A procedure whose facts
    name no problem still gets the line and the offer, never silence. The offer goes
    with the closing line, so an SMS cut to three segments still carries it."""
    text = TEXT[language]
    section = procedure.section("problems")
    items = section["items"]
    matching = procedure.problems_described(said)
    if matching:
        body = [matching[0][language]]
    elif items:
        # Not said which: the known ones by name; the next message says which.
        body = ["\n".join(f"• {item['about'][language]}" for item in items), text["which_problem"]]
    else:
        body = [text["problem_unknown"]]
    phone = _first_phone(procedure)
    if phone and not any(phone["number"] in part for part in body):
        body.append(
            text["problem_phone"].format(phone=phone["number"], label=phone["label"][language])
        )
    url = procedure.official_url
    closing = text["offer_person"]
    if url:
        key = "confirm" if section["uncertain"] else "official"
        closing += "\n" + text[key].format(url=url)
    label = matching[0]["about"][language] if matching else LABELS[language]["problems"]
    return about(procedure, language, label, body=body, closing=closing)


def _first_phone(procedure: Procedure) -> dict | None:
    phones = procedure.section("where")["phones"]
    return phones[0] if phones else None


def menu(catalog: Catalog, language: str, only: list[Procedure] | None = None) -> Answer:
    """The numbered procedures; ``only`` some of them, under their usual numbers."""
    text = TEXT[language]
    shown = only or catalog.procedures
    lines = [f"{p.menu_order} {p.name(language)}" for p in shown]
    if only:
        return Answer(["\n".join(lines)])
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
    limit. SMS: within three segments; the body is cut at a line or sentence, or, when
    its first sentence alone is too long, at a clause or word, never the closing line
    (the official link, "confirm it there", the offer of a person)."""
    body = [p.strip() for p in reply.body if p and p.strip()]
    if reply.subject:
        body = [heading(reply, channel, body[0] if body else ""), *body[1:]]
    closing = [reply.closing] if reply.closing else []
    if channel != "sms" or sms_segments("\n\n".join(body + closing)) <= SMS_SEGMENTS:
        return _pack(body + closing, TWILIO_MAX)

    def fits(text: str) -> bool:
        return sms_segments("\n\n".join([text + " …", *closing])) <= SMS_SEGMENTS

    pieces = _pieces(body)
    named = len(heading(reply, channel, "").rstrip()) if reply.subject else 0
    kept = pieces[0][0] if fits(pieces[0][0]) else _shorten(pieces[0][0], fits, named)
    for piece, joiner in pieces[1:]:
        candidate = f"{kept}{joiner}{piece}"
        if not fits(candidate):
            break
        kept = candidate
    return ["\n\n".join([kept + " …", *closing])]


CLAUSE_END = re.compile(r"[,;:](?=\s)")


def _shorten(sentence: str, fits: Callable[[str], bool], keep: int) -> str:
    """The longest start of ``sentence`` that fits: up to a clause if one does, else
    whole words; never shorter than its first ``keep`` characters (the heading that
    names the procedure), even if that alone is too long."""
    clauses = [m.start() for m in CLAUSE_END.finditer(sentence) if m.start() > keep]
    spaces = [i for i, ch in enumerate(sentence) if ch == " " and i > keep]
    for end in [*reversed(clauses), *reversed(spaces)]:
        if fits(sentence[:end]):
            return sentence[:end]
    return sentence[:keep]


def heading(reply: Answer, channel: str, first: str) -> str:
    """The procedure's name opens the answer: in full on WhatsApp, short on SMS."""
    assert reply.subject is not None
    name = reply.subject[1] if channel == "sms" else reply.subject[0]
    if reply.label is None:
        return f"{name}: {first}"
    if channel == "sms":
        return f"{name} ({reply.label}): {first}"
    return f"{name} — {reply.label}\n{first}"


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
