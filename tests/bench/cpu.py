"""CPU time per process tree, from /proc: where a benchmark's seconds went.

On a small machine every process of the stack competes for the same cores, so what
the desk spends per message is taken from Rasa's time; this shows how much.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime are fields 14 and 15 of stat; after the ")" they are 12th and 13th.
    return (int(fields[11]) + int(fields[12])) / TICKS


def tree_seconds(pid: int) -> float:
    """CPU seconds used so far by ``pid`` and every process below it."""
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        total += _seconds(current)
        stack += _children(current)
    return total


def snapshot(pids: dict[str, int]) -> dict[str, float]:
    return {name: tree_seconds(pid) for name, pid in pids.items()}


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}


def machine_seconds() -> float:
    """Busy CPU seconds of the whole machine (every core) since boot."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICKS


def stack_pids(stack) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {name: process.pid for name, process in stack.processes.items()}


def report(label: str, seconds: dict[str, float], messages: int) -> str:
    parts = "  ".join(f"{name} {1000 * value / messages:.0f}" for name, value in seconds.items())
    return f"{label}: CPU ms per message: {parts}"
