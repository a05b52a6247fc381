"""`make bench-speed`'s statistics and verdicts (lake/bench/speed/), on hand-made results."""
from __future__ import annotations

import pytest

from lake.bench import stats
from lake.bench.speed import load
from lake.bench.speed import report as speed_report


def result(fresh_p95: float | None, batch_p95: float | None, drained: bool = True, seen: int = 30) -> dict:
    return {
        "stamp": "20261123T000000Z", "command": "make bench-speed", "trigger_seconds": 10,
        "master": "local[2]", "machine": "2 cores",
        "producer_max_rps": 50_000.0, "producer_max_source": "median of 3 timed runs in this run",
        "freshness": {"probes": 30, "seen": seen, "p50_s": 5.0, "p95_s": fresh_p95, "max_s": 25.0},
        "throughput": [{"name": "goal-20pct", "fraction": 0.2, "rate_target": 10_000.0, "rate_achieved": 9_990.0, "batches": 4,
                        "batch_p50_s": 3.0, "batch_p95_s": batch_p95, "batch_max_s": batch_p95,
                        "rows_per_s_processing": 4_500.0, "drained": drained}],
    }


def verdicts(report: str) -> list[str]:
    """The last cell of the freshness row and of each throughput row."""
    rows = [ln for ln in report.splitlines() if ln.startswith("| 30 |") or ln.startswith("| goal-20pct")]
    return [r.rstrip(" |").rsplit("|", 1)[1].strip() for r in rows]


def test_percentile_is_interpolated_and_empty_is_none():
    # lake.bench.stats' one definition (linear interpolation); bench-speed's nearest rank gave 11 and 19.
    assert stats.percentile_or_none([], 95) is None
    assert stats.percentile_or_none([3.0], 95) == 3.0
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert stats.percentile_or_none(values, 50) == 10.5
    assert stats.percentile_or_none(values, 95) == pytest.approx(19.05)
    assert stats.percentile_or_none(values, 100) == 20.0
    assert stats.percentile_or_none(list(reversed(values)), 95) == pytest.approx(19.05)  # order does not matter


def test_goals_are_judged_against_the_trigger():
    # Freshness goal: p95 <= 2 x trigger (20 s); throughput: p95 <= trigger / 2 (5 s).
    assert verdicts(speed_report.render(result(fresh_p95=20.0, batch_p95=5.0))) == ["yes", "yes"]
    assert verdicts(speed_report.render(result(fresh_p95=20.1, batch_p95=5.1))) == ["**missed**", "**missed**"]


def test_a_backlog_never_drained_is_a_miss_even_with_short_batches():
    assert verdicts(speed_report.render(result(fresh_p95=10.0, batch_p95=1.0, drained=False))) == ["yes", "**missed**"]


def test_report_names_the_producer_maximum_and_its_source():
    text = speed_report.render(result(fresh_p95=10.0, batch_p95=1.0))
    assert "Producer maximum: 50,000 records/s (median of 3 timed runs in this run)" in text
    assert "`make bench-speed`" in text


def test_no_probe_seen_is_reported_as_missed():
    text = speed_report.render(result(fresh_p95=None, batch_p95=1.0, seen=0))
    assert "| no probe was seen | | | | | | **missed** |" in text


# ---- capacity: what the throughput goal asks of the shared transforms ---------------------------
def test_capacity_needs_input_rate_over_the_goal_ratio_against_cores_times_one_core():
    cap = speed_report.capacity(10_000, 0.5, {"rows_per_cpu_second": 9_000.0}, cores=2)
    assert cap["needed_rows_per_s"] == 20_000 and cap["ceiling_rows_per_s"] == 18_000
    assert cap["reachable"] is False
    assert speed_report.capacity(10_000, 0.5, {"rows_per_cpu_second": 11_000.0}, cores=2)["reachable"] is True


def with_alone(rows_per_cpu_second: float) -> dict:
    res = result(fresh_p95=10.0, batch_p95=17.0)
    res.update(goal_ratio=0.5, cores=2, transforms_alone={"records": 20_000, "rows": 20_000, "cpu_seconds": 2.2,
                                                          "rows_per_cpu_second": rows_per_cpu_second,
                                                          "us_per_record": 1e6 / rows_per_cpu_second})
    return res


def test_report_says_when_the_goal_is_out_of_reach_of_the_transforms_themselves():
    text = speed_report.render(with_alone(9_000.0))
    assert "ran at 9,000 records per CPU-second" in text
    assert "must be processed within 5 s, so at 20,000 rows/s. 2 cores running nothing but this code would do " \
           "18,000/s; the stream processed 4,500/s (25% of that" in text
    assert "out of reach on this host" in text


def test_report_makes_no_such_claim_when_the_cores_would_suffice():
    text = speed_report.render(with_alone(12_000.0))
    assert "would do 24,000/s" in text and "out of reach" not in text


def test_capacity_speaks_only_of_the_goal_cases_not_of_a_fixed_low_rate():
    res = with_alone(9_000.0)
    res["throughput"].append({**res["throughput"][0], "name": "fixed-200", "fraction": None, "rate_target": 200.0})
    text = speed_report.render(res)
    assert "- goal-20pct:" in text and "- fixed-200:" not in text


def test_report_without_the_measurement_has_no_capacity_section():
    assert "Capacity" not in speed_report.render(result(fresh_p95=10.0, batch_p95=1.0))


def test_fresh_payloads_recycle_the_same_tweets_with_new_ids():
    import itertools
    import json

    got = [(k, json.loads(v)) for k, v in itertools.islice(load.fresh_payloads(seed=41, distinct=3), 7)]
    ids = [o["id"] for _, o in got]
    assert len(set(ids)) == 7 and all(k.decode() == o["id"] for k, o in got)
    strip = [{k: v for k, v in o.items() if k != "id"} for _, o in got]
    assert strip[0] == strip[3] == strip[6] and strip[0] != strip[1]


def test_fresh_payloads_are_the_bytes_json_dumps_gives_for_the_tweet_with_its_new_id():
    import itertools
    import json

    from lake.demos.sandbox import tweet_payloads

    base = [json.loads(v) for _, v in tweet_payloads(3, 41)]
    for i, (key, value) in enumerate(itertools.islice(load.fresh_payloads(seed=41, distinct=3), 6)):
        assert value == json.dumps({**base[i % 3], "id": key.decode()}).encode()


def test_transforms_alone_runs_the_streams_own_code_and_counts_rows():
    from spark.transforms import pii as pii_mod

    fig = load.transforms_alone(300, seed=41, pii=pii_mod.Pii("k" * 32))
    assert fig["records"] == 300 and fig["rows"] == 300   # synthetic tweets are all valid
    assert fig["rows_per_cpu_second"] > 0 and fig["us_per_record"] > 0


# ---- floor: the same stream with its transforms taken out ---------------------------------------
def with_floor(floor_p95: float) -> dict:
    res = result(fresh_p95=10.0, batch_p95=17.0)
    res["throughput"].append({"name": "floor-20pct", "fraction": 0.2, "floor": True, "rate_target": 10_000.0,
                              "rate_achieved": 9_990.0, "batches": 7, "batch_p50_s": 3.0, "batch_p95_s": floor_p95,
                              "batch_max_s": floor_p95, "rows_per_s_processing": 31_000.0, "drained": True})
    return res


def test_a_floor_above_the_goal_says_no_transform_speed_up_can_meet_it():
    text = speed_report.render(with_floor(6.3))
    assert "| floor-20pct |" in text and "n/a: floor, no transforms |" in text
    assert "p95 6.3 s (7 batches), 31,000 rows/s while processing" in text
    assert "no speed-up of the transforms can meet the goal on this host" in text
    # the goal's own row is still judged, and the floor is not mistaken for it
    assert verdicts(text) == ["yes", "**missed**"]


def test_a_floor_below_the_goal_says_how_much_the_transforms_may_take():
    text = speed_report.render(with_floor(3.5))
    # 1.5 s spare x 2 cores over 10 s of input at 10,000/s: 30 µs a record at most
    assert "could meet it: they may take 1.5 s of a p95 batch, 10 s of input, which is at most 30 µs of CPU " \
           "a record even if 2 cores did nothing else." in text
    assert "no speed-up" not in text and "They take" not in text
    res = with_floor(3.5)
    res["transforms_alone"] = {"records": 20_000, "rows": 20_000, "cpu_seconds": 1.8, "rows_per_cpu_second": 11_111.0,
                               "us_per_record": 90.0}
    assert "They take 90 µs alone in this run, 3.0x that." in speed_report.render(res)


def test_capacity_lines_leave_the_floor_out():
    res = with_floor(6.3)
    res.update(goal_ratio=0.5, cores=2, transforms_alone={"records": 20_000, "rows": 20_000, "cpu_seconds": 2.2,
                                                          "rows_per_cpu_second": 9_000.0, "us_per_record": 111.0})
    assert [ln for ln in speed_report.capacity_lines(res) if ln.startswith("- ")][0].startswith("- goal-20pct:")
    assert len([ln for ln in speed_report.capacity_lines(res) if ln.startswith("- ")]) == 1


def counting_convert(calls: list):
    """A stand-in for stream_speed.convert_partition that records what it converts."""
    def convert(pii):
        def run_(records):
            for rec in records:
                calls.append(rec)
                yield (None, ("rejected", rec)) if rec == "bad" else (("row", rec), None)
        return run_
    return convert


def test_floor_convert_emits_one_pair_per_record_and_converts_only_until_a_row(monkeypatch):
    from lake.bench.speed import floor_stream

    calls: list = []
    monkeypatch.setattr(floor_stream, "_real_convert", counting_convert(calls))
    out = list(floor_stream.convert_floor(pii=None)(["bad", "a", "b", "c"]))
    assert calls == ["bad", "a"]   # a reject is converted for real, then the first good record; no more
    assert out == [(None, ("rejected", "bad")), (("row", "a"), None), (("row", "a"), None), (("row", "a"), None)]


def test_the_floor_patch_reaches_the_function_the_stream_ships_to_its_workers(monkeypatch):
    """floor_stream.py patches stream_speed.convert_partition before main(): that only works while
    rows_only (what arrow_rows wraps) looks convert_partition up when it is called."""
    from types import SimpleNamespace

    from lake.bench.speed import floor_stream
    from spark.jobs import stream_speed

    calls: list = []
    monkeypatch.setattr(floor_stream, "_real_convert", counting_convert(calls))
    monkeypatch.setattr(stream_speed, "convert_partition", floor_stream.convert_floor)
    added: list = []
    acc = SimpleNamespace(add=added.append)
    rows = list(stream_speed.rows_only(None, acc, acc)(["a", "b", "c"]))
    assert rows == [("row", "a")] * 3 and calls == ["a"] and added == [3]


def compliance(p95: float | None, gone: int = 12) -> dict:
    return {"events": 12, "gone": gone, "p50_s": 6.0 if gone else None, "p95_s": p95, "max_s": p95,
            "goal_ratio": 2.0, "background_rate": 50, "poll_seconds": 0.25}


def compliance_verdict(report: str) -> str:
    (row,) = [ln for ln in report.splitlines() if ln.startswith("| 12 |")]
    return row.rstrip(" |").rsplit("|", 1)[1].strip()


def test_compliance_goal_is_two_triggers_and_every_event_must_be_seen():
    assert compliance_verdict(speed_report.render({**result(10.0, 1.0), "compliance": compliance(20.0)})) == "yes"
    assert compliance_verdict(speed_report.render({**result(10.0, 1.0), "compliance": compliance(20.1)})) == "**missed**"
    assert compliance_verdict(speed_report.render({**result(10.0, 1.0), "compliance": compliance(9.0, gone=11)})) \
        == "**missed**"
    assert compliance_verdict(speed_report.render({**result(10.0, 1.0), "compliance": compliance(None, gone=0)})) \
        == "**missed**"


def test_a_compliance_only_run_reports_without_freshness_or_throughput():
    res = {k: v for k, v in result(10.0, 1.0).items() if k not in ("freshness", "producer_max_rps", "throughput")}
    text = speed_report.render({**res, "compliance": compliance(12.0)})
    assert "## Compliance" in text and "## Freshness" not in text and "## Throughput" not in text
