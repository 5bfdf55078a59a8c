"""Writes the hard held-out set as Rasa NLU test data, so `rasa test nlu` can say how
each intent fares on it (the end-to-end test scores what citizens get; this scores
the classifier). Messages with earlier turns are left out: their label depends on
the conversation, which `rasa test nlu` does not see.

    python tests/nlu/hard_as_rasa.py tests/nlu/hard.yml results/hard/hard_nlu.yml
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import yaml


def convert(source: Path) -> str:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for message in yaml.safe_load(source.read_text(encoding="utf-8"))["messages"]:
        if message.get("intent") and not message.get("before"):
            by_intent[message["intent"]].append(" ".join(message["text"].split()))
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in sorted(by_intent.items()):
        lines += [f"- intent: {intent}", "  examples: |"]
        # Rasa reads each line after "- " verbatim, except [text](entity) annotations.
        lines += [f"    - {text.replace('[', '(').replace(']', ')')}" for text in texts]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__)
        return 2
    target = Path(argv[2])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(convert(Path(argv[1])), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
