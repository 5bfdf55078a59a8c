"""The hard held-out set, scored as citizens meet it: through the real stack.

Each message of `tests/nlu/hard.yml` is sent by a new citizen through the signed
Twilio webhook; what reaches their phone (the Twilio stand-in) is judged: the reply
must name the procedure they asked about (every programme that fits, for eligibility),
or hand them to a person with a folio where that is right, and must never call a
catalog procedure unknown. The privacy notice is not part of the answer.

    .venv-desk/bin/python -m tests.e2e.hard_set tests/nlu/hard.yml [--out results/hard/hard.json]

starts its own stack (the model in models/) and prints the share per class. The
end-to-end test (test_hard_set.py) does the same on the shared stack, with the gate.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import threading
import unicodedata
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from tests.e2e.stack import ROOT, Stack

CATALOG = ROOT / "data" / "procedures"
FOLIO = re.compile(r"\bCAB-\d{4}-\d{6,}\b")
UNKNOWN = ("No tengo información de ese trámite", "I have no information on that one")
NOTICES = ("Aviso de privacidad", "Privacy notice")
NONE_APPLIES = (" ninguno de los programas ", " none of the ")
HANDOFF = "handoff"
CLASSES = ("named", "problem", "eligibility", "long_polite", "slang", "frustration")


@dataclass(frozen=True)
class HardCase:
    text: str
    klass: str
    language: str
    channel: str
    expect: tuple[str, ...] | str  # procedure slugs, () for "none applies", or "handoff"
    intent: str | None = None
    before: tuple[str, ...] = ()


@dataclass
class Outcome:
    case: HardCase
    replies: list[str] = field(default_factory=list)
    ok: bool = False
    why: str = ""


def load(path: Path) -> list[HardCase]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for item in data["messages"]:
        expect = item["expect"]
        cases.append(
            HardCase(
                text=item["text"],
                klass=item["class"],
                language=item["language"],
                channel=item.get("channel", "whatsapp"),
                expect=expect if expect == HANDOFF else tuple(expect),
                intent=item.get("intent"),
                before=tuple(item.get("before") or ()),
            )
        )
    return cases


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[a-z0-9]+", text))


def procedure_names() -> dict[str, set[str]]:
    """slug → how an answer may name it: its display names, full and short."""
    names: dict[str, set[str]] = {}
    for path in sorted(CATALOG.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found = set(data["names"].values()) | set((data.get("short_names") or {}).values())
        names[data["slug"]] = {_normalize(name) for name in found}
    return names


def judge(
    case: HardCase, replies: list[str], names: dict[str, set[str]], earlier: list[str] = ()
) -> tuple[bool, str]:
    """``earlier``: the replies to the conversation's earlier turns. A citizen who was
    already handed to a person there gets no bot answer now, and that is right."""
    if case.expect == HANDOFF and any(FOLIO.search(r) for r in earlier):
        return True, "handed off earlier"
    # The privacy notice closes the first answer (or comes alone when it did not fit).
    answer = [
        kept
        for r in replies
        if (kept := "\n\n".join(p for p in r.split("\n\n") if not p.startswith(NOTICES)))
    ]
    if not answer:
        return False, "no answer"
    said = " " + _normalize(" ".join(answer)) + " "
    if any(marker in r for r in answer for marker in UNKNOWN):
        return False, "called a catalog procedure unknown"
    if case.expect == HANDOFF:
        return (True, "handed off") if FOLIO.search(" ".join(answer)) else (False, "no handoff")
    named = {slug for slug, forms in names.items() if any(f" {n} " in said for n in forms)}
    if not case.expect:
        # Right: says plainly that none applies (naming a programme to say who it is
        # for is fine), or hands off. Wrong: answers about a programme as if it applied.
        if any(phrase in said for phrase in NONE_APPLIES) or FOLIO.search(" ".join(answer)):
            return True, "none applies"
        programmes = {"pension_adultos_mayores", "pension_mujeres", "beca_benito_juarez"}
        wrong = named & programmes
        if wrong:
            return False, f"offered {sorted(wrong)} where none applies"
        return True, "none applies"
    missing = [slug for slug in case.expect if slug not in named]
    if missing:
        return False, f"did not name {missing}"
    return True, "named"


class Conversations:
    """Sends a citizen's messages and waits for the whole answer to each."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.engine = sa.create_engine(stack.database_url)

    def turn(self, phone: str, text: str, channel: str) -> list[str]:
        before = len(self.stack.replies_to(phone, channel))
        sid = "SM" + uuid.uuid4().hex
        response = self.stack.citizen_says(phone, text, channel=channel, sid=sid)
        response.raise_for_status()
        self.stack.wait_for(lambda: self._answered(sid), f"the answer to {text!r}", 120)
        return [m.body for m in self.stack.replies_to(phone, channel)[before:]]

    def _answered(self, sid: str) -> bool:
        """The message was routed and everything it caused was handed to Twilio."""
        with Session(self.engine) as session:
            inbound = session.execute(
                sa.text("SELECT conversation_id, status FROM messages WHERE provider_sid = :sid"),
                {"sid": sid},
            ).first()
            if inbound is None or inbound.status not in ("done", "failed"):
                return False
            waiting = session.execute(
                sa.text(
                    "SELECT count(*) FROM messages WHERE conversation_id = :conversation "
                    "AND direction = 'outbound' AND status IN ('pending', 'processing')"
                ),
                {"conversation": inbound.conversation_id},
            ).scalar_one()
            return waiting == 0

    def close(self) -> None:
        self.engine.dispose()


def run(stack: Stack, cases: list[HardCase], concurrency: int = 4) -> list[Outcome]:
    names = procedure_names()
    talk = Conversations(stack)
    counter = iter(range(10**6))
    lock = threading.Lock()

    def one(case: HardCase) -> Outcome:
        with lock:
            phone = f"+52155{9000000 + next(counter):07d}"
        earlier = [r for said in case.before for r in talk.turn(phone, said, case.channel)]
        replies = talk.turn(phone, case.text, case.channel)
        ok, why = judge(case, replies, names, earlier)
        return Outcome(case, replies, ok, why)

    try:
        with ThreadPoolExecutor(concurrency) as pool:
            return list(pool.map(one, cases))
    finally:
        talk.close()


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    def share(selected: list[Outcome]) -> dict[str, Any]:
        right = sum(o.ok for o in selected)
        return {"n": len(selected), "right": right, "share": right / len(selected)}

    by: dict[str, dict[str, Any]] = {}
    for facet, key in (("class", "klass"), ("language", "language"), ("channel", "channel")):
        groups: dict[str, list[Outcome]] = {}
        for outcome in outcomes:
            groups.setdefault(getattr(outcome.case, key), []).append(outcome)
        by[facet] = {name: share(group) for name, group in sorted(groups.items())}
    unknown = sum("unknown" in o.why for o in outcomes)
    return {
        "overall": share(outcomes),
        **by,
        "called_unknown": unknown,
        "misses": dict(Counter(o.why for o in outcomes if not o.ok)),
    }


def markdown(result: dict[str, Any]) -> str:
    """The per-class table for docs/quality.md."""
    lines = ["| class | messages | right procedure or handoff | share |", "|---|---|---|---|"]
    for name in CLASSES:
        row = result["class"].get(name)
        if row:
            lines.append(f"| {name} | {row['n']} | {row['right']} | {row['share']:.1%} |")
    overall = result["overall"]
    lines.append(f"| **all** | {overall['n']} | {overall['right']} | **{overall['share']:.1%}** |")
    lines += ["", "| language / channel | messages | share |", "|---|---|---|"]
    for facet in ("language", "channel"):
        for name, row in result[facet].items():
            lines.append(f"| {name} | {row['n']} | {row['share']:.1%} |")
    return "\n".join(lines)


def write(outcomes: list[Outcome], path: Path) -> dict[str, Any]:
    result = summary(outcomes)
    path.parent.mkdir(parents=True, exist_ok=True)
    detail = [{**asdict(o.case), "replies": o.replies, "ok": o.ok, "why": o.why} for o in outcomes]
    path.write_text(
        json.dumps({"summary": result, "messages": detail}, ensure_ascii=False, indent=1)
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("set", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "hard" / "hard.json")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    cases = load(args.set)
    with tempfile.TemporaryDirectory() as workdir:
        stack = Stack(Path(workdir)).start()
        try:
            outcomes = run(stack, cases, args.concurrency)
        finally:
            stack.stop()
    result = write(outcomes, args.out)
    print(markdown(result))
    print(f"called a catalog procedure unknown: {result['called_unknown']}")
    if args.show_misses:
        for outcome in outcomes:
            if not outcome.ok:
                print(f"\n[{outcome.case.klass}] {outcome.case.text!r} → {outcome.why}")
                for reply in outcome.replies:
                    print("   ", reply.replace("\n", " ")[:200])
    return 0


if __name__ == "__main__":
    sys.exit(main())
