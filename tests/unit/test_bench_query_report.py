"""Report generation of the query benchmark: analysis of raw runs, goal verdicts, the derived
advice, report.md's structure and the charts, on made-up runs (no services)."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from lake.bench.query import analysis, cases, report
from lake.bench.report import point_latest

QUERIES = ("full_scan_aggregate", "one_day_filter")


def _case(layouts=("json", "orc_zstd", "orc_zstd_day")):
    c = cases.load("small")
    keep = {n: c.layouts[n] for n in layouts}
    factors = {k: v for k, v in c.factors.items() if k in ("format", "partitioning")}
    return replace(c, layouts=keep, queries=QUERIES, factors=factors, warmup_runs=1, runs=2)


def _runs(times: dict[tuple[str, str], float], bytes_read: dict[tuple[str, str], int], engine="trino"):
    out = []
    for (lay, q), ms in times.items():
        for rnd, jitter in enumerate((50.0, 1.0, 1.2)):  # round 0 is the warm-up, far off on purpose
            out.append({"engine": engine, "layout": lay, "query": q, "round": rnd, "warmup": rnd == 0,
                        "wall_ms": ms * jitter, "cpu_ms": ms * jitter / 2, "input_bytes": bytes_read[(lay, q)],
                        "input_rows": 100, "splits": 2})
    return out


def _result(case, times, bytes_read, layout_bytes):
    res = {"suite": "query", "scale": "small", "command": "make bench SCALE=small", "started_utc": "2026-01-01T00:00:00",
           "case": case.as_dict(), "machine": {"nproc": 2, "load_average_before": [1.0], "load_average_after": [2.0]},
           "versions": {"trino": "476"}, "base": {"rows": 1000}, "runs": _runs(times, bytes_read), "answers": {},
           "layouts": {n: {"bytes": b, "files": 3, "status": "built", "build_seconds": 1.0} for n, b in layout_bytes.items()},
           "answer_problems": [], "error": None}
    res["analysis"] = analysis.analyse(res, case)
    return res


@pytest.fixture
def measured():
    case = _case()
    times = {("json", "full_scan_aggregate"): 2000.0, ("orc_zstd", "full_scan_aggregate"): 100.0,
             ("orc_zstd_day", "full_scan_aggregate"): 120.0, ("json", "one_day_filter"): 1800.0,
             ("orc_zstd", "one_day_filter"): 80.0, ("orc_zstd_day", "one_day_filter"): 20.0}
    read = {("json", "full_scan_aggregate"): 10_000_000, ("orc_zstd", "full_scan_aggregate"): 500_000,
            ("orc_zstd_day", "full_scan_aggregate"): 520_000, ("json", "one_day_filter"): 10_000_000,
            ("orc_zstd", "one_day_filter"): 300_000, ("orc_zstd_day", "one_day_filter"): 9_000}
    return case, _result(case, times, read, {"json": 100_000_000, "orc_zstd": 9_000_000, "orc_zstd_day": 9_500_000})


def test_summaries_leave_out_warmups(measured):
    case, res = measured
    s = res["analysis"]["summaries"]["trino"]["orc_zstd"]["full_scan_aggregate"]["wall_ms"]
    assert s["n"] == 2 and s["max"] == pytest.approx(120.0) and s["median"] == pytest.approx(110.0)


def test_factor_ratios_are_against_each_factors_baseline(measured):
    _, res = measured
    f = res["analysis"]["factors"]
    assert f["format"]["baseline"] == "json"
    assert f["format"]["layouts"]["orc_zstd"]["queries"]["full_scan_aggregate"]["wall_ms"] == pytest.approx(0.05)
    assert f["format"]["layouts"]["orc_zstd"]["storage"] == pytest.approx(0.09)
    assert f["partitioning"]["layouts"]["orc_zstd_day"]["queries"]["one_day_filter"]["input_bytes"] == pytest.approx(0.03)


def test_goal_verdicts_follow_the_numbers(measured):
    _, res = measured
    goals = {g["name"]: g for g in res["analysis"]["goals"]}
    storage = goals["Storage: ORC zstd bytes / JSON bytes"]
    assert storage["measured"] == pytest.approx(0.09) and storage["met"]
    cpu = goals["Scan CPU: JSON / ORC zstd (3-column aggregate)"]
    assert cpu["measured"] == pytest.approx(20.0) and cpu["met"]  # 20x is the target, inclusive
    pruning = goals["Pruning: one-day bytes, by day / unpartitioned"]
    assert pruning["measured"] == pytest.approx(0.03) and pruning["met"]
    assert not goals["Storage: Parquet zstd bytes / JSON bytes"]["run"]  # parquet not built here
    assert not goals["Peer: Trino geometric-mean time / DuckDB's"]["met"]


def test_a_missed_goal_is_reported_as_missed():
    case = _case()
    times = {(lay, q): 100.0 for lay in case.layouts for q in QUERIES}
    read = {(lay, q): 1000 for lay in case.layouts for q in QUERIES}
    res = _result(case, times, read, {"json": 100, "orc_zstd": 90, "orc_zstd_day": 90})
    g = next(g for g in res["analysis"]["goals"] if g["name"].startswith("Pruning"))
    assert g["run"] and not g["met"] and g["measured"] == pytest.approx(1.0)
    assert "**missed**" in report.render(res)


def test_advice_is_derived_from_the_ratios(measured):
    case, res = measured
    advice = " ".join(res["analysis"]["advice"])
    assert "use orc_zstd" in advice and "one_day_filter" in advice
    # The same layouts with the numbers turned around give the opposite advice.
    times = {("json", q): 100.0 for q in QUERIES} | {("orc_zstd", q): 1000.0 for q in QUERIES} | \
        {("orc_zstd_day", q): 1000.0 for q in QUERIES}
    read = {(lay, q): 1000 for lay in case.layouts for q in QUERIES}
    flipped = _result(case, times, read, {"json": 100, "orc_zstd": 90, "orc_zstd_day": 90})
    assert "keep json" in " ".join(flipped["analysis"]["advice"])


def test_report_has_every_section_and_charts(measured, tmp_path):
    _, res = measured
    report.store(tmp_path, res)
    md = (tmp_path / "report.md").read_text()
    for heading in ("# Query benchmark", "## Goals", "## Layouts", "## Queries", "## Factor: format (baseline json)",
                    "## Factor: partitioning (baseline orc_zstd)", "## Every cell", "## What to do"):
        assert heading in md
    assert md.rstrip().splitlines()[-1].startswith("- ")  # the report ends with the advice
    for png in ("charts/format.png", "charts/partitioning.png", "charts/storage.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({png})" in md
    assert json.loads((tmp_path / "results.json").read_text())["analysis"]["goals"]


def test_report_says_failed_when_answers_differ(measured):
    _, res = measured
    res["answer_problems"] = [{"query": "one_day_filter", "answer": "trino|json|one_day_filter",
                               "reference": "trino|orc_zstd|one_day_filter", "expected": [("a", 1)], "got": [("a", 2)],
                               "expected_rows": 1, "got_rows": 1}]
    md = report.render(res)
    assert "**Verdict: FAILED**" in md and "## Answers that differ" in md


def test_point_latest_repoints_the_link(tmp_path):
    a, b = tmp_path / "20260101T000000Z", tmp_path / "20260102T000000Z"
    a.mkdir(), b.mkdir()
    point_latest(a, "latest")
    link = point_latest(b, "latest")
    assert link.resolve() == b.resolve()


def _size(literal: str) -> int:
    units = {"kB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}
    text = literal.strip("'")
    unit = next(u for u in units if text.endswith(u))
    return int(float(text[: -len(unit)]) * units[unit])


def test_bucketed_layouts_get_small_stripes_that_trino_accepts():
    from lake.bench.query.layouts import write_session

    c = cases.load("small")
    bucketed = [layout for layout in c.layouts.values() if layout.bucketed_by and layout.writer != "spark"]
    assert bucketed, "the small scale has Trino-written bucketed layouts"
    for layout in bucketed:
        session = write_session(layout)
        lo, hi = (_size(session[f"hive.orc_optimized_writer_{k}_stripe_size"]) for k in ("min", "max"))
        dictionary = _size(session["hive.orc_optimized_writer_max_dictionary_memory"])
        # Trino refuses a max below the min (its default min is 32 MB), as a medium build found out.
        assert 0 < lo <= hi <= 16 * 1024 ** 2
        # All the bucket writers' buffers together stay well inside Trino's 1 GB per-node query memory.
        assert layout.bucket_count * (hi + dictionary) <= 512 * 1024 ** 2
    plain = write_session(c.layouts["orc_zstd"])
    assert not any("stripe" in k for k in plain)
