"""The lambda part of `make demo`: fresh tweets through the speed layer, then the batch DAG, and the
same serving query before and after (docs/serving.md).

    python -m lake.demos.lambda_demo [--fresh 200] [--skip-batch]

1. produces a few brand-new tweets to tweets.raw and times how long serving.tweets (Trino) takes to
   answer all of them (the stack's speed-layer service streams them);
2. runs the lake_batch DAG (`airflow dags test`) for today's ingest date: bronze, silver, gold,
   gates, compaction, statistics, watermark;
3. asks serving.tweets the same question again: the same tweets, each counted once, now mostly
   served by the batch layer.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

from lake.pipeline import serving
from lake.runtime import clients, faults, probes
from lake.errors import LakeError, report
from lake.settings import TOPIC_RAW, Settings

QUERY_FILE = "demo/serving_tweets_once.sql"


def show(s: Settings, title: str) -> list[tuple]:
    sql = (s.root / QUERY_FILE).read_text()
    rows = clients.trino(s, sql)
    print(f"\n== {title}\n   {QUERY_FILE}")
    print(f"  {'served_from':<12} {'rows':>10} {'distinct':>10}  newest created_at")
    for r in rows:
        print(f"  {r[0] or 'ALL':<12} {r[1]:>10} {r[2]:>10}  {r[3]}")
    return rows


def fresh_tweets(s: Settings, n: int) -> tuple[list[int], float]:
    """n new tweets (synthetic payloads with new ids) to tweets.raw; returns their ids and the produce time."""
    from confluent_kafka import Producer

    from ingestion.sources import synthetic
    from ingestion.producer import PRODUCER_CONFIG

    base = 1_950_000_000_000_000_000 + uuid.uuid4().int % 10**16
    p = Producer(clients.kafka_config(s, **PRODUCER_CONFIG))
    ids = []
    for i, rec in enumerate(synthetic.generate(n, seed=int(time.time()), days=1)):
        obj = json.loads(rec.payload)
        obj["id"] = str(base + i)
        ids.append(base + i)
        p.produce(TOPIC_RAW, value=json.dumps(obj).encode(), key=obj["id"].encode())
    if p.flush(60):
        raise LakeError("demo: Kafka did not acknowledge the fresh tweets within 60 s")
    return ids, time.monotonic()


def failure_lines(output: str, keep: int = 30) -> str:
    """What failed in an `airflow dags test` run: its error lines and exceptions. The run's last lines only
    say that it failed; the failing task's exception comes minutes of log earlier."""
    marks = ("[error", "Exception:", "Error:", "quality gate failed")
    lines = output.splitlines()
    picked = sorted({j for i, ln in enumerate(lines) if any(m in ln for m in marks)
                     for j in range(i, min(i + 4, len(lines)))})  # a marked line and what follows it
    return "\n".join(lines[j] for j in picked[-keep:]) or output[-3000:]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lake.demos.lambda_demo", description=__doc__.split("\n\n")[0])
    ap.add_argument("--fresh", type=int, default=200)
    ap.add_argument("--skip-batch", action="store_true")
    args = ap.parse_args(argv)
    from lake import airflow_env, settings

    s = settings.get()
    faults.command_log(s, "lambda-demo", prog="make demo")  # librdkafka and client logs: not the terminal
    try:
        serving.apply_view(s)
        ids, t0 = fresh_tweets(s, args.fresh)
        print(f"\n== speed path: {len(ids)} new tweets produced to tweets.raw; waiting for serving.tweets to answer them")
        in_list = ", ".join(map(str, ids))

        def visible():
            n = clients.trino(s, f"SELECT count(*) FROM hive.serving.tweets WHERE tweet_id IN ({in_list})")[0][0]
            return probes.ProbeResult(n == len(ids), f"{n} of {len(ids)} visible")

        probes.wait_for(visible, 300, "speed layer -> serving.tweets (log var/log/speed-layer.out)", interval=0.5)
        print(f"   all {len(ids)} answered by serving.tweets {time.monotonic() - t0:.1f} s after they were produced")
        before = show(s, "serving.tweets before the batch run")
        if not args.skip_batch:
            today = datetime.now(timezone.utc).date()
            print(f"\n== batch path: lake_batch for ingest date {today} (airflow dags test lake_batch "
                  f"{today + timedelta(days=1)}); a few minutes", flush=True)
            r = airflow_env.dags_test(s, "lake_batch", (today + timedelta(days=1)).isoformat())
            if r.returncode != 0:
                raise LakeError("demo: the lake_batch run failed", failure_lines(r.stdout + r.stderr))
            print("   lake_batch succeeded: bronze, silver, gold, gates, compaction, ANALYZE, watermark")
            after = show(s, "serving.tweets after the batch run (the same query)")
            total_before = next(r for r in before if r[0] is None)
            total_after = next(r for r in after if r[0] is None)
            print(f"\n   each tweet once, before and after: rows {total_before[1]} -> {total_after[1]}, "
                  f"distinct {total_before[2]} -> {total_after[2]} (more only if new tweets arrived meanwhile)")
    except (LakeError, probes.WaitTimeout) as e:
        return report("lake.demos.lambda_demo", e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
