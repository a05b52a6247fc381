"""The comparison statistics, in small pure functions so they can be unit-tested."""
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
