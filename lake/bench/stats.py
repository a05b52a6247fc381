"""The benchmark suites' one statistics module: percentiles, medians, summaries, rates, ratios,
geometric means and goal verdicts, in small pure functions (tests/unit/test_bench_stats.py).

Every suite's p50/p95/p99 is `percentile`: linear interpolation between the order statistics
(Hyndman & Fan type 7, numpy's and Excel's PERCENTILE default). Chosen over the nearest-rank value
bench-speed used before because it is the definition most readers' tools give (a p95 can be checked
with numpy.percentile on results.json), its median is the textbook median (the mean of the two
middle values), and it moves smoothly with the data instead of jumping from one sample to the next
on the few micro-batches or probes a run records.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

MIB = 1024 * 1024


def median(values: Iterable[float]) -> float:
    return percentile(values, 50)


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0..100), linearly interpolated between order statistics (numpy's default)."""
    xs = sorted(values)
    if not xs:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    pos = (len(xs) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def percentile_or_none(values: Sequence[float], q: float) -> float | None:
    """percentile, or None when the run recorded no value (the report then says none was seen)."""
    return percentile(values, q) if values else None


def summarize(values: Sequence[float]) -> dict:
    """Median, min and max of the timed runs (warm-up runs are never passed in)."""
    return {"n": len(values), "median": median(values), "min": min(values), "max": max(values)}


def latency_summary(seconds: Sequence[float]) -> dict:
    return {"n": len(seconds), "p50": percentile(seconds, 50), "p95": percentile(seconds, 95),
            "p99": percentile(seconds, 99), "max": max(seconds), "min": min(seconds)}


def rate(count: float, seconds: float) -> float:
    if seconds <= 0:
        raise ValueError(f"rate over a non-positive duration ({seconds} s)")
    return count / seconds


def mib_per_second(nbytes: float, seconds: float) -> float:
    return rate(nbytes, seconds) / MIB


def ratio(ours: float | None, theirs: float | None) -> float | None:
    """ours / theirs; None when either is missing or theirs is zero."""
    if ours is None or not theirs:
        return None
    return ours / theirs


def goal(name: str, measured: float | None, target: float, higher_is_better: bool, unit: str = "") -> dict:
    """A goal verdict: met only when measured exists and is on the right side of target (inclusive)."""
    if measured is None:
        met = False
    else:
        met = measured >= target if higher_is_better else measured <= target
    return {"name": name, "target": target, "measured": measured, "unit": unit,
            "comparison": ">=" if higher_is_better else "<=", "met": met}


def geomean(values: Iterable[float]) -> float:
    xs = list(values)
    if not xs:
        raise ValueError("geometric mean of no values")
    if any(x <= 0 for x in xs):
        raise ValueError(f"geometric mean needs positive values, got {min(xs)}")
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def speedup(baseline: float | None, value: float | None) -> float | None:
    """How many times less the value is than the baseline (baseline / value)."""
    return ratio(baseline, value)
