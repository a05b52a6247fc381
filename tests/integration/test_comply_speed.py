"""The speed layer filters against the compliance ledger (issue #22): a deleted tweet, or a tweet of a
removed user, produced while the stream runs never reaches speed.tweets nor serving.tweets.

A private pipeline (lake/demos/sandbox.py: own topics, stream, checkpoint and schemas, no raw sink).
The stream runs first with an empty ledger; then `make comply`'s code (lake.pipeline.comply.run)
consumes a v2 tweet delete, a v1.1 deletion notice of a tweet already served, and a user_delete
from the sandbox's tweets.compliance, so the ledger changes under the running stream. Produced
afterwards: the deleted tweet, a tweet of the removed user, and control tweets. The controls appear,
the removed ones never do; the tweet already served is gone once comply returns.
"""
from __future__ import annotations

import json
import time
import uuid

import pytest

from ingestion import producer
from ingestion.sources import compliance
from lake.demos.sandbox import SpeedSandbox, ids_of, tweet_payloads
from lake.pipeline import comply
from lake.pipeline.layers import Databases
from lake.runtime import clients, probes
from lake.settings import TOPIC_COMPLIANCE
from spark.transforms import pii

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def box(lake):
    b = SpeedSandbox(lake, f"cs{uuid.uuid4().hex[:8]}", trigger_seconds=5.0)
    try:
        b.create()
        b.start_speed()
        yield b
    finally:
        b.destroy()


def author(payload: bytes) -> str:
    return json.loads(payload)["author_id"]


def wait_served(box: SpeedSandbox, ids: set[int], timeout: float = 300) -> None:
    def probe():
        have = box.serving_ids() & ids
        return probes.ProbeResult(have == ids, f"{len(have)} of {len(ids)} control tweets in serving.tweets")

    probes.wait_for(probe, timeout, f"private speed layer (log {box.run_dir / 'speed.out'})", interval=2)


def speed_rows(box: SpeedSandbox, ids: set[int], keys: set[str]) -> int:
    in_ids = ", ".join(str(i) for i in ids) or "NULL"
    in_keys = ", ".join(f"'{k}'" for k in keys) or "NULL"
    return clients.trino(box.s, f"SELECT count(*) FROM hive.{box.dbs['SPEED_DB']}.tweets "
                                f"WHERE tweet_id IN ({in_ids}) OR author_key IN ({in_keys})")[0][0]


def test_a_removed_tweet_or_author_produced_while_the_stream_runs_never_shows(box, tmp_path):
    tweets = tweet_payloads(200, seed=2207, days=1)
    by_author: dict[str, list] = {}
    for p in tweets:
        by_author.setdefault(author(p[1]), []).append(p)
    removed_user = next(u for u, ps in by_author.items() if len(ps) >= 2)
    others = [p for p in tweets if author(p[1]) != removed_user]
    served_first, deleted, controls = others[:3], others[3], others[4:8]
    user_tweets = by_author[removed_user]
    assert author(deleted[1]) != removed_user

    # 1. the stream serves tweets while the ledger is empty
    box.produce(served_first)
    wait_served(box, ids_of(served_first))
    already = served_first[0]

    # 2. events recorded and applied while the stream runs (the ledger changes under it)
    at = "2026-12-07T06:00:00.000Z"
    events = [
        {"data": {"delete": {"tweet": {"id": json.loads(deleted[1])["id"], "author_id": author(deleted[1])},
                             "event_at": at}}},
        {"delete": {"status": {"id_str": json.loads(already[1])["id"], "user_id_str": author(already[1])},
                    "timestamp_ms": "1796623200000"}},
        {"data": {"user_delete": {"user": {"id": removed_user}, "event_at": at}}},
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    sent = producer.produce(compliance.events([path]), box.s.kafka_bootstrap, source="compliance",
                            prefix=f"it.{box.tag}.", topic=TOPIC_COMPLIANCE)
    assert (sent.produced, sent.rejected, sent.failed) == (3, 0, 0)
    t0 = time.monotonic()
    rep = comply.run(box.s, dbs=Databases(box.prefix), topic=box.compliance_topic, group=box.comply_group,
                     raw_root=box.raw_root, rejected_root=f"{box.hdfs_dir}/raw/_rejected/tweets",
                     dlq_topic=f"it.{box.tag}.tweets.dlq")
    comply_seconds = time.monotonic() - t0
    assert (rep.consumed, rep.applied) == (3, 3)
    assert rep.speed_files_rewritten >= 1
    already_id = int(json.loads(already[1])["id"])
    assert already_id not in box.serving_ids()  # gone when comply returns
    print(f"comply (consume, speed rewrite, checks, ledger) took {comply_seconds:.1f}s; stages {rep.stages}")

    # 3. the removed tweet, the removed user's tweets and controls, produced after the events: the controls
    #    (acknowledged last, so the batch that holds them read the others too) show, the removed ones never
    box.produce([deleted, *user_tweets])
    box.produce(controls)
    wait_served(box, ids_of(controls))
    gone_ids = ids_of([deleted, already, *user_tweets])
    key = pii.from_env().user_key(removed_user)
    assert speed_rows(box, gone_ids, {key}) == 0
    assert not box.serving_ids() & gone_ids
    assert ids_of(served_first[1:]) <= box.serving_ids()
    def reloaded():  # the driver rewrites its status file every 2 s
        st = json.loads(box.speed_status.read_text())
        return probes.ProbeResult(st.get("ledger_tweets") == 2 and st.get("ledger_authors") == 1, str(st))

    probes.wait_for(reloaded, 30, f"private speed layer's status file {box.speed_status}", interval=1)
    status = json.loads(box.speed_status.read_text())
    assert status["ledger_reloads"] >= 2, status  # the empty ledger, then the one comply wrote

    # 4. a batch with the ledger unchanged pays only the listing of its files
    more = others[8:10]
    box.produce(more)
    wait_served(box, ids_of(more))
    probes.wait_for(lambda: probes.ProbeResult("last_ledger_check_seconds" in json.loads(box.speed_status.read_text()),
                                               "no batch without a reload yet"), 30, "private speed layer's status file")
    status = json.loads(box.speed_status.read_text())
    assert status["last_ledger_check_seconds"] < 1.0, status
    print(f"speed status: ledger reloads {status['ledger_reloads']} (last {status['last_ledger_reload_seconds']}s), "
          f"ledger check without change {status['last_ledger_check_seconds']}s, "
          f"last batch {status['last_batch_seconds']}s")
