"""The speed layer filters against the compliance ledger (issue #22): a deleted tweet, or a tweet of a
removed user, produced while the stream runs never reaches speed.tweets nor serving.tweets. And without
`make comply`: a delete or user_delete read by the stream from tweets.compliance hides the tweets from
serving.tweets (batch and speed rows) within two trigger intervals.

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
from lake.settings import SPEED_PENDING_TABLE, TOPIC_COMPLIANCE
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


def one_author_apart(n: int, seed: int, min_tweets: int):
    """(tweets by author, an author with at least `min_tweets` of them, everyone else's tweets)."""
    tweets = tweet_payloads(n, seed=seed, days=1)
    by_author: dict[str, list] = {}
    for p in tweets:
        by_author.setdefault(author(p[1]), []).append(p)
    removed_user = next(u for u, ps in by_author.items() if len(ps) >= min_tweets)
    return by_author, removed_user, [p for p in tweets if author(p[1]) != removed_user]


def test_a_removed_tweet_or_author_produced_while_the_stream_runs_never_shows(box, tmp_path):
    by_author, removed_user, others = one_author_apart(200, 2207, 2)
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


def produce_events(box: SpeedSandbox, events: list[dict], tmp_path) -> None:
    path = tmp_path / f"events-{uuid.uuid4().hex[:6]}.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    sent = producer.produce(compliance.events([path]), box.s.kafka_bootstrap, source="compliance",
                            prefix=f"it.{box.tag}.", topic=TOPIC_COMPLIANCE)
    assert (sent.produced, sent.rejected, sent.failed) == (len(events), 0, 0)


def status_at_least(box: SpeedSandbox, field: str, n: int) -> probes.ProbeResult:
    st = json.loads(box.speed_status.read_text())
    return probes.ProbeResult(st.get(field, 0) >= n, f"{field}={st.get(field)}")


def copy_to_silver(box: SpeedSandbox, ids: set[int]) -> None:
    """The batch side without a build: the speed rows of `ids` copied into the sandbox's silver (Trino writes
    its buckets), so serving.tweets serves them from silver ('batch')."""
    cols = lambda db: [r[0] for r in clients.trino(box.s, f"SELECT column_name FROM hive.information_schema.columns "
                                                           f"WHERE table_schema = '{db}' AND table_name = 'tweets'")]
    shared = [c for c in cols(box.dbs["SILVER_DB"]) if c in set(cols(box.dbs["SPEED_DB"]))]
    listed = ", ".join(shared)
    clients.trino(box.s, f"INSERT INTO hive.{box.dbs['SILVER_DB']}.tweets ({listed}) SELECT {listed} FROM "
                         f"hive.{box.dbs['SPEED_DB']}.tweets WHERE tweet_id IN ({', '.join(map(str, sorted(ids)))})")


def test_removals_leave_serving_within_two_triggers_without_comply(box, tmp_path):
    """The stream reads tweets.compliance itself: no `make comply` runs in this test."""
    trigger = box.trigger_seconds
    by_author, removed_user, others = one_author_apart(300, 2211, 3)
    user_tweets, deleted_batch, deleted_speed, controls = by_author[removed_user], others[0], others[1], others[2:8]
    later_user_tweet, later_controls = user_tweets[-1], others[8:11]
    user_tweets = user_tweets[:-1]
    box.produce([*user_tweets, deleted_batch, deleted_speed, *controls])
    wait_served(box, ids_of([*user_tweets, deleted_batch, deleted_speed, *controls]))
    # one deleted tweet and one of the user's served by the batch layer, a control too
    in_batch = ids_of([deleted_batch, user_tweets[0], controls[0]])
    copy_to_silver(box, in_batch)
    served = {r[0]: r[1] for r in clients.trino(box.s, f"SELECT tweet_id, served_from FROM "
                                                       f"hive.{box.dbs['SERVING_DB']}.tweets")}
    assert {served[i] for i in in_batch} == {"batch"}

    # warm the compliance query (its first batch pays JIT and Python start-up): a delete of no tweet we hold
    start = json.loads(box.speed_status.read_text()).get("pending_events", 0)
    produce_events(box, [{"data": {"delete": {"tweet": {"id": "1"}, "event_at": "2026-12-07T06:00:00Z"}}}], tmp_path)
    probes.wait_for(lambda: status_at_least(box, "pending_events", start + 1), 120,
                    f"private speed layer's compliance query (log {box.run_dir / 'speed.out'})", interval=0.5)

    at = "2026-12-07T09:00:00.000Z"
    gone = ids_of([deleted_batch, deleted_speed, *user_tweets])
    produce_events(box, [
        {"data": {"delete": {"tweet": {"id": json.loads(deleted_batch[1])["id"], "author_id": author(deleted_batch[1])},
                             "event_at": at}}},
        {"delete": {"status": {"id_str": json.loads(deleted_speed[1])["id"], "user_id_str": author(deleted_speed[1])},
                    "timestamp_ms": "1796634000000"}},
        {"data": {"user_delete": {"user": {"id": removed_user}, "event_at": at}}},
    ], tmp_path)
    t0 = time.monotonic()

    def hidden():
        left = box.serving_ids() & gone
        return probes.ProbeResult(not left, f"{len(left)} of {len(gone)} removed tweets still in serving.tweets")

    probes.wait_for(hidden, 2 * trigger, f"serving view {box.dbs['SERVING_DB']}.tweets hiding removals the private "
                                         f"speed layer read (log {box.run_dir / 'speed.out'})", interval=0.25)
    took = time.monotonic() - t0
    st = json.loads(box.speed_status.read_text())
    print(f"removals gone from serving.tweets {took:.1f}s after the events were acknowledged (trigger {trigger:g}s); "
          f"last compliance micro-batch {st.get('last_compliance_batch_seconds')}s, "
          f"last tweets micro-batch {st.get('last_batch_seconds')}s")
    assert took <= 2 * trigger
    assert ids_of(controls) <= box.serving_ids()  # every other tweet stays, batch and speed
    key = pii.from_env().user_key(removed_user)
    pending = clients.trino(box.s, f"SELECT kind, tweet_id, author_key FROM hive.{box.dbs['SPEED_DB']}."
                                   f"{SPEED_PENDING_TABLE} WHERE tweet_id IN ({', '.join(map(str, gone))}) "
                                   f"OR author_key = '{key}'")
    assert sorted(pending, key=str) == sorted([("delete", int(json.loads(deleted_batch[1])["id"]), None),
                                               ("delete", int(json.loads(deleted_speed[1])["id"]), None),
                                               ("user_delete", None, key)], key=str)
    assert not clients.trino(box.s, f"SELECT count(*) FROM hive.{box.dbs['SPEED_DB']}.{SPEED_PENDING_TABLE} "
                                    f"WHERE author_key = '{removed_user}'")[0][0]  # never the raw user id

    # a tweet of the removed user arriving now is dropped by the stream itself (not only hidden)
    box.produce([later_user_tweet])
    box.produce(later_controls)
    wait_served(box, ids_of(later_controls))
    assert speed_rows(box, ids_of([later_user_tweet]), set()) == 0
    assert not box.serving_ids() & ids_of([later_user_tweet])
