"""Comparison statistics of the query benchmark: summaries, ratios, geometric means and
answer equality, as small pure functions (unit-tested in tests/unit/test_bench_query_stats.py).

Median/min/max, ratio and goal verdicts are the ingestion benchmark's (lake.bench.stats).
"""
from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Sequence

from lake.bench.stats import goal, median, ratio, summarize  # noqa: F401 - re-exported

FLOAT_DIGITS = 9  # significant digits kept when comparing floating-point answers


def geomean(values: Iterable[float]) -> float:
    xs = list(values)
    if not xs:
        raise ValueError("geometric mean of no values")
    if any(x <= 0 for x in xs):
        raise ValueError(f"geometric mean needs positive values, got {min(xs)}")
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def normalize_value(v):
    """One cell in an engine-neutral form: numbers as int/float (floats to FLOAT_DIGITS significant
    digits), timestamps as ISO text without time zone, arrays as tuples."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else normalize_value(float(v))
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return repr(v)
        if v == int(v) and abs(v) < 2**53:
            return int(v)
        return float(f"{v:.{FLOAT_DIGITS}g}")
    if isinstance(v, datetime):
        return v.replace(tzinfo=None).isoformat(sep=" ", timespec="milliseconds")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return tuple(normalize_value(x) for x in v)
    if isinstance(v, str | bytes):
        return v
    return str(v)


def normalize(rows: Sequence[Sequence]) -> list[tuple]:
    """Rows as a sorted list of normalized tuples: equal answers compare equal whatever the
    engine's types and row order (the queries order their output; ties may come in any order)."""
    out = [tuple(normalize_value(c) for c in r) for r in rows]
    return sorted(out, key=lambda r: tuple((x is None, str(x)) for x in r))


def answers_differ(answers: dict[str, list[tuple]], reference: str) -> dict[str, dict]:
    """{name: {"expected": ..., "got": ...}} for every answer that is not the reference's (normalized)."""
    ref = normalize(answers[reference])
    diffs = {}
    for name, rows in answers.items():
        got = normalize(rows)
        if got != ref:
            diffs[name] = {"expected": ref[:5], "got": got[:5], "expected_rows": len(ref), "got_rows": len(got)}
    return diffs


def speedup(baseline: float | None, value: float | None) -> float | None:
    """How many times less the value is than the baseline (baseline / value)."""
    return ratio(baseline, value)


def parse_size(text: str) -> int:
    """Trino's succinct data sizes ('0B', '12.5kB', '3.10MB') in bytes."""
    units = {"B": 1, "kB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4, "PB": 1024**5}
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit):
            return round(float(text[: -len(unit)]) * units[unit])
    raise ValueError(f"not a Trino data size: {text!r}")
