"""Personal data out of a reviewed example before it becomes training data (issue 9).

A trainer confirms what a citizen meant; the citizen's words then go into the assistant's
training data, which is shared, versioned and kept for years. So first every CURP, RFC,
phone number, e-mail, folio, INE key, NSS, card or CLABE number and every name the citizen
gave is replaced by a realistic placeholder of the same shape: the model still learns that
"mi curp es …" is followed by a CURP, and never learns anyone's.

Each replacement is a ``Finding`` with offsets into the original text, so the review page
can highlight it and the trainer can undo one (``apply`` with the others) or add one the
scrubber missed (``mark``). Placeholders are fixed, never random, so the same message
always scrubs to the same example.

Two rules keep it honest without drowning the data in false alarms:
- a code with structure (CURP, RFC, clave de elector) is scrubbed whenever it has the
  shape, even with a wrong check digit: a citizen's typo is still their CURP. The finding
  says whether the check digit holds (``verified``);
- a bare run of digits (NSS, card, CLABE, INE's OCR/CIC) is scrubbed only when its check
  digit holds or a word in front says what it is ("mi nss es …"), so years, prices,
  dates and postal codes stay.

Pure: the standard library only, no Flask, no database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

CURP = "curp"
RFC = "rfc"
PHONE = "phone"
EMAIL = "email"
FOLIO = "folio"
INE = "ine"
NSS = "nss"
CARD = "card"
CLABE = "clabe"
NAME = "name"
# Most specific first: when two findings cover the same text, the earlier kind wins.
KINDS = (EMAIL, FOLIO, CURP, INE, RFC, CLABE, CARD, NSS, PHONE, NAME)

# Juan Pérez García, born 1 January 1980 in Mexico City: one invented person, so a
# scrubbed example stays coherent. Each check digit is right (the tests recompute them).
PLACEHOLDER_CURP = "PEGJ800101HDFRRN03"
PLACEHOLDER_RFC = "PEGJ800101H31"
PLACEHOLDER_COMPANY_RFC = "EMP800101AB2"
PLACEHOLDER_CLAVE_ELECTOR = "PRGRJN80010109H100"  # his consonants, birth date, state 09
PLACEHOLDER_EMAIL = "correo@ejemplo.com"
# No Mexican subscriber number starts with 0, so 55 0000 0000 is nobody's. The
# citizen's prefix (+52 1, 044) is kept: it says how people write numbers, not whose.
PLACEHOLDER_PHONE = "5500000000"
PLACEHOLDER_NSS = "12345678903"
PLACEHOLDER_CARD = "4111111111111111"  # the well-known Visa test number
PLACEHOLDER_AMEX = "378282246310005"  # and American Express's
PLACEHOLDER_CLABE = "002180000000000009"
PLACEHOLDER_FOLIO_ID = "000000"  # case ids start at 1: never a real folio

_MALE = ("Juan", "Carlos", "Pérez", "García", "López")
_FEMALE = ("María", "Elena", "López", "Hernández", "García")


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: ``original`` is ``text[start:end]`` of the ORIGINAL text.

    ``verified`` is True when the code's own check digit holds, False when it does not (a
    typo, or a code typed without it), None for kinds that have none.
    """

    kind: str
    start: int
    end: int
    original: str
    replacement: str
    verified: bool | None = None


@dataclass(frozen=True)
class Scrubbed:
    """What goes into the training data (``text``) and what was replaced to get it."""

    text: str
    findings: tuple[Finding, ...]


def scrub(text: str) -> Scrubbed:
    """The text with every piece of personal data found replaced, and what was replaced."""
    folded = _fold(text)
    found = [
        *_emails(text),
        *_folios(text),
        *_identity_codes(text),
        *_claves_de_elector(text),
        *_digit_runs(text, folded),
        *_phones(text),
        *_names(text, folded),
    ]
    findings = _without_overlaps(found)
    return Scrubbed(apply(text, findings), findings)


def apply(text: str, findings: Iterable[Finding]) -> str:
    """``text`` with these findings replaced: drop one to give its original back."""
    pieces: list[str] = []
    position = 0
    for finding in sorted(findings, key=lambda f: f.start):
        if finding.start < position:
            raise ValueError(f"findings overlap at {finding.start}")
        if text[finding.start : finding.end] != finding.original:
            raise ValueError(f"finding {finding.original!r} is not at {finding.start}")
        pieces += [text[position : finding.start], finding.replacement]
        position = finding.end
    pieces.append(text[position:])
    return "".join(pieces)


def mark(text: str, start: int, end: int, kind: str = NAME) -> Finding:
    """A finding the trainer adds by hand: what the scrubber missed, with its placeholder."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    if not 0 <= start < end <= len(text):
        raise ValueError(f"no text between {start} and {end}")
    original = text[start:end]
    return Finding(kind, start, end, original, placeholder(kind, original))


def segments(text: str, findings: Iterable[Finding]) -> list[tuple[str, Finding | None]]:
    """The original text in pieces for the preview: plain text, or the finding it shows."""
    pieces: list[tuple[str, Finding | None]] = []
    position = 0
    for finding in sorted(findings, key=lambda f: f.start):
        if finding.start > position:
            pieces.append((text[position : finding.start], None))
        pieces.append((finding.original, finding))
        position = finding.end
    if position < len(text):
        pieces.append((text[position:], None))
    return pieces


def placeholder(kind: str, original: str) -> str:
    """The stand-in for ``original``, shaped like it (separators, prefix, case of a name)."""
    digits = re.sub(r"[^0-9]", "", original)
    if kind == CURP:
        return PLACEHOLDER_CURP
    if kind == RFC:
        # A company's RFC has three letters, a person's four.
        return PLACEHOLDER_COMPANY_RFC if original[3:4].isdigit() else PLACEHOLDER_RFC
    if kind == EMAIL:
        return PLACEHOLDER_EMAIL
    if kind == FOLIO:
        year = digits[:4] if len(digits) >= 4 else "2026"
        return f"CAB-{year}-{PLACEHOLDER_FOLIO_ID}"
    if kind == INE and re.search(r"[A-Za-z]", original):
        return PLACEHOLDER_CLAVE_ELECTOR
    if kind == PHONE:
        prefix = digits[:-10] if len(digits) > 10 else ""
        return _reshape(original, prefix + _fit(PLACEHOLDER_PHONE, len(digits) - len(prefix)))
    if kind == NAME:
        return _placeholder_name(original, feminine=False)
    if kind == CARD and len(digits) == 15:
        return _reshape(original, PLACEHOLDER_AMEX)
    stand_in = {NSS: PLACEHOLDER_NSS, CLABE: PLACEHOLDER_CLABE, CARD: PLACEHOLDER_CARD}
    # INE's OCR and CIC numbers (and anything else) become zeros.
    return _reshape(original, _fit(stand_in.get(kind, ""), len(digits)))


# Check digits ------------------------------------------------------------------------

_CURP_VALUES = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
_RFC_VALUES = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"


def curp_check_digit(curp: str) -> str:
    """RENAPO's check digit of a CURP's first 17 characters: weights 18 down to 2."""
    total = sum(_CURP_VALUES.index(c) * (18 - i) for i, c in enumerate(curp[:17].upper()))
    return str((10 - total % 10) % 10)


def rfc_check_digit(rfc: str) -> str:
    """SAT's check digit (modulo 11) of an RFC without it: 12 characters for a person,
    11 for a company, which is padded with a leading space to weigh the same."""
    body = rfc.upper().rjust(12)
    total = sum(_RFC_VALUES.index(c) * (13 - i) for i, c in enumerate(body[:12]))
    digit = 11 - total % 11
    return "0" if digit == 11 else "A" if digit == 10 else str(digit)


def luhn_valid(digits: str) -> bool:
    """Luhn's check, which card numbers and the IMSS's NSS both end with."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        value = int(c) * (2 if i % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def clabe_check_digit(clabe: str) -> str:
    """Banxico's check digit of a CLABE's first 17 digits: weights 3, 7, 1 repeated."""
    weights = (3, 7, 1)
    total = sum(int(c) * weights[i % 3] % 10 for i, c in enumerate(clabe[:17]))
    return str((10 - total % 10) % 10)


# Finders -----------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+-])[\w][\w.+-]*\s?@\s?"
    r"(?:[\w-]+(?:\.[\w-]+)+|(?:gmail|hotmail|outlook|yahoo|live|icloud|prodigy)\b)",
    re.IGNORECASE,
)
# The desk's folio (desk.models.case.FOLIO_RE, which lives beside SQLAlchemy), loosened
# the way citizens type it: "cab 2026 123", "CAB2026000123".
_FOLIO = re.compile(r"(?<!\w)[Cc][Aa][Bb][-\s]?[0-9]{4}[-\s]?[0-9]{1,10}(?![0-9])")

# ASCII classes and [0-9], not re.IGNORECASE and \d: those also match the Kelvin sign
# and Arabic-Indic digits, which no check digit table knows.
_STATES = (
    "AS|BC|BS|CC|CL|CM|CS|CH|DF|DG|GT|GR|HG|JC|MC|MN|MS|NT|NL|OC|PL|QT|QR|SP|SL|SR|TC|TS"
    "|TL|VZ|YN|ZS|NE"
)
_CURP_SHAPE = re.compile(
    rf"[A-Z][AEIOUX][A-Z]{{2}}[0-9]{{6}}[HMX](?:{_STATES})[B-DF-HJ-NP-TV-Z]{{3}}[A-Z0-9][0-9]"
)
# Letters, a YYMMDD date, then the rest: CURPs and RFCs typed right and typed wrong.
_IDENTITY_CODE = re.compile(r"(?<![\w&])([A-Za-zÑñ&]{3,4})([0-9]{6})([A-Za-zÑñ0-9]{0,9})(?![\w&])")
_CLAVE_DE_ELECTOR = re.compile(r"(?<!\w)[A-Za-z]{6}[0-9]{8}[HMhm][0-9]{3}(?!\w)")

# Digits with single spaces or dashes between them, never part of an amount or a decimal.
_DIGIT_RUN = re.compile(r"(?<![0-9$])(?<![0-9][.,])[0-9](?:[ -]?[0-9])+(?![.,]?[0-9])")
_SEP = r"[ \t.\-]{0,3}"
# Ten digits as Mexicans group them, after +52, 52, +52 1, 044 or 045. Five pairs must
# share one separator, or "2026-000123" would be a number.
_PHONE = re.compile(
    rf"""
    (?<![0-9$+])(?<![0-9][.,])
    (?:(?:\+[ ]?|00)?52{_SEP}(?:1{_SEP})?|0?4[45]{_SEP})?
    (?:
        \(?[0-9]{{2}}\)?{_SEP}[0-9]{{4}}{_SEP}[0-9]{{4}}
      | \(?[0-9]{{3}}\)?{_SEP}[0-9]{{3}}{_SEP}[0-9]{{4}}
      | \(?[0-9]{{3}}\)?{_SEP}[0-9]{{3}}{_SEP}[0-9]{{2}}{_SEP}[0-9]{{2}}
      | [0-9]{{2}}(?P<pair>[ .\-]?)[0-9]{{2}}(?:(?P=pair)[0-9]{{2}}){{3}}
    )
    (?![.,]?[0-9])
    """,
    re.VERBOSE,
)

# What the words just before a bare number say it is (accents folded, lower case).
_INTRODUCED = {
    NSS: r"nss|imss|seguro social|seguridad social|afiliacion",
    CARD: r"tarjeta|card|debito|credito",
    CLABE: r"clabe|cuenta|transferencia|deposito",
    INE: r"ine|ife|credencial|elector|cic|ocr|idmex",
}


def _emails(text: str) -> list[Finding]:
    return [_finding(EMAIL, m.start(), m.end(), text) for m in _EMAIL.finditer(text)]


def _folios(text: str) -> list[Finding]:
    return [_finding(FOLIO, m.start(), m.end(), text) for m in _FOLIO.finditer(text)]


def _identity_codes(text: str) -> list[Finding]:
    found = []
    for match in _IDENTITY_CODE.finditer(text):
        letters, date, rest = match.groups()
        code = match.group().upper()
        if len(letters) == 4 and _CURP_SHAPE.fullmatch(code):
            verified = curp_check_digit(code) == code[17]
            found.append(_finding(CURP, match.start(), match.end(), text, verified))
        elif not _plausible_date(date):
            continue
        elif len(rest) == 3:
            verified = rfc_check_digit(code[:-1]) == code[-1]
            found.append(_finding(RFC, match.start(), match.end(), text, verified))
        elif len(letters) == 4 and len(rest) >= 6:
            found.append(_finding(CURP, match.start(), match.end(), text, False))
        elif len(letters) == 4:
            # Without its homoclave (GODE561231) an RFC is still initials and a birth date.
            found.append(_finding(RFC, match.start(), match.end(), text, False))
    return found


def _claves_de_elector(text: str) -> list[Finding]:
    return [_finding(INE, m.start(), m.end(), text) for m in _CLAVE_DE_ELECTOR.finditer(text)]


def _digit_runs(text: str, folded: str) -> list[Finding]:
    found = []
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"[^0-9]", "", match.group())
        kind, verified = _digit_kind(digits, folded, match.start())
        if kind is not None:
            found.append(_finding(kind, match.start(), match.end(), text, verified))
    return found


def _digit_kind(digits: str, folded: str, start: int) -> tuple[str | None, bool | None]:
    def introduced(kind: str) -> bool:
        before = folded[max(0, start - 40) : start].lower()
        return re.search(rf"\b(?:{_INTRODUCED[kind]})\b[^0-9]{{0,30}}$", before) is not None

    if len(digits) == 11 and (luhn_valid(digits) or introduced(NSS)):
        return NSS, luhn_valid(digits)
    if len(digits) in (15, 16) and (luhn_valid(digits) or introduced(CARD)):
        return CARD, luhn_valid(digits)
    if len(digits) == 18:
        verified = clabe_check_digit(digits) == digits[17]
        if verified or introduced(CLABE):
            return CLABE, verified
    # The CIC and the OCR on the back of the credential: nine, twelve or thirteen digits.
    if len(digits) in (9, 12, 13) and introduced(INE):
        return INE, None
    return None, None


def _phones(text: str) -> list[Finding]:
    return [_finding(PHONE, m.start(), m.end(), text) for m in _PHONE.finditer(text)]


def _finding(kind: str, start: int, end: int, text: str, verified: bool | None = None) -> Finding:
    original = text[start:end]
    return Finding(kind, start, end, original, placeholder(kind, original), verified)


def _without_overlaps(found: Sequence[Finding]) -> tuple[Finding, ...]:
    """The longest finding wins where two overlap (a CURP over the RFC inside it, a CLABE
    over a phone); on a tie, the more specific kind."""
    ranked = sorted(found, key=lambda f: (f.start - f.end, KINDS.index(f.kind), f.start))
    kept: list[Finding] = []
    for finding in ranked:
        if all(finding.end <= k.start or k.end <= finding.start for k in kept):
            kept.append(finding)
    return tuple(sorted(kept, key=lambda f: f.start))


# Names -------------------------------------------------------------------------------

# "Me llamo", "nombre:" and "mi hija se llama" are followed by a name even in lower case.
# After "soy", "mi nombre es" or "a nombre de" only a capitalised word or a known given
# name starts one ("soy estudiante", "soy de Oaxaca", "mi nombre es incorrecto" stay).
_NAME_TRIGGER = re.compile(
    r"""(?<!\w)(?:
        (?P<strong>me\ llamo|my\ name\ is|nombre(?:\ completo)?\ ?:
          |mi\ (?P<relative>[a-z]+)(?:\ [a-z]+){0,3}?\ se\ llama)
      | (?P<weak>(?:yo\ )?soy|mi\ nombre\ (?:completo\ )?es|i\ am|i'm
          |a\ nombre\ de|de\ parte\ de)
    )(?:[ \t]*:[ \t]*|[ \t]+)""",
    re.IGNORECASE | re.VERBOSE,
)
_FEMININE_RELATIVES = set(
    "hija mama mami madre esposa hermana abuela nieta sobrina tia suegra novia".split()
)
_RELATIVES = _FEMININE_RELATIVES | set(
    "hijo papa padre esposo hermano abuelo nieto sobrino tio suegro novio bebe pareja "
    "familiar nombre".split()
)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_PARTICLES = {"de", "del", "la", "las", "los"}
_MAX_NAME_WORDS = 5

_FEMALE_NAMES = set(
    "maria ana guadalupe lupita rosa martha marta leticia elizabeth gabriela alejandra "
    "adriana veronica claudia silvia sofia fernanda daniela mariana valeria ximena andrea "
    "carmen teresa josefina margarita lucia isabel monica sandra karla paola diana norma "
    "araceli yolanda beatriz alicia irma susana jessica brenda karen julia elena luz "
    "esperanza socorro dolores juana francisca rocio maribel lourdes patricia laura "
    "cecilia angelica erika erica liliana mercedes graciela rebeca regina camila "
    "natalia victoria estela esther alma blanca hilda ofelia reyna xochitl itzel".split()
)
_MALE_NAMES = set(
    "juan jose luis carlos jorge miguel antonio francisco pedro alejandro fernando "
    "ricardo roberto eduardo javier manuel rafael daniel david jesus mario sergio arturo "
    "alberto raul enrique hector oscar victor martin pablo diego andres angel gabriel "
    "adrian ivan hugo ramon ruben gerardo alfredo armando salvador ernesto guillermo "
    "rodolfo joaquin ignacio santiago emiliano mateo sebastian leonardo jaime felipe "
    "gustavo marco cesar julio agustin benito cuauhtemoc".split()
)
_GIVEN_NAMES = _FEMALE_NAMES | _MALE_NAMES
# Words that end a name, or show that none followed the trigger.
_STOPWORDS = set(
    "y e o u a al el la los las lo un una unos unas mi mis tu su sus me te se le les nos "
    "que de del en con sin por para pero porque como cuando donde si no ni ya es soy "
    "estoy eres son fue era tengo tiene quiero quisiera necesito busco vivo vengo llamo "
    "escribo pregunto solicito trabajo ocupo puedo hola buenas buenos dias tardes noches "
    "gracias favor ayuda ayudar saber ayer hoy antier manana otra vez alguien nadie usted "
    "ustedes asesor asesora senor senora senorita joven the and i am my is from".split()
)
# Capitalised words after "soy" that say what the citizen is, not who.
_NOT_NAMES = set(
    "adulto adulta mayor estudiante mexicano mexicana extranjero extranjera jubilado "
    "jubilada pensionado pensionada derechohabiente beneficiario beneficiaria trabajador "
    "trabajadora maestro maestra profesor profesora doctor doctora ingeniero ingeniera "
    "licenciado licenciada madre padre mama papa soltero soltera casado casada viudo viuda "
    "ciudadano ciudadana residente migrante persona usuario usuaria cliente paciente "
    "empleado empleada discapacitado discapacitada campesino campesina productor "
    "productora curp rfc ine ife nss imss issste sat pasaporte llave mx pension bienestar "
    "programa tramite cita folio acta licencia credencial constancia mexican student "
    "citizen senior".split()
)


def _names(text: str, folded: str) -> list[Finding]:
    found: list[Finding] = []
    words: dict[str, tuple[str, bool]] = {}
    for trigger in _NAME_TRIGGER.finditer(folded):
        relative = (trigger.group("relative") or "").lower()
        if trigger.group("relative") is not None and relative not in _RELATIVES:
            continue
        if "llamó" in text[trigger.start() : trigger.end()].lower():
            continue  # "me llamó un asesor": someone called them
        span = _name_after(text, trigger.end(), strong=trigger.group("weak") is None)
        if span is None:
            continue
        start, end = span
        original = text[start:end]
        feminine = relative in _FEMININE_RELATIVES
        replacement = _placeholder_name(original, feminine)
        found.append(Finding(NAME, start, end, original, replacement))
        pairs = zip(_name_words(original), _name_words(replacement), strict=True)
        for word, stand_in in pairs:
            words[_fold(word).lower()] = (stand_in, word[0].isupper())
    return found + _repeated(text, folded, words)


def _name_after(text: str, position: int, *, strong: bool) -> tuple[int, int] | None:
    """The span of the name that starts at ``position``, if one does: up to five words on
    one line, with "de", "del", "de la" between capitalised ones ("María de la Luz")."""
    first = _WORD.match(text, position)
    if first is None or not _may_be_name(first.group(), strong=strong):
        return None
    start, end = first.span()
    last = end
    # Who types their first name in lower case types the surnames so too.
    strong = strong or not first.group()[0].isupper()
    count, particles = 1, 0
    for word in _WORD.finditer(text, end):
        if count == _MAX_NAME_WORDS or not re.fullmatch(r"[ \t]+", text[last : word.start()]):
            break
        last = word.end()
        if _fold(word.group()).lower() in _PARTICLES and particles < 2:
            particles += 1
            continue
        capitalised = word.group()[0].isupper()
        if not _may_be_name(word.group(), strong=strong) or (particles and not capitalised):
            break
        end, count, particles = word.end(), count + 1, 0
    return start, end


def _may_be_name(word: str, *, strong: bool) -> bool:
    key = _fold(word).lower()
    if key in _STOPWORDS or key in _NOT_NAMES or key in _PARTICLES:
        return False
    return word[0].isupper() or key in _GIVEN_NAMES or strong


def _name_words(name: str) -> list[str]:
    return [w for w in _WORD.findall(name) if _fold(w).lower() not in _PARTICLES]


def _placeholder_name(original: str, feminine: bool) -> str:
    words = _name_words(original)
    first = _fold(words[0]).lower() if words else ""
    pool = _FEMALE if feminine or first in _FEMALE_NAMES else _MALE
    shapes = {1: (0,), 2: (0, 2), 3: (0, 2, 3), 4: (0, 1, 2, 3)}
    picked = " ".join(pool[i] for i in shapes.get(len(words), (0, 1, 2, 3, 4)))
    if original == original.lower():
        return _fold(picked).lower()
    return _fold(picked).upper() if original == original.upper() else picked


def _repeated(text: str, folded: str, words: dict[str, tuple[str, bool]]) -> list[Finding]:
    """The same name said again later ("soy Rocío Méndez … pregunten por Rocío")."""
    found = []
    for word in _WORD.finditer(folded):
        key = word.group().lower()
        if len(key) < 3 or key not in words or key in _STOPWORDS:
            continue
        stand_in, capitalised = words[key]
        if capitalised and not word.group()[0].isupper():
            continue  # "Rosa" was a name; "una rosa" is a flower
        original = text[word.start() : word.end()]
        found.append(Finding(NAME, word.start(), word.end(), original, stand_in))
    return found


# Helpers -----------------------------------------------------------------------------


def _fold(text: str) -> str:
    """``text`` without accents, one character for one, so offsets stay the original's."""
    return "".join(unicodedata.normalize("NFD", c)[0] for c in text)


def _plausible_date(yymmdd: str) -> bool:
    month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
    days = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    return 1 <= month <= 12 and 1 <= day <= days[month - 1]


def _fit(digits: str, length: int) -> str:
    return digits[:length] if len(digits) >= length else digits.rjust(length, "0")


def _reshape(original: str, digits: str) -> str:
    """``original`` with its digits replaced by ``digits`` in order, its spaces,
    dashes and parentheses kept: "(33) 1234-5678" stays a number written that way."""
    stand_in = iter(digits)
    return re.sub(r"[0-9]", lambda _: next(stand_in), original)
