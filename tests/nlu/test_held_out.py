"""The held-out sets measure only while nothing of them is trained on."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from actions.catalog import words

ROOT = Path(__file__).resolve().parents[2]
ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def examples(path: Path) -> set[str]:
    found = set()
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        for line in (block.get("examples") or "").splitlines():
            if "intent" in block and line.strip().startswith("- "):
                found.add(" ".join(words(ANNOTATION.sub(r"\1", line.strip()[2:]))))
    return found


def hard_messages(path: Path) -> set[str]:
    found = set()
    for message in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]:
        for text in [message["text"], *(message.get("before") or [])]:
            found.add(" ".join(words(text)))
    return found


def test_no_held_out_message_is_a_training_example():
    training = set().union(*(examples(p) for p in sorted((ROOT / "data" / "nlu").rglob("*.yml"))))
    held_out = (
        examples(ROOT / "tests" / "nlu" / "test_nlu.yml")
        | hard_messages(ROOT / "tests" / "nlu" / "hard.yml")
        | hard_messages(ROOT / "tests" / "nlu" / "hard_dev.yml")
    )

    assert len(training) > 1500 and len(held_out) > 900
    assert sorted(training & held_out) == []
