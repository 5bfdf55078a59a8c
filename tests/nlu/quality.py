"""The NLU quality gate: intent macro-F1 and `procedure` entity F1 on the held-out set.

Reads what `rasa test nlu` wrote (intent_report.json, DIETClassifier_report.json),
prints a table per intent, and fails below the thresholds. Macro-F1 is averaged over
the intents of the test set only: Rasa's own "macro avg" also averages in
nlu_fallback, which has no test examples and so always scores 0.

The hard set (tests/nlu/hard.yml) is reported beside it, never gated here: per intent
from its own `rasa test nlu` run (--hard), and per class as citizens get it through
the real stack (--hard-e2e, written by tests/e2e/test_hard_set.py, which gates it).

    python tests/nlu/quality.py results/nlu [--hard results/nlu-hard]
        [--hard-e2e results/hard/hard.json] [--markdown docs/quality.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

MIN_INTENT_MACRO_F1 = 0.90
MIN_PROCEDURE_F1 = 0.90
SUMMARY_ROWS = ("accuracy", "macro avg", "weighted avg", "micro avg")


def read(results: Path, entities_too: bool = True) -> tuple[dict[str, dict], float, dict]:
    intents = json.loads((results / "intent_report.json").read_text())
    per_intent = {
        name: row
        for name, row in intents.items()
        if name not in SUMMARY_ROWS and row.get("support", 0) > 0
    }
    macro = sum(row["f1-score"] for row in per_intent.values()) / len(per_intent)
    if not entities_too:
        return per_intent, macro, {}
    entities = json.loads((results / "DIETClassifier_report.json").read_text())
    return per_intent, macro, entities


def table(per_intent: dict[str, dict], macro: float, entities: dict) -> str:
    lines = ["| intent | precision | recall | F1 | test examples |", "|---|---|---|---|---|"]
    for name, row in sorted(per_intent.items()):
        lines.append(
            f"| {name} | {row['precision']:.3f} | {row['recall']:.3f} | "
            f"{row['f1-score']:.3f} | {row['support']} |"
        )
    lines.append(
        f"| **macro average** | | | **{macro:.3f}** | "
        f"{sum(r['support'] for r in per_intent.values())} |"
    )
    if not entities:
        return "\n".join(lines)
    lines += ["", "| entity | precision | recall | F1 | test examples |", "|---|---|---|---|---|"]
    for name in ("procedure", "folio", "language"):
        if name in entities:
            row = entities[name]
            lines.append(
                f"| {name} | {row['precision']:.3f} | {row['recall']:.3f} | "
                f"{row['f1-score']:.3f} | {row['support']} |"
            )
    return "\n".join(lines)


def hard_tables(intents: Path | None, e2e: Path | None) -> str:
    parts = []
    if e2e is not None and e2e.exists():
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        from tests.e2e.hard_set import markdown

        summary = json.loads(e2e.read_text())["summary"]
        parts.append("Through the real stack, as citizens get it:\n\n" + markdown(summary))
    if intents is not None and (intents / "intent_report.json").exists():
        per_intent, macro, _entities = read(intents, entities_too=False)
        parts.append(
            "The intent classifier alone (DIET and the resolver), per intent:\n\n"
            + table(per_intent, macro, {})
        )
    return "\n\n".join(parts)


def rewrite(document: Path, marker: str, rendered: str) -> None:
    text = document.read_text()
    start, end = f"<!-- {marker} -->", f"<!-- /{marker} -->"
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    document.write_text(f"{before}{start}\n{rendered}\n{end}{after}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("results", type=Path)
    parser.add_argument("--hard", type=Path, help="rasa test nlu results on the hard set")
    parser.add_argument("--hard-e2e", type=Path, help="the end-to-end hard-set results")
    parser.add_argument("--markdown", type=Path, help="rewrite the tables in this file")
    args = parser.parse_args()
    per_intent, macro, entities = read(args.results)
    procedure_f1 = entities.get("procedure", {}).get("f1-score", 0.0)
    rendered = table(per_intent, macro, entities)
    print(rendered)
    hard = hard_tables(args.hard, args.hard_e2e)
    if hard:
        print("\nHard set (not gated here):\n\n" + hard)
    if args.markdown:
        rewrite(args.markdown, "nlu-tables", rendered)
        if hard:
            rewrite(args.markdown, "hard-tables", hard)
    failures = []
    if macro < MIN_INTENT_MACRO_F1:
        failures.append(f"intent macro-F1 {macro:.3f} < {MIN_INTENT_MACRO_F1}")
    if procedure_f1 < MIN_PROCEDURE_F1:
        failures.append(f"procedure entity F1 {procedure_f1:.3f} < {MIN_PROCEDURE_F1}")
    for failure in failures:
        print(f"NLU quality gate failed: {failure}", file=sys.stderr)
    if not failures:
        print(
            f"NLU quality gate passed: intent macro-F1 {macro:.3f}, procedure F1 {procedure_f1:.3f}"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
