"""The gate a trained model passes before it may go live, and its per-intent comparison.

Pure functions over a model's held-out figures: no database, no files. The training
runner's figures (intent macro-F1, procedure-entity F1, the conversation tests) are
judged against an absolute floor and against the model citizens are talking to now, so
a model never goes live that answers worse than the one it replaces.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

# Below this a model misreads about one citizen message in ten: the handoffs and the
# "no entendí" answers cost more than a retrain. Measured on the held-out test set.
ABSOLUTE_GATE = 0.90
# Two trainings on the same data differ by about half a point of F1 (random seeds,
# batching); a drop larger than a point is the new data or configuration, not noise.
TOLERANCE = 0.01
# Figures compare to four decimals: 0.91 - 0.01 must equal 0.90, not 0.8999999999999999.
_PLACES = 4
# Rasa's intent report puts its averages beside the intents.
_SUMMARY_KEYS = frozenset({"accuracy", "macro avg", "weighted avg", "micro avg"})


def N_(text: str) -> str:
    """Marks a msgid for extraction; the desk translates a reason when it shows it
    (desk.training.reasons), so the figures are filled in as text here."""
    return text


# Per figure: no figure, below the floor, a regression against the live model.
INTENT_REASONS = (
    N_("F1 de intents: sin cifra del conjunto de prueba."),
    N_("F1 de intents %(new)s por debajo del mínimo %(floor)s."),
    N_("F1 de intents %(new)s baja más de %(tolerance)s frente al modelo en vivo (%(live)s)."),
)
PROCEDURE_REASONS = (
    N_("F1 de trámites: sin cifra del conjunto de prueba."),
    N_("F1 de trámites %(new)s por debajo del mínimo %(floor)s."),
    N_("F1 de trámites %(new)s baja más de %(tolerance)s frente al modelo en vivo (%(live)s)."),
)
STORIES_NOT_RUN = N_("Las pruebas de conversación no se corrieron.")
STORIES_FAILED = N_("Las pruebas de conversación fallaron.")
MESSAGES = (*INTENT_REASONS, *PROCEDURE_REASONS, STORIES_NOT_RUN, STORIES_FAILED)


class Figures(Protocol):
    """What the gate reads of a model (an ``AssistantModel`` has all three)."""

    @property
    def intent_f1(self) -> float | None: ...
    @property
    def procedure_f1(self) -> float | None: ...
    @property
    def stories_passed(self) -> bool | None: ...


@dataclass(frozen=True)
class Decision:
    passed: bool
    reasons: list[str] = field(default_factory=list)  # why it failed; empty when it passed


@dataclass(frozen=True)
class Row:
    """One intent, old model against new; a missing side is None (added or dropped)."""

    intent: str
    old_f1: float | None
    new_f1: float | None
    delta: float | None
    support: int


def decide(
    candidate: Figures,
    live: Figures | None,
    *,
    absolute: float = ABSOLUTE_GATE,
    tolerance: float = TOLERANCE,
) -> Decision:
    """Whether ``candidate`` may replace ``live`` (None: nothing is live, only the floor)."""
    reasons: list[str] = []
    for messages, new, old in (
        (INTENT_REASONS, candidate.intent_f1, live.intent_f1 if live else None),
        (PROCEDURE_REASONS, candidate.procedure_f1, live.procedure_f1 if live else None),
    ):
        reasons.extend(_figure_reasons(messages, new, old, absolute, tolerance))
    if candidate.stories_passed is None:
        reasons.append(STORIES_NOT_RUN)
    elif not candidate.stories_passed:
        reasons.append(STORIES_FAILED)
    return Decision(passed=not reasons, reasons=reasons)


def _figure_reasons(
    messages: tuple[str, str, str],
    new: float | None,
    old: float | None,
    absolute: float,
    tolerance: float,
) -> list[str]:
    missing, below_floor, regressed = messages
    if new is None:
        return [missing]
    reasons = []
    if round(new, _PLACES) < round(absolute, _PLACES):
        reasons.append(below_floor % {"new": f"{new:.3f}", "floor": f"{absolute:.2f}"})
    if old is not None and round(old - new, _PLACES) > round(tolerance, _PLACES):
        values = {"new": f"{new:.3f}", "tolerance": f"{tolerance:.2f}", "live": f"{old:.3f}"}
        reasons.append(regressed % values)
    return reasons


def compare(
    candidate_per_intent: Mapping[str, Any], live_per_intent: Mapping[str, Any] | None
) -> list[Row]:
    """Each intent's F1, live against candidate: dropped intents and the worst regressions
    first, new intents last."""
    new, old = _f1s(candidate_per_intent), _f1s(live_per_intent or {})
    rows = []
    for intent in new.keys() | old.keys():
        new_f1, support = new.get(intent, (None, 0))
        old_f1, old_support = old.get(intent, (None, 0))
        delta = new_f1 - old_f1 if new_f1 is not None and old_f1 is not None else None
        rows.append(Row(intent, old_f1, new_f1, delta, support or old_support))
    return sorted(rows, key=lambda row: (_severity(row), row.intent))


def _severity(row: Row) -> float:
    if row.delta is not None:
        return row.delta
    # Dropped: the citizens who said it are no longer understood at all.
    return -math.inf if row.new_f1 is None else math.inf


def _f1s(per_intent: Mapping[str, Any]) -> dict[str, tuple[float | None, int]]:
    figures = {}
    for intent, report in per_intent.items():
        if intent in _SUMMARY_KEYS or not isinstance(report, Mapping):
            continue
        f1 = report.get("f1-score")
        figures[intent] = (float(f1) if f1 is not None else None, int(report.get("support") or 0))
    return figures
