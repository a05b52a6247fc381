"""make bench-scale's arithmetic and report (lake/bench/scale.py) on made-up runs: medians of the timed rounds,
the 2-worker / 1-worker ratios, which queries ran splits on every node, and answers that differ."""
from __future__ import annotations

import math

from lake.bench import scale


def run(workers: int, layout: str, query: str, wall: float, cpu: float, warmup: bool = False,
        nodes: dict | None = None) -> dict:
    return {"engine": scale.engine(workers), "layout": layout, "query": query, "round": 0, "warmup": warmup,
            "wall_ms": wall, "cpu_ms": cpu, "nodes": nodes or {}}


BOTH = {"coord": {"tasks": 2, "drivers": 6}, "w": {"tasks": 1, "drivers": 5}}
ONE = {"coord": {"tasks": 2, "drivers": 11}, "w": {"tasks": 1, "drivers": 0}}


def result() -> dict:
    runs = [run(1, "orc", "scan", 9999, 9999, warmup=True),  # a warm-up never counts
            run(1, "orc", "scan", 1000, 2000), run(1, "orc", "scan", 1200, 2100), run(1, "orc", "scan", 1100, 1900),
            run(2, "orc", "scan", 1500, 2600, nodes=BOTH), run(2, "orc", "scan", 1300, 2400, nodes=BOTH),
            run(2, "orc", "scan", 1400, 2500, nodes=BOTH),
            run(1, "orc", "point", 100, 50), run(2, "orc", "point", 200, 60, nodes=BOTH),
            run(2, "orc", "point", 200, 60, nodes=ONE)]  # one round on one node only: not "every round"
    return {"runs": runs, "nodes": {"1": ["coord"], "2": ["coord", "w"]},
            "answers": {"trino-1w|orc|scan": [[1]], "trino-2w|orc|scan": [[1]],
                        "trino-1w|orc|point": [[7]], "trino-2w|orc|point": [[8]]}}


def test_medians_leave_out_warm_ups_and_keep_only_nodes_with_splits_in_every_round():
    m = scale.medians(result()["runs"], scale.engine(1))
    assert m[("orc", "scan")]["wall_ms"] == 1100 and m[("orc", "scan")]["runs"] == 3
    m2 = scale.medians(result()["runs"], scale.engine(2))
    assert m2[("orc", "scan")]["nodes_every_run"] == ["coord", "w"]
    assert m2[("orc", "point")]["nodes_every_run"] == ["coord"]


def test_compare_gives_ratios_their_geometric_mean_and_the_queries_spread_over_every_node():
    c = scale.compare(result())
    rows = {(r["layout"], r["query"]): r for r in c["rows"]}
    assert math.isclose(rows[("orc", "scan")]["wall_ratio"], 1400 / 1100)
    assert math.isclose(rows[("orc", "point")]["wall_ratio"], 2.0)
    assert math.isclose(c["wall_ratio_geomean"], math.sqrt(1400 / 1100 * 2.0))
    assert (c["queries"], c["on_every_node"]) == (2, 1)


def test_an_answer_that_changes_with_the_second_worker_is_named():
    assert scale.differing_answers(result()) == ["orc|point"]


def test_the_report_states_each_check_and_the_chart_is_drawn(tmp_path):
    res = {**result(), "command": "make bench-scale SCALE=tiny", "scale": "tiny", "started_utc": "t0",
           "finished_utc": "t1", "wall_seconds": 3, "phases": [1, 2], "error": None,
           "case": {"rows": 10, "layouts": ["orc"], "warmup_runs": 1, "runs": 3},
           "worker": {"port": 8444, "heap_mb": 1024, "rss_mb_after": 700, "start_seconds": 20.5},
           "machine": {"nproc": 2}, "answer_problems": ["orc|point"]}
    res["chart"] = scale.chart(res, tmp_path)
    text = scale.report(res)
    assert res["chart"] == "workers.png" and (tmp_path / "workers.png").stat().st_size > 0
    assert "NO: orc|point" in text and "1 of 2" in text and "700 MiB" in text
    assert f"{math.sqrt(1400 / 1100 * 2.0):.2f}x" in text
