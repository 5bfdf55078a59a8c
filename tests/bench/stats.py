"""Medians and percentiles for the benchmarks (timings here are noisy: compare within a run)."""

from __future__ import annotations

import statistics


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def summary(name: str, samples_ms: list[float]) -> str:
    return (
        f"{name:<38} n={len(samples_ms):<5} median={statistics.median(samples_ms):7.2f} ms  "
        f"p95={percentile(samples_ms, 95):7.2f} ms  p99={percentile(samples_ms, 99):7.2f} ms"
    )
