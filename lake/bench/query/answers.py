"""Answer equality of the query benchmark: rows in one engine-neutral, ordered form, and the answers
that differ from the reference (unit-tested in tests/unit/test_bench_query_stats.py). The summaries,
ratios and geometric means are lake.bench.stats, which every suite shares."""
from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Sequence

FLOAT_DIGITS = 9  # significant digits kept when comparing floating-point answers


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
