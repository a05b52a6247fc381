"""The one-application build's plumbing, without services: the job's arguments, what the launcher
reads back from its output, the gates as one statement per layer, the publish's chunks, and what
a failed gate does to `make build`."""
from __future__ import annotations

import json

import pytest

from lake.pipeline import build, layers, quality
from lake.errors import LakeError
from spark.jobs import build as job


def test_job_arguments():
    a = job.parse_args(["--dates", "2024-01-02,2024-01-01", "--layers", "silver,gold", "--prefix", "it_x_"])
    assert a.dates == ["2024-01-02", "2024-01-01"] and a.layers == ["silver", "gold"]
    assert job.parse_args(["--pending"]).layers == ["bronze", "silver", "gold"]
    with pytest.raises(SystemExit):
        job.parse_args(["--pending", "--layers", "gold"])  # pending is defined by bronze
    with pytest.raises(SystemExit):
        job.parse_args(["--dates", "2024-01-01", "--layers", "platinum"])
    with pytest.raises(SystemExit):  # the per-row engine is gone, and with it the choice
        job.parse_args(["--dates", "2024-01-01", "--engine", "rows"])


def test_launcher_reads_every_result_line_and_skips_the_rest():
    gates = [{"layer": "bronze", "name": "unique_tweet_id", "description": "d", "target": "bronze.tweets",
              "observed": 0, "expected": 0}]
    out = "\n".join(["== bronze: raw -> bronze.tweets (3s)", "BRONZE_RESULT " + json.dumps({"raw_records": 5}),
                     "GATES bronze " + json.dumps(gates), "noise BUILD_RESULT {", "BUILD_RESULT {not json",
                     "BUILD_RESULT " + json.dumps({"stages": {"start": 1.0}})])
    found = build._job_results(out)
    assert found == {"BRONZE_RESULT": {"raw_records": 5}, "GATES bronze": gates,
                     "BUILD_RESULT": {"stages": {"start": 1.0}}}


def test_a_layers_gates_are_one_statement(monkeypatch):
    from lake import settings

    s = settings.get()
    sent = []

    def trino(_s, sql, **_kw):
        sent.append(sql)
        n = sql.count("UNION ALL") + 1
        return [(i, 7, 7 if i else 6) for i in range(n)]  # gate 0 fails

    monkeypatch.setattr(quality.clients, "trino", trino)
    found = quality.run_layer(s, "silver", layers.Databases("p_").params(), ["2024-01-01"], ["2024-01-01"])
    assert len(sent) == 1 and len(found) == len(quality.gate_files(s, "silver")) >= 3
    assert [g.name for g in found] == [f.stem for f in quality.gate_files(s, "silver")]
    assert not found[0].passed and all(g.passed for g in found[1:])
    assert "${" not in sent[0] and "hive.p_silver.tweets" in sent[0]


def test_publish_opens_at_most_64_writers_a_statement(monkeypatch):
    from lake import settings

    s = settings.get()
    sent = []
    monkeypatch.setattr(layers.clients, "trino", lambda _s, sql, **_kw: sent.append(sql) or [])
    days = [f"2024-01-{d:02d}" for d in range(1, 31)]
    n = layers.publish_silver(s, layers.Databases(), days, ["2024-02-01"])
    inserts = [q for q in sent if q.startswith("INSERT")]
    assert n == len(sent) == len(inserts) + 1 and len(inserts) == 8  # 30 days, 4 a statement (16 buckets)
    assert all(q.count("DATE '") <= 4 for q in inserts)
    assert sorted(d for q in inserts for d in days if f"DATE '{d}'" in q) == days
    assert sent[-1].startswith("DELETE") and "2024-02-01" in sent[-1]


def test_a_failed_gate_fails_the_build_with_exit_6(monkeypatch):
    from lake import settings

    s = settings.get()
    gates = [{"layer": "bronze", "name": "unique_tweet_id", "description": "tweet_id is unique",
              "target": "bronze.tweets", "observed": 2, "expected": 0}]
    out = "GATES bronze " + json.dumps(gates) + "\nBUILD_RESULT " + json.dumps({"stages": {}, "ingest_dates": []})
    monkeypatch.setattr(build, "apply_ddl", lambda *a: None)
    monkeypatch.setattr(build, "sync_raw_partitions", lambda *a: None)
    monkeypatch.setattr(build.spark, "submit", lambda *a, **kw: (6, out))
    with pytest.raises(quality.GateFailed, match="bronze.unique_tweet_id failed: observed 2, expected 0"):
        build.run(s, dates=["2024-01-01"], echo=lambda *_: None)
    monkeypatch.setattr(build.spark, "submit", lambda *a, **kw: (0, "nothing"))
    with pytest.raises(LakeError, match="no BUILD_RESULT"):
        build.run(s, dates=["2024-01-01"], echo=lambda *_: None)
