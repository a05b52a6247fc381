"""`make bench-speed`'s statistics and verdicts (benchmarks/speed/run.py), on hand-made results."""
from __future__ import annotations

from benchmarks.speed import run


def result(fresh_p95: float | None, batch_p95: float | None, drained: bool = True, seen: int = 30) -> dict:
    return {
        "stamp": "20261123T000000Z", "command": "make bench-speed", "trigger_seconds": 10,
        "master": "local[2]", "machine": "2 cores",
        "producer_max_rps": 50_000.0, "producer_max_source": "median of 3 timed runs in this run",
        "freshness": {"probes": 30, "seen": seen, "p50_s": 5.0, "p95_s": fresh_p95, "max_s": 25.0},
        "throughput": [{"name": "goal-20pct", "rate_target": 10_000.0, "rate_achieved": 9_990.0, "batches": 4,
                        "batch_p50_s": 3.0, "batch_p95_s": batch_p95, "batch_max_s": batch_p95,
                        "rows_per_s_processing": 4_500.0, "drained": drained}],
    }


def verdicts(report: str) -> list[str]:
    """The last cell of the freshness row and of each throughput row."""
    rows = [ln for ln in report.splitlines() if ln.startswith("| 30 |") or ln.startswith("| goal-20pct")]
    return [r.rstrip(" |").rsplit("|", 1)[1].strip() for r in rows]


def test_percentile_is_nearest_rank_and_empty_is_none():
    assert run.pct([], 95) is None
    assert run.pct([3.0], 95) == 3.0
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert run.pct(values, 50) == 11.0 and run.pct(values, 95) == 19.0 and run.pct(values, 100) == 20.0
    assert run.pct(list(reversed(values)), 95) == 19.0  # order of arrival does not matter


def test_goals_are_judged_against_the_trigger():
    # Freshness goal: p95 <= 2 x trigger (20 s); throughput: p95 <= trigger / 2 (5 s).
    assert verdicts(run.report(result(fresh_p95=20.0, batch_p95=5.0))) == ["yes", "yes"]
    assert verdicts(run.report(result(fresh_p95=20.1, batch_p95=5.1))) == ["**missed**", "**missed**"]


def test_a_backlog_never_drained_is_a_miss_even_with_short_batches():
    assert verdicts(run.report(result(fresh_p95=10.0, batch_p95=1.0, drained=False))) == ["yes", "**missed**"]


def test_report_names_the_producer_maximum_and_its_source():
    text = run.report(result(fresh_p95=10.0, batch_p95=1.0))
    assert "Producer maximum: 50,000 records/s (median of 3 timed runs in this run)" in text
    assert "`make bench-speed`" in text


def test_no_probe_seen_is_reported_as_missed():
    text = run.report(result(fresh_p95=None, batch_p95=1.0, seen=0))
    assert "| no probe was seen | | | | | | **missed** |" in text
