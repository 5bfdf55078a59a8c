"""The gate: a model goes live only above the floor, not worse than the live one by more
than the tolerance, and with its conversation tests passed."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from desk.training import gate


@dataclass
class Figures:
    intent_f1: float | None = 0.93
    procedure_f1: float | None = 0.95
    stories_passed: bool | None = True


def test_a_model_above_the_floor_passes_when_nothing_is_live():
    decision = gate.decide(Figures(), None)

    assert decision == gate.Decision(passed=True, reasons=[])


def test_with_nothing_live_only_the_absolute_floor_applies():
    assert gate.decide(Figures(intent_f1=0.901, procedure_f1=0.902), None).passed
    assert not gate.decide(Figures(intent_f1=0.89), None).passed


@pytest.mark.parametrize(
    ("figures", "mentions"),
    [
        (Figures(intent_f1=0.874), "F1 de intents 0.874 por debajo del mínimo 0.90"),
        (Figures(procedure_f1=0.81), "F1 de trámites 0.810 por debajo del mínimo 0.90"),
        (Figures(intent_f1=None), "F1 de intents: sin cifra"),
        (Figures(stories_passed=False), "pruebas de conversación fallaron"),
        (Figures(stories_passed=None), "pruebas de conversación no se corrieron"),
    ],
)
def test_each_rule_fails_the_model_on_its_own_and_says_why(figures, mentions):
    decision = gate.decide(figures, None)

    assert not decision.passed
    assert len(decision.reasons) == 1 and mentions in decision.reasons[0]


def test_reaching_the_floor_exactly_passes():
    assert gate.decide(Figures(intent_f1=0.90, procedure_f1=0.90), None).passed


@pytest.mark.parametrize(
    ("new", "passed"),
    [(0.93, True), (0.925, True), (0.92, True), (0.9199, False), (0.91, False)],
)
def test_a_drop_against_the_live_model_is_tolerated_up_to_one_point(new, passed):
    live = Figures(intent_f1=0.93)

    assert gate.decide(Figures(intent_f1=new), live).passed is passed


def test_the_tolerance_edge_holds_despite_floating_point():
    # 0.91 - 0.01 is 0.9000000000000001 in binary floating point.
    live = Figures(intent_f1=0.91, procedure_f1=0.91)

    assert gate.decide(Figures(intent_f1=0.90, procedure_f1=0.90), live).passed


def test_a_procedure_regression_fails_even_when_intents_improve():
    live = Figures(intent_f1=0.91, procedure_f1=0.97)

    decision = gate.decide(Figures(intent_f1=0.95, procedure_f1=0.94), live)

    assert not decision.passed
    assert decision.reasons == [
        "F1 de trámites 0.940 baja más de 0.01 frente al modelo en vivo (0.970)."
    ]


def test_the_thresholds_can_be_given_explicitly():
    live = Figures(intent_f1=0.80, procedure_f1=0.80)
    candidate = Figures(intent_f1=0.78, procedure_f1=0.80)

    assert gate.decide(candidate, live, absolute=0.75, tolerance=0.02).passed
    assert not gate.decide(candidate, live, absolute=0.75, tolerance=0.01).passed


def test_a_live_model_without_figures_only_leaves_the_floor():
    assert gate.decide(Figures(), Figures(intent_f1=None, procedure_f1=None)).passed


def report(**f1s: tuple[float, int]) -> dict:
    return {intent: {"f1-score": f1, "support": support} for intent, (f1, support) in f1s.items()}


def test_the_comparison_lists_the_worst_regressions_first_and_new_intents_last():
    live = report(ask_cost=(0.95, 40), ask_where=(0.80, 30), greet=(0.99, 50), goodbye=(0.9, 10))
    live["macro avg"] = {"f1-score": 0.91, "support": 130}
    candidate = report(
        ask_cost=(0.88, 42), ask_where=(0.91, 33), greet=(0.99, 50), ask_documents=(0.86, 12)
    )
    candidate["accuracy"] = 0.93

    rows = gate.compare(candidate, live)

    assert [row.intent for row in rows] == [
        "goodbye",
        "ask_cost",
        "greet",
        "ask_where",
        "ask_documents",
    ]
    dropped, worst = rows[0], rows[1]
    assert (dropped.old_f1, dropped.new_f1, dropped.delta, dropped.support) == (0.9, None, None, 10)
    assert worst.old_f1 == 0.95 and worst.new_f1 == 0.88 and worst.support == 42
    assert worst.delta == pytest.approx(-0.07)
    assert rows[-1] == gate.Row("ask_documents", None, 0.86, None, 12)


def test_without_a_live_model_every_intent_is_new():
    rows = gate.compare(report(greet=(0.99, 50)), None)

    assert rows == [gate.Row("greet", None, 0.99, None, 50)]
