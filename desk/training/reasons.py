"""Reasons a trainer reads (why an example was refused, why a model failed the gate) in
the reader's language.

They are Spanish msgids with ``%(name)s`` placeholders, and they are kept filled in (in
``reviews.refused_reason``, ``assistant_models.gate_reasons``), readable as they are in
the database and the audit trail. To show one in English, the msgid it was filled in
from is found again and its values read back out of the text, then it is translated and
filled in anew. A text no msgid explains (an older wording, a line of Rasa's output) is
shown as it was written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def translated(text: str, msgids: Iterable[str], gettext: Callable[..., str]) -> str:
    """``text``, filled in from one of ``msgids``, through ``gettext`` with its values."""
    for msgid in msgids:
        values = filled_in(msgid, text)
        if values is not None:
            return gettext(msgid, **values) if values else gettext(msgid)
    return text


def filled_in(msgid: str, text: str) -> dict[str, str] | None:
    """The values ``msgid``'s placeholders had in ``text``; None if ``text`` is not it."""
    found = _pattern(msgid).fullmatch(text)
    return None if found is None else found.groupdict()


@lru_cache(maxsize=256)
def _pattern(msgid: str) -> re.Pattern[str]:
    pieces = _PLACEHOLDER.split(msgid)
    # split() alternates the literal text and the placeholders' names.
    regex = "".join(
        f"(?P<{piece}>.*?)" if index % 2 else re.escape(piece) for index, piece in enumerate(pieces)
    )
    return re.compile(regex, re.DOTALL)
