"""spark/jobs/comply_bronze.py's one pure part: the reject it writes for a redaction line must be the row the
build's own parser (columnar.bronze_batch, what a rebuild of the redacted raw runs) makes of that line."""
from __future__ import annotations

from spark.jobs.comply_bronze import redaction_reject
from spark.transforms import columnar, parse
from spark.transforms import pii as pii_mod
from spark.transforms.schema import REJECTED_SCHEMA

PATH = "hdfs://127.0.0.1:8020/lake/raw/tweets/ingest_date=2026-03-01/ingest_hour=08/tweets.raw+3+100+199.jsonl"


def test_a_redaction_lines_reject_is_the_builds_own():
    meta = {**parse.meta_for_file(PATH), "kafka_offset": 142}
    _, rejects = columnar.bronze_batch([parse.REDACTED_LINE], [meta], pii_mod.Pii("k" * 32))
    built = rejects.to_pylist()
    assert len(built) == 1
    mine = dict(zip([f.name for f in REJECTED_SCHEMA], redaction_reject(PATH, 142)))
    assert mine == {name: built[0].get(name) for name in mine}
    assert (mine["reason"], mine["tweet_id"], mine["kafka_offset"], mine["kafka_partition"], mine["ingest_date"]) == \
        (parse.REDACTED, None, 142, 3, "2026-03-01")
