"""make bench-speed's load: synthetic tweets recycled with fresh ids, and the stream's per-record
transforms timed alone (the context of the throughput goal)."""
from __future__ import annotations

import itertools
import json
import time
import uuid

from lake.demos.sandbox import tweet_payloads

ARROW_BATCH = 10_000  # spark.sql.execution.arrow.maxRecordsPerBatch's default: what mapInArrow hands Python

ID_MARK = "__bench_tweet_id__"


def fresh_payloads(seed: int, distinct: int = 2000):
    """(key, value) of synthetic tweets without end: `distinct` payloads recycled, each time with a
    fresh id, so every tweet is new to the speed layer.

    Each payload is serialised once with a marker as its top-level id, and each tweet is the two
    halves around it with the new id between: the same bytes as json.dumps of the tweet with that
    id. Serialising every tweet again cost the load generator 22 µs a tweet, a quarter of a core at
    the goal's rate, taken from the stream under test."""
    halves = []
    for _, v in tweet_payloads(distinct, seed):
        head, tail = json.dumps({**json.loads(v), "id": ID_MARK}).encode().split(f'"{ID_MARK}"'.encode())
        halves.append((head + b'"', b'"' + tail))
    next_id = 1_900_000_000_000_000_000 + uuid.uuid4().int % 10**15
    for i in itertools.count():
        tid = str(next_id + i).encode()
        head, tail = halves[i % distinct]
        yield tid, head + tid + tail


def transforms_alone(count: int, seed: int, pii=None) -> dict:
    """Context for the throughput goal: the stream's transforms (stream_speed.convert_batch:
    parse.to_bronze per record, then the batch layer's columnar silver) alone in this process, on
    the payloads the load sends, in batches of Spark's Arrow size, timed in CPU seconds: what one core
    can do with no Spark, no Kafka and no producer beside it. Spark adds the Kafka read, the Arrow
    hand-off and the Parquet write."""
    from spark.jobs.stream_speed import convert_batch
    from spark.transforms import pii as pii_mod

    records = [("tweets.raw", 0, i, value, 1_763_900_000_000)
               for i, (_, value) in enumerate(itertools.islice(fresh_payloads(seed), count))]
    convert = convert_batch(pii or pii_mod.from_env())
    convert(records[:200])  # first use: lexicon, compiled patterns, the PII plan
    t0 = time.process_time()
    rows = sum(convert(records[i:i + ARROW_BATCH])[0].num_rows for i in range(0, count, ARROW_BATCH))
    cpu = time.process_time() - t0
    return {"records": count, "rows": rows, "cpu_seconds": round(cpu, 3),
            "rows_per_cpu_second": round(count / cpu, 1), "us_per_record": round(cpu / count * 1e6, 1)}
