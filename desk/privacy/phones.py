"""The number a citizen's request is about, as a supervisor types it and as the desk
stores it (``conversations.phone``: Twilio's address without ``whatsapp:``)."""

from __future__ import annotations

import hashlib
import hmac
import re

from flask_babel import lazy_gettext as _l

_SEPARATORS = re.compile(r"[\s\-.()/]+")
_DIGITS = re.compile(r"[0-9]{8,15}")


class InvalidPhone(ValueError):
    """Not a phone number; the message says what to type."""


def normalize(raw: str) -> str:
    """E.164 (+52…) from what a person types: '55 1234 5678', '+52 1 55-1234-5678',
    '0052…' or Twilio's 'whatsapp:+52…'. Ten digits alone are a Mexican number."""
    text = _SEPARATORS.sub("", (raw or "").strip().lower()).removeprefix("whatsapp:")
    if text.startswith("00"):
        text = "+" + text[2:]
    digits = text.removeprefix("+")
    if not _DIGITS.fullmatch(digits):
        raise InvalidPhone(
            _l("Escribe un número de teléfono: 10 dígitos, o con su clave de país (+52…).")
        )
    if text.startswith("+"):
        return text
    if len(digits) == 10:
        return "+52" + digits
    if digits.startswith("52") and len(digits) in (12, 13):
        return "+" + digits
    raise InvalidPhone(_l("Escribe el número a 10 dígitos, o con su clave de país (+52…)."))


def variants(phone: str) -> list[str]:
    """Every way the desk may have stored this person's number. A Mexican mobile comes
    from WhatsApp as +521 and ten digits, and by SMS as +52 and the same ten."""
    national = _mexican_national(phone)
    return [phone] if national is None else ["+52" + national, "+521" + national]


def same_number(first: str, second: str) -> bool:
    return variants(first) == variants(second)


def digest(phone: str, secret: str) -> str:
    """A keyed hash of the number for audit records: the same for +521… and +52…, and
    not reversible without the desk's secret key (a plain hash of a ten-digit number is
    found by trying them all)."""
    canonical = variants(phone)[0].encode()
    return hmac.new(secret.encode(), b"privacy-phone:" + canonical, hashlib.sha256).hexdigest()[:32]


def _mexican_national(phone: str) -> str | None:
    if phone.startswith("+521") and len(phone) == 14:
        return phone[4:]
    if phone.startswith("+52") and len(phone) == 13:
        return phone[3:]
    return None
