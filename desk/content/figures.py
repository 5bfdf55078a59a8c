"""Figures in a catalog text: amounts, percentages, day counts, numbers of two digits or more.

A figure a trainer types must come from a source (docs/content.md, rule 2). The desk
cannot read the sources, so it asks: a figure in the new text that was not in the
section's previous text (either language) nor in the source added with the edit is
"unsourced", and saving needs the trainer's confirmation and a source.

Figures are compared by value and kind: "$1,620.00", "$1,620" and "1620" are the same
figure; "50%" and "50 días" are not, nor are "3 días" and "3 años".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A number with thousands separators and decimals ("1,620.00"), or a plain run of digits.
NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
MONEY_BEFORE = re.compile(r"(?:\$|\b(?:USD|MXN|US\$))\s?$", re.IGNORECASE)
PERCENT = re.compile(r"^\s?%")
DAYS = re.compile(r"^\s?(?:d[ií]as?|days?)\b", re.IGNORECASE)


def value(number: str, unit: str = "") -> str:
    """The figure's value, without separators or zero decimals (1,620.00 → 1620), and its
    kind: "%" for percentages, "d" for days, nothing for amounts and other numbers."""
    plain = number.replace(",", "")
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    return plain + unit


def figures(text: str) -> list[tuple[str, str, bool]]:
    """Every number in ``text``: (as written with its sign or unit, value, telling).

    Telling figures are what a citizen acts on: amounts, percentages and day counts of
    any size, and other numbers of two digits or more ("1 año", "paso 3" are not).
    """
    found = []
    for match in NUMBER.finditer(text):
        start, end = match.span()
        if start and (text[start - 1].isalnum() or text[start - 1] in "_/"):
            continue  # part of a word, a code or a path ("OP7", "gob.mx/x2")
        money = MONEY_BEFORE.search(text[max(0, start - 4) : start])
        after = text[end : end + 6]
        unit = PERCENT.match(after) or DAYS.match(after)
        kind = "" if unit is None else "%" if unit.group().endswith("%") else "d"
        written = text[start - len(money.group()) if money else start : end]
        if unit:
            written += unit.group()
        digits = sum(ch.isdigit() for ch in match.group())
        telling = bool(money or unit) or digits >= 2
        found.append((written.strip(), value(match.group(), kind), telling))
    return found


def unsourced(new_texts: Iterable[str], known_texts: Iterable[str]) -> list[str]:
    """The telling figures of ``new_texts`` whose value is in none of ``known_texts``,
    as written, each once."""
    known = {figure_value for text in known_texts for _w, figure_value, _t in figures(text)}
    flagged: dict[str, str] = {}
    for text in new_texts:
        for written, figure_value, telling in figures(text):
            if telling and figure_value not in known:
                flagged.setdefault(figure_value, written)
    return list(flagged.values())
