"""make bench-build's own logic on tiny data: the one-date rewrite of the replay case and the report."""
from __future__ import annotations

import json

import yaml

from lake.bench import build as run
from spark.transforms import parse


def test_one_date_rewrite_keeps_the_tweet_and_moves_only_its_creation(shared_data):
    from ingestion.records import Record
    from ingestion.sources.replay import replay

    payloads = [r.payload for r in replay([shared_data / "tweets"]) if isinstance(r, Record)][:300]
    meta = {"ingest_date": "2030-02-03", "ingest_hour": "00", "source_file": "f", "kafka_partition": 0,
            "kafka_offset": 0}
    moved = 0
    for p in payloads:
        before, rej_before = parse.to_bronze(p, meta)
        after, rej_after = parse.to_bronze(run.on_one_date(p, run.MONTH_ANCHOR), meta)
        assert (rej_before is None) == (rej_after is None)
        if before is None:
            continue
        assert after["created_date"].isoformat() == "2030-02-01"
        moved += before["created_date"] != after["created_date"]
        assert {k: v for k, v in before.items() if k not in ("created_at", "created_date")} == \
               {k: v for k, v in after.items() if k not in ("created_at", "created_date")}
    assert moved > 100


def test_report_states_each_goal_and_a_failed_build():
    build = {"engine": "columnar", "tweets": 1000, "seconds": 10.0, "tweets_per_second": 100.0, "created_dates": 3,
             "stages": {"start: Spark application": 2.0, "bronze: raw -> bronze.tweets": 8.0},
             "steps": {"bronze.parse": 5.0}, "driver_peak_rss_mib": 700}
    res = {"stamp": "x", "scale_name": "tiny", "scale": {"tweets": 1000, "days": 30}, "hour_tweets": 10,
           "goals": yaml.safe_load(run.CASES.read_text())["goals"],
           "transforms": {"synthetic": {"tweets": 10, "rows": {"parse_mask": 90.0, "enrich": 40.0, "total": 130.0},
                                        "columnar": {"parse_mask": 80.0, "enrich": 8.0, "total": 88.0}}},
           "builds": [{"case": "month", **build}, {"case": "hour", **build, "seconds": 40.0},
                      {"case": "month", "engine": "rows", "tweets": 1000, "seconds": 3.0, "error": "heap",
                       "stages": {}, "steps": {}, "driver_peak_rss_mib": 0},
                      {"case": "replay_spread", **build, "seconds": 30.0},
                      {"case": "replay_one_date", **build, "seconds": 10.0}]}
    text = run.report(res)
    assert "| 100 tweets/s (10 s) | no |" in text
    assert "**failed** after 3 s: heap" in text
    assert "| <= 23 µs | 88.0 µs | no |" in text and "| <= 30 s | 40 s | no |" in text
    assert "3.00x (30 s vs 10 s) | no |" in text
    assert "micro-batch p95" not in text  # no bench-speed run: no row made up
    res["speed"] = {"run": "speed-1", "batch_p95_s": 4.2, "rate_achieved": 2500.0}
    assert "| <= 5 s | 4.2 s at 2,500 tweets/s (`make bench-speed` run speed-1) | yes |" in run.report(res)


def test_latest_speed_reads_the_newest_run_with_a_goal_case(tmp_path):
    for stamp, p95 in (("speed-20260101T000000Z", 9.0), ("speed-20260102T000000Z", 3.0)):
        (tmp_path / stamp).mkdir()
        (tmp_path / stamp / "results.json").write_text(json.dumps(
            {"throughput": [{"name": "fixed-200", "batch_p95_s": 1.0},
                            {"name": "goal-20pct", "batch_p95_s": p95, "rate_achieved": 10.0}]}))
    (tmp_path / "speed-latest").symlink_to("speed-20260101T000000Z")  # the link is not a newer run
    (tmp_path / "speed-20260103T000000Z").mkdir()
    (tmp_path / "speed-20260103T000000Z" / "results.json").write_text(json.dumps({"throughput": []}))
    got = run.latest_speed(tmp_path)
    assert got["run"] == "speed-20260102T000000Z" and got["batch_p95_s"] == 3.0
    assert run.latest_speed(tmp_path / "nothing") is None
