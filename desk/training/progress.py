"""Where a `rasa train` / `rasa test nlu` run is, read from its output (Rasa 3.6).

Rasa says little on purpose: a log line when each component starts training, a tqdm
bar per epoch while DIET or TED trains, and a closing line with the archive's path.
tqdm redraws its bar with carriage returns, so one "line" of output holds many
updates: ``segments`` splits on both ``\\r`` and ``\\n`` before anything is parsed.

Pure: text in, events out. The runner turns events into the job's progress.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Rasa prints the errors it explains itself (bad paths, invalid config) in red.
RED = "\x1b[91m"
STARTING = re.compile(r"Starting to train component '([^']+)'")
VALIDATING = re.compile(r"Started validating domain and training data")
EPOCHS = re.compile(r"^Epochs:\s+\d+%\|[^|]*\|\s*(\d+)/(\d+)\b")
SAVED = re.compile(r"Your Rasa model is trained and saved at '([^']+)'")
LOGGED_ERROR = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+(?:ERROR|CRITICAL)\s+\S+\s+-\s+(.+)$")
# The last line of a traceback: "rasa.shared.exceptions.YamlException: …", "OSError: …".
RAISED = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit):?\s.*$")
# A tqdm bar: "Epochs:  26%|██▌ | 13/50 […]", "Processed actions: 21it […]".
BAR = re.compile(r"^([^:|]{1,60}):\s+(?:\d+%\||\d+it \[)")


@dataclass(frozen=True)
class Stage:
    name: str  # "validating", "training DIETClassifier"


@dataclass(frozen=True)
class Epoch:
    done: int
    total: int


@dataclass(frozen=True)
class ModelSaved:
    path: str  # as Rasa printed it: relative to the command's working directory


@dataclass(frozen=True)
class Failure:
    message: str


Event = Stage | Epoch | ModelSaved | Failure


def segments(text: str) -> list[str]:
    """The pieces of output a terminal would have drawn, one per ``\\r`` or ``\\n``."""
    return [piece for piece in re.split(r"\r\n|\r|\n", text) if piece.strip()]


def plain(segment: str) -> str:
    """The segment without its colour codes or surrounding space."""
    return ANSI.sub("", segment).strip()


def parse(segment: str) -> Event | None:
    """The event one segment of output announces, if any."""
    text = plain(segment)
    if not text:
        return None
    if found := EPOCHS.match(text):
        return Epoch(int(found.group(1)), int(found.group(2)))
    if found := STARTING.search(text):
        return Stage(f"training {found.group(1)}")
    if VALIDATING.search(text):
        return Stage("validating")
    if found := SAVED.search(text):
        return ModelSaved(found.group(1))
    if found := LOGGED_ERROR.match(text):
        return Failure(found.group(1).strip())
    if RED in segment or RAISED.match(text):
        return Failure(text)
    return None


def bar_label(segment: str) -> str | None:
    """The label of a tqdm bar ("Epochs"), or None when the segment is not one."""
    found = BAR.match(plain(segment))
    return found.group(1) if found else None


def redraws(previous: str | None, segment: str) -> bool:
    """Whether ``segment`` is the same bar as ``previous``, drawn again over it."""
    label = bar_label(segment)
    return label is not None and previous is not None and bar_label(previous) == label


def events(text: str) -> list[Event]:
    """Every event in a chunk of output, in order."""
    return [event for piece in segments(text) if (event := parse(piece)) is not None]
