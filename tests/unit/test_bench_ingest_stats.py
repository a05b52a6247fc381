"""bench-ingest: the comparison statistics, the perf-tool output parsers and the sink-log readers.

The tool lines are real output of Kafka 4.1.1's ProducerPerformance and
ConsumerPerformance captured on the lake's broker.
"""
from __future__ import annotations

from datetime import datetime

import pytest

from lake.bench import stats
from lake.bench.ingest import cases, kafka_tools
from lake.bench.ingest.sink_process import busy_seconds, first_assignment, roll_timeline

PRODUCER_OUTPUT = """\
Reading payloads from: /tmp/bench-ingest-spszq5ul/payloads.txt
Number of messages read: 10000
5000 records sent, 10142.0 records/sec (17.60 MB/sec), 11.93 ms avg latency, 354.00 ms max latency, \
11 ms 50th, 27 ms 95th, 29 ms 99th, 29 ms 99.9th.
"""

# A throttled run long enough to print a 5-second window line before the summary.
PRODUCER_OUTPUT_WITH_WINDOW = """\
Reading payloads from: /tmp/benchtrial/p.txt
Number of messages read: 2000
9992 records sent, 1991.2 records/sec (3.44 MB/sec), 13.9 ms avg latency, 375.0 ms max latency.
14000 records sent, 1989.2 records/sec (3.44 MB/sec), 13.73 ms avg latency, 375.00 ms max latency, \
14 ms 50th, 23 ms 95th, 28 ms 99th, 37 ms 99.9th.
"""

CONSUMER_OUTPUT = """\
start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, \
fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2026-11-23 10:40:00:408, 2026-11-23 10:40:01:038, 17.4505, 27.6992, 10000, 15873.0159, 365, 265, 65.8510, 37735.8491
"""


# ---------------------------------------------------------------- statistics
def test_median_of_odd_and_even_counts():
    assert stats.median([3, 1, 2]) == 2
    assert stats.median([4, 1, 3, 2]) == 2.5
    assert stats.median([7.0]) == 7.0


def test_percentile_interpolates_between_order_statistics():
    xs = list(range(1, 101))          # 1..100
    assert stats.percentile(xs, 0) == 1
    assert stats.percentile(xs, 100) == 100
    assert stats.percentile(xs, 50) == pytest.approx(50.5)
    assert stats.percentile(xs, 99) == pytest.approx(99.01)
    assert stats.percentile([10, 20], 25) == pytest.approx(12.5)


def test_percentile_ignores_input_order_and_rejects_nonsense():
    assert stats.percentile([5, 1, 4, 2, 3], 75) == stats.percentile([1, 2, 3, 4, 5], 75) == 4
    with pytest.raises(ValueError):
        stats.percentile([], 50)
    with pytest.raises(ValueError):
        stats.percentile([1], 101)


def test_summarize_and_latency_summary():
    assert stats.summarize([3.0, 1.0, 2.0]) == {"n": 3, "median": 2.0, "min": 1.0, "max": 3.0}
    lat = stats.latency_summary([float(i) for i in range(1, 101)])
    assert lat["p50"] == pytest.approx(50.5) and lat["p95"] == pytest.approx(95.05)
    assert lat["p99"] == pytest.approx(99.01) and lat["max"] == 100 and lat["n"] == 100


def test_rates_and_ratio():
    assert stats.rate(1000, 0.5) == 2000
    assert stats.mib_per_second(3 * 1024 * 1024, 2) == 1.5
    assert stats.ratio(50, 100) == 0.5
    assert stats.ratio(None, 100) is None and stats.ratio(50, 0) is None and stats.ratio(50, None) is None
    with pytest.raises(ValueError):
        stats.rate(1, 0)


def test_goal_verdicts_are_inclusive_and_missing_means_missed():
    assert stats.goal("g", 0.5, 0.5, True)["met"]
    assert not stats.goal("g", 0.49, 0.5, True)["met"]
    assert stats.goal("p99", 10.0, 10.0, False)["met"]
    assert not stats.goal("p99", 10.01, 10.0, False)["met"]
    missing = stats.goal("g", None, 0.5, True)
    assert missing["met"] is False and missing["comparison"] == ">="


# ---------------------------------------------------------------- perf-tool output
def test_parses_producer_performance_summary():
    s = kafka_tools.parse_producer_summary(PRODUCER_OUTPUT)
    assert s["records"] == 5000
    assert s["records_per_s"] == pytest.approx(10142.0)
    assert s["mib_per_s"] == pytest.approx(17.60)
    assert s["avg_latency_ms"] == pytest.approx(11.93) and s["max_latency_ms"] == pytest.approx(354.0)
    assert (s["p50_ms"], s["p95_ms"], s["p99_ms"], s["p999_ms"]) == (11, 27, 29, 29)
    assert s["line"].startswith("5000 records sent")


def test_producer_window_lines_are_not_the_summary():
    s = kafka_tools.parse_producer_summary(PRODUCER_OUTPUT_WITH_WINDOW)
    assert s["records"] == 14000 and s["records_per_s"] == pytest.approx(1989.2) and s["p999_ms"] == 37
    window_only = PRODUCER_OUTPUT_WITH_WINDOW.splitlines()[2]
    with pytest.raises(kafka_tools.ToolError):
        kafka_tools.parse_producer_summary(window_only)


def test_parses_consumer_performance_row():
    row = kafka_tools.parse_consumer_summary(CONSUMER_OUTPUT)
    assert set(kafka_tools.CONSUMER_FIELDS) <= set(row)
    assert row["data.consumed.in.nMsg"] == 10000
    assert row["fetch.nMsg.sec"] == pytest.approx(37735.8491)
    assert row["fetch.time.ms"] == 265 and row["rebalance.time.ms"] == 365
    assert row["start.time"] == "2026-11-23 10:40:00:408"


def test_consumer_parser_rejects_output_without_a_row():
    with pytest.raises(kafka_tools.ToolError):
        kafka_tools.parse_consumer_summary(CONSUMER_OUTPUT.splitlines()[0])
    with pytest.raises(kafka_tools.ToolError):
        kafka_tools.parse_consumer_summary("WARN something went wrong\n")


def test_java_command_forces_a_dot_decimal_locale(tmp_path):
    cmd = kafka_tools.java_command(tmp_path / "java", tmp_path / "lib", "512m", kafka_tools.PRODUCER_CLASS, ["-x"])
    assert cmd[1:4] == ["-Xmx512m", "-Duser.language=en", "-Duser.country=US"]
    assert cmd[-2:] == [kafka_tools.PRODUCER_CLASS, "-x"] and cmd[5] == f"{tmp_path / 'lib'}/*"


# ---------------------------------------------------------------- sink log
SINK_LOG = """\
2026-11-23 10:40:02,146 INFO raw-sink: partition 3: resuming at offset beginning
2026-11-23 10:40:02,118 INFO raw-sink: partition 0: resuming at offset beginning
2026-11-23 10:40:03,464 INFO hdfs.client: Writing to '/b/_sink/t/p=0/tmp/0-9/raw-2026-11-23-10-t+0+0+9.jsonl'.
2026-11-23 10:40:04,100 INFO raw-sink: partition 1: rolled offsets 0..24 (caught_up; 25 records, 0 rejected, 1 files) in 0.600 s
2026-11-23 10:40:04,300 INFO raw-sink: partition 0: rolled offsets 0..9 (10 records, 0 rejected, 2 files) in 1.250 s
2026-11-23 10:40:05,000 WARNING raw-sink: could not register partition 2026-11-23/10 yet: down
2026-11-23 10:40:09,000 INFO raw-sink: partition 0: rolled offsets 10..19 (10 records, 0 rejected, 1 files) in 0.5 s
"""


def _t(s: str) -> float:
    return datetime.strptime(s, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def test_first_assignment_is_the_first_resuming_line():
    assert first_assignment(SINK_LOG) == _t("2026-11-23 10:40:02,146")
    assert first_assignment("2026-11-23 10:40:02,023 INFO raw-sink: raw sink: t -> /b\n") is None


def test_roll_timeline_reads_the_sinks_roll_lines_in_start_order():
    rolls = roll_timeline(SINK_LOG)
    assert rolls == [(pytest.approx(_t("2026-11-23 10:40:03,050")), _t("2026-11-23 10:40:04,300")),
                     (pytest.approx(_t("2026-11-23 10:40:03,500")), _t("2026-11-23 10:40:04,100")),
                     (pytest.approx(_t("2026-11-23 10:40:08,500")), _t("2026-11-23 10:40:09,000"))]
    # Overlapping rolls count once towards wall time: 3.05 -> 4.30, then 8.5 -> 9.0.
    assert busy_seconds(rolls) == pytest.approx(1.25 + 0.5)
    assert busy_seconds([]) == 0



# ---------------------------------------------------------------- cases
def test_every_scale_in_cases_yaml_loads_and_grows():
    loaded = [cases.load(name) for name in cases.scales()]
    assert [c.scale for c in loaded][:3] == ["tiny", "small", "medium"]
    for c in loaded:
        assert c.producer_records > 0 and c.sink_records > 0 and c.runs >= 1 and c.roll_seconds > 0
    assert loaded[0].producer_records < loaded[1].producer_records < loaded[2].producer_records


def test_unknown_scale_is_one_clear_error():
    with pytest.raises(SystemExit, match="unknown SCALE='huge'"):
        cases.load("huge")


# ---------------------------------------------------------------- verdicts from figures
def _summary(rate: float) -> dict:
    return {"records_per_s": stats.summarize([rate]), "mib_per_s": stats.summarize([rate / 600])}


def _results(ours_p: float, kp_p: float, java_p: float, conf_c: float, kp_c: float, java_c: float,
             sink: float, p99: float) -> dict:
    from lake.bench.ingest import consumers, producers, sink_drain

    prod = {producers.OURS: ours_p, producers.KAFKA_PYTHON: kp_p, producers.KAFKA_TOOL: java_p}
    cons = {consumers.CONFLUENT: conf_c, consumers.KAFKA_PYTHON: kp_c, consumers.KAFKA_TOOL: java_c,
            sink_drain.NAME: sink}
    return {"case": cases.load("tiny").as_dict(),
            "producer": {"summary": {k: _summary(v) for k, v in prod.items()},
                         "ratio_to_kafka": {k: v / java_p for k, v in prod.items()}},
            "consumer": {"summary": {k: _summary(v) for k, v in cons.items()},
                         "ratio_to_kafka": {k: v / java_c for k, v in cons.items()}},
            "latency": {"produce_to_visible_s": {"p99": p99}}}


def test_goals_follow_the_measured_ratios_and_p99():
    from lake.bench.ingest.verdicts import goals

    case = cases.load("tiny")
    met = goals({**_results(60, 10, 50, 120, 20, 100, 50, case.roll_seconds + 5), "replay_stream": {"peak_rss_mib": 40}},
                case)
    assert [g["met"] for g in met] == [True, True, True, True]
    missed = goals({**_results(20, 10, 50, 120, 20, 100, 10, case.roll_seconds + 5.01),
                    "replay_stream": {"peak_rss_mib": 301}}, case)
    assert [g["met"] for g in missed] == [False, False, False, False]
    assert missed[0]["measured"] == pytest.approx(0.4) and missed[1]["measured"] == pytest.approx(0.1)


def test_client_choice_is_derived_from_both_ratios():
    from lake.bench.ingest.verdicts import choice

    c = choice(_results(60, 10, 50, 120, 20, 100, 10, 9))
    assert c["pick"] == "confluent-kafka" and c["producer_confluent_over_kafka_python"] == pytest.approx(6)
    assert "would miss the producer goal" in c["text"]
    assert choice(_results(10, 60, 50, 20, 120, 100, 10, 9))["pick"] == "kafka-python"
    assert choice(_results(60, 10, 50, 20, 120, 100, 10, 9))["pick"] == "split"


def test_bench_readers_fetch_like_the_sink():
    """cases.yaml spells the sink's librdkafka fetch settings for the readers it is compared with;
    a change to one without the other would compare the sink with differently tuned readers."""
    from pathlib import Path

    import yaml

    from lake.bench.ingest.consumers import librdkafka_settings
    from ingestion.sink.raw_sink import FETCH_SETTINGS

    cases = yaml.safe_load((Path(__file__).parents[2] / "benchmarks/ingest/cases.yaml").read_text())
    spelled = librdkafka_settings(cases["common"]["consumer"])
    assert spelled == FETCH_SETTINGS


def _sink_run(seconds: float, main_cpu: float, main_wait: float) -> dict:
    return {"seconds": seconds, "sink_cpu": {"process_cpu_s": main_cpu + 1.0, "threads": {
        "main": {"cpu_s": main_cpu, "runq_wait_s": main_wait},
        "rdk:broker1": {"cpu_s": 0.8, "runq_wait_s": 0.3}, "rdk:main": {"cpu_s": 0.01, "runq_wait_s": 0.0}}}}


def test_sink_cpu_line_names_the_wait_for_a_core_only_when_it_is_large():
    from lake.bench.ingest.report import sink_cpu

    busy = " ".join(sink_cpu([_sink_run(3.0, 1.7, 0.9), _sink_run(3.2, 1.8, 0.8), _sink_run(2.9, 1.6, 1.0)]))
    assert "on a CPU for 1.70 s" in busy and "waiting for a core for 0.90 s" in busy
    assert "used 0.81 s" in busy and "drain itself took 3.00 s" in busy
    assert "bounded by the host's CPU" in busy
    idle = " ".join(sink_cpu([_sink_run(3.0, 1.7, 0.1)]))
    assert "waiting for a core for 0.10 s" in idle and "bounded by the host's CPU" not in idle
    # Results from before the sink reported its CPU render as before.
    assert sink_cpu([{"seconds": 3.0}]) == [] and sink_cpu([{"seconds": 3.0, "sink_cpu": {}}]) == []
