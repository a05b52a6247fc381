"""`make bench SCALE=tiny` end to end against the real stack: generator job, two layouts, two
queries on Trino, the Spark SQL and DuckDB peers, answers compared, report written. Runs in the
bench_tiny_* schemas, which it drops afterwards (their HDFS directories with them)."""
from __future__ import annotations

import json
import subprocess

import pytest

from lake.bench.query import cases
from lake.runtime import hdfs_client
from lake.settings import ROOT

pytestmark = pytest.mark.timeout(900)


def _drop_tiny(lake) -> None:
    subprocess.run(["make", "--no-print-directory", "bench", "SCALE=tiny", "BENCH_ARGS=--drop"], cwd=ROOT,
                   capture_output=True, text=True, timeout=300, check=True)


def test_make_bench_tiny_end_to_end(lake, tmp_path):
    case = cases.load("tiny")
    try:
        r = subprocess.run(["make", "--no-print-directory", "bench", "SCALE=tiny", f"BENCH_ARGS=--results={tmp_path}"],
                           cwd=ROOT, capture_output=True, text=True, timeout=800)
        assert r.returncode == 0, (r.stdout[-1500:], r.stderr[-3000:])
        run_dir = (tmp_path / "latest").resolve()
        assert run_dir.parent == tmp_path and run_dir.name.endswith("Z")
        res = json.loads((run_dir / "results.json").read_text())

        # Every figure of every cell is there: Trino's statistics for each layout, query and run.
        assert res["error"] is None and res["answer_problems"] == []
        assert set(res["layouts"]) == set(case.layouts) and res["base"]["rows"] == case.rows
        trino = [x for x in res["runs"] if x["engine"] == "trino"]
        assert len(trino) == len(case.layouts) * len(case.queries) * (case.warmup_runs + case.runs)
        for x in trino:
            assert x["wall_ms"] > 0 and x["input_rows"] > 0 and x["splits"] >= 1 and x["input_bytes"] > 0
        assert {x["engine"] for x in res["runs"]} == {"trino", "spark", "duckdb"}
        for info in res["layouts"].values():
            assert info["bytes"] > 0 and info["files"] >= 1

        # The answers agree, checked here independently of the runner's own comparison.
        for q in case.queries:
            answers = {k: v for k, v in res["answers"].items() if k.endswith(f"|{q}")}
            assert len(answers) == len(case.layouts) + 2  # + Spark SQL and DuckDB on the peers' layout
            first = next(iter(answers.values()))
            assert first and all(v == first for v in answers.values()), q
        # The one-day answer really is one day: fewer tweets than the whole table.
        one_day = sum(row[1] for row in res["answers"][f"trino|{case.peers['layout']}|one_day_filter"])
        assert 0 < one_day < case.rows

        report = (run_dir / "report.md").read_text()
        for heading in ("## Goals", "## Layouts", "## Factor: format (baseline json)", "## Peers on parquet_zstd",
                        "## Every cell", "## What to do"):
            assert heading in report
        assert "**Verdict: passed**" in report
        assert (run_dir / "charts" / "format.png").stat().st_size > 1000
        goals = {g["name"]: g for g in res["analysis"]["goals"]}
        assert goals["Storage: Parquet zstd bytes / JSON bytes"]["run"]
        assert not goals["Bucketing: author lookup bytes, 16 buckets / unbucketed"]["run"]  # not built at tiny
    finally:
        _drop_tiny(lake)
    client = hdfs_client.client(lake)
    left = [d for d in client.list("/lake/warehouse") if d.startswith("bench_tiny_")]
    assert left == []
