"""bench-ingest: HDFS's own write rate as the sink's ceiling (marginal rate, and how the report words it)."""
from __future__ import annotations

import pytest

from lake.bench.ingest import consumers, hdfs_put, kafka_tools, report, sink_drain


def test_marginal_rate_leaves_out_the_jvm_start():
    # 1 copy in 3.0 s, 3 copies in 7.0 s: one copy's bytes take 2.0 s, the other 1.0 s is the JVM and set-up.
    fig = hdfs_put.marginal_rate(3.0, 7.0, count=100_000, value_bytes=200 * 2**20)
    assert fig["seconds"] == pytest.approx(2.0)
    assert fig["records_per_s"] == pytest.approx(50_000)
    assert fig["mib_per_s"] == pytest.approx(100)
    assert fig["records"] == 100_000


def test_marginal_rate_refuses_a_three_copy_put_that_was_not_slower():
    with pytest.raises(kafka_tools.ToolError, match="not slower"):
        hdfs_put.marginal_rate(3.0, 2.9, count=10, value_bytes=1000)


def test_fs_shell_runs_on_the_hadoop_classpath_not_the_kafka_jars():
    cmd = kafka_tools.jvm_command("java", "/conf/hadoop:/lib/hadoop/*", "512m", hdfs_put.FS_SHELL, ["-put", "a", "/b"])
    assert cmd[cmd.index("-cp") + 1] == "/conf/hadoop:/lib/hadoop/*"
    assert cmd[-4:] == [hdfs_put.FS_SHELL, "-put", "a", "/b"]


def _cons(put_rate: float, sink_rate: float, kafka_rate: float) -> dict:
    summary = {name: {"records_per_s": {"median": r}, "mib_per_s": {"median": r / 600}}
               for name, r in ((hdfs_put.NAME, put_rate), (sink_drain.NAME, sink_rate),
                               (consumers.KAFKA_TOOL, kafka_rate))}
    return {"summary": summary, "ratio_to_kafka": {k: v["records_per_s"]["median"] / kafka_rate
                                                   for k, v in summary.items()}}


def test_report_says_no_sink_can_meet_the_goal_when_hdfs_alone_is_below_it():
    text = " ".join(report.hdfs_ceiling(_cons(put_rate=100_000, sink_rate=60_000, kafka_rate=250_000), 0.5))
    assert "40% of ConsumerPerformance" in text
    assert "at 60% of HDFS's own rate" in text
    assert "no sink, in any language, could meet it here" in text


def test_report_makes_no_such_claim_when_hdfs_alone_is_above_the_goal():
    text = " ".join(report.hdfs_ceiling(_cons(put_rate=200_000, sink_rate=60_000, kafka_rate=250_000), 0.5))
    assert "80% of ConsumerPerformance" in text
    assert "could meet" not in text


def test_report_has_no_ceiling_line_without_the_put_figure():
    cons = _cons(put_rate=1, sink_rate=1, kafka_rate=1)
    del cons["summary"][hdfs_put.NAME]
    assert report.hdfs_ceiling(cons, 0.5) == []


def test_report_names_why_there_is_no_ceiling_when_every_put_failed():
    cons = _cons(put_rate=1, sink_rate=1, kafka_rate=1)
    del cons["summary"][hdfs_put.NAME]
    cons["hdfs_put_errors"] = ["round 0: FsShell -put of three copies (1.51 s) was not slower than of one (1.56 s)"]
    assert report.hdfs_ceiling(cons, 0.5) == [
        "", "No HDFS ceiling this run: round 0: FsShell -put of three copies (1.51 s) was not slower than of one "
            "(1.56 s)"]
