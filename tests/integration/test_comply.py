"""`make comply` end to end on the real stack: compliance events remove tweets from every layer.

Raw files of two ingest dates (shared v1.1 and v2 payloads, synthetic v1 and v2 tweets of many
authors, one tweet ingested on both dates, one reject that names its tweet id) are landed in a
sandbox (HDFS dir, schemas it_<tag>_*, topics it.<tag>.*), built with the build, copied partly into
a speed table, and served by the serving view. A mix of events (v2 tweet delete, v1.1 deletion
notice, user_delete, user_suspend, user_protect, recorded-only kinds and bad lines) goes through
the ingestion producer into the sandbox's tweets.compliance; lake.pipeline.comply.run -- the code
behind `make comply` -- applies them. Checked: no line or row of an affected tweet in raw (scanning
the HDFS files), bronze, its rejects, silver, gold facts, marts recomputed, speed, serving; every
other row untouched (counts and checksums per partition); the raw files keep their names and line
counts and are not pending; the ledger; a re-ingested deleted tweet stays out after a build; a comply
killed with SIGKILL during its rebuild is finished by a rerun. Spark runs where the build tests run it
(tests/integration/build_sandbox.py: local unless LAKE_TEST_SPARK_MASTER says).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest

from ingestion import producer, topics
from ingestion.records import Record
from ingestion.sources import compliance, synthetic
from ingestion.sources.replay import replay
from lake.pipeline import build, comply, ddl, pending
from lake.runtime import clients, hdfs_client
from lake.settings import TOPIC_COMPLIANCE, TOPIC_DLQ
from spark.transforms import parse, pii
from tests.integration.build_sandbox import build_sandbox, spark_master
from tests.integration.test_build import snowflake_day
from tests.raw_landing import Landed

pytestmark = pytest.mark.timeout(3600)

KEY = "integration-test-key-comply-0123456789"
D1, D2, D3 = "2026-03-01", "2026-03-02", "2026-03-03"
SPEED_DAY = "2026-03-09"
SHARED_DAYS = {"2021-09-22", "2017-05-24"}
REJECT_ID = "1600000000000000001"   # a v1 tweet without its user: a reject that names its id
REJECT_LINE = json.dumps({"id_str": REJECT_ID, "created_at": "Tue Jan 02 10:00:00 +0000 2024", "text": "no user"})


def ids_of(line: str) -> tuple[str | None, str | None]:
    """(tweet id, author user id) by the simplest independent reading (not the parser under test)."""
    try:
        o = json.loads(line)
    except ValueError:
        return None, None
    if not isinstance(o, dict):
        return None, None
    t = o.get("data", o)
    if "user" in t:
        return t.get("id_str"), (t.get("user") or {}).get("id_str")
    return t.get("id_str") or t.get("id"), t.get("author_id")


@dataclass
class Setup:
    dbs: build.Databases
    root: str
    prefix: str
    lines: dict[str, list[str]]
    removed_ids: set[str]
    removed_users: set[str]
    others_by_user: dict[str, list[str]]   # synthetic users left untouched, with their landed lines
    scrub_user: str
    scrub_up_to: str
    scrub_ids: set[str]   # the scrubbed user's tweets: compared by the scrub test, not the untouched one
    before: dict
    report: comply.Report
    dlq_records: int


def partitions(lake, table: str, part: str, exclude_ids: set[str], exclude_keys: set[str] = frozenset()) -> dict:
    """partition -> (rows, checksum of every column) of the rows not named by the exclusions."""
    schema, name = table.split(".")
    cols = [r[0] for r in clients.trino(lake, f"SELECT column_name FROM hive.information_schema.columns WHERE "
                                              f"table_schema = '{schema}' AND table_name = '{name}' ORDER BY ordinal_position")]
    ids = ", ".join(ids_sql(exclude_ids)) or "NULL"
    idcol = "try_cast(tweet_id AS bigint)" if "tweets_rejected" in name else "tweet_id"
    where = f"({idcol} IS NULL OR {idcol} NOT IN ({ids}))"
    if "tweets_rejected" in name:  # the redaction lines' own rejects are new by design
        where += " AND reason <> 'redacted'"
    if exclude_keys and "author_key" in cols:
        where += " AND author_key NOT IN (" + ", ".join(f"'{k}'" for k in exclude_keys) + ")"
    rows = clients.trino(lake, f"SELECT CAST({part} AS varchar), count(*), checksum(ROW({', '.join(cols)})) "
                               f"FROM hive.{table} WHERE {where} GROUP BY 1")
    return {p: (n, c) for p, n, c in rows}


def ids_sql(ids) -> list[str]:
    return [str(int(i)) for i in sorted(ids)]


def affected_rows(lake, table: str, ids: set[str], keys: set[str]) -> int:
    idcol = "try_cast(tweet_id AS bigint)" if table.endswith("tweets_rejected") else "tweet_id"
    cond = f"{idcol} IN ({', '.join(ids_sql(ids))})"
    if keys and table.endswith((".tweets", "speed.tweets")):  # the tables with an author_key
        cond += " OR author_key IN (" + ", ".join(f"'{k}'" for k in keys) + ")"
    return clients.trino(lake, f"SELECT count(*) FROM hive.{table} WHERE {cond}")[0][0]


PER_PARTITION = {  # table (without schema prefix) -> partition column
    "bronze.tweets": "created_date", "bronze.tweets_rejected": "ingest_date", "silver.tweets": "created_date",
    "silver.tweet_hashtags": "created_date", "gold.fact_tweets": "created_date",
    "gold.bridge_tweet_hashtags": "created_date", "speed.tweets": "ingest_date",
}


def table_name(dbs: build.Databases, name: str) -> str:
    layer, table = name.split(".")
    return f"{dbs.prefix}{layer}.{table}"


@pytest.fixture(scope="module")
def applied(lake, shared_data, tmp_path_factory):
    with build_sandbox(lake, KEY, extra_layers=("speed", "serving")) as box:
        yield from apply_events(lake, shared_data, tmp_path_factory, box)


def apply_events(lake, shared_data, tmp_path_factory, box):
    tag, dbs, base, root, prefix = box.tag, box.dbs, box.base, box.root, box.topic_prefix
    p = pii.Pii(KEY)
    try:
        shared = [r.payload.decode() for r in replay([shared_data / "tweets"])
                  if isinstance(r, Record) and snowflake_day(r.payload.decode()) in SHARED_DAYS]
        v2 = [r.payload.decode() for r in synthetic.generate(120, seed=5, days=2, fmt="v2")]
        v1 = [r.payload.decode() for r in synthetic.generate(120, seed=6, days=2, fmt="v1")]
        landed = Landed()
        landed.add(root, D1, "08", 0, 0, shared)
        landed.add(root, D1, "09", 1, 0, v2)
        landed.add(root, D2, "10", 0, len(shared), v1 + [REJECT_LINE])
        landed.add(root, D2, "11", 1, len(v2), [v2[0], v2[1]])  # v2[0] and v2[1] ingested again on D2
        landed.write(lake, dbs.raw, root)
        build.run(lake, dates=[D1, D2], dbs=dbs, master=spark_master())

        # a speed layer holding some of the same tweets (as after a stream), and the serving view over both
        ddl.apply_layer(lake, "speed", SPEED_DB=f"{dbs.prefix}speed")
        ddl.apply_layer(lake, "serving", SERVING_DB=f"{dbs.prefix}serving", SILVER_DB=dbs.silver,
                        SPEED_DB=f"{dbs.prefix}speed", OPS_DB=dbs.ops)
        cols = [r[0] for r in clients.trino(lake, "SELECT column_name FROM hive.information_schema.columns WHERE "
                                                  f"table_schema = '{dbs.prefix}speed' AND table_name = 'tweets' "
                                                  "ORDER BY ordinal_position")]
        select = ", ".join(f"'{SPEED_DAY}'" if c == "ingest_date" else c for c in cols)
        clients.trino(lake, f"INSERT INTO hive.{dbs.prefix}speed.tweets SELECT {select} FROM hive.{dbs.silver}.tweets "
                            "WHERE source_format = 'v2'")

        # what to remove: tweets by id (v2 event, v1.1 notice, the reject), and every tweet of three users
        shared_v2 = next(ln for ln in shared if '"author_id"' in ln)
        shared_v1 = next(ln for ln in shared if '"user"' in ln and "retweeted_status" not in ln)
        by_user: dict[str, list[str]] = {}
        for ln in v1 + v2:
            by_user.setdefault(ids_of(ln)[1], []).append(ln)
        many = sorted((u for u, lns in by_user.items() if len(lns) >= 2), key=lambda u: -len(by_user[u]))
        u_delete = next(u for u in many if any(ln in v1 for ln in by_user[u]))
        u_suspend = next(u for u in many if u != u_delete and any(ln in v2 for ln in by_user[u]))
        u_protect = next(u for u in many if u not in (u_delete, u_suspend))
        tweet_deletes = [ids_of(shared_v2)[0], ids_of(shared_v1)[0], ids_of(v2[0])[0], REJECT_ID]
        removed_users = {u_delete, u_suspend, u_protect}
        all_lines = [ln for lns in landed.files.values() for ln in lns]
        removed_ids = set(tweet_deletes) | {ids_of(ln)[0] for ln in all_lines if ids_of(ln)[1] in removed_users}
        keys = {p.user_key(u) for u in removed_users}
        # scrub_geo: the shared v1.1 author with most tweets with a place, up to their second newest one
        placed: dict[str, set[int]] = {}
        for ln in shared:
            o = json.loads(ln)
            if o.get("place") and "user" in o and ids_of(ln)[0] not in removed_ids:
                placed.setdefault(ids_of(ln)[1], set()).add(int(ids_of(ln)[0]))
        scrub_user = max(placed, key=lambda u: len(placed[u]))
        assert len(placed[scrub_user]) >= 3
        scrub_up_to = str(sorted(placed[scrub_user])[-2])
        scrub_ids = {ids_of(ln)[0] for ln in all_lines if ids_of(ln)[1] == scrub_user}
        unchanged = keys | {p.user_key(scrub_user)}  # rows compared whole: neither removed nor scrubbed
        before = {name: partitions(lake, table_name(dbs, name), part, removed_ids | scrub_ids, unchanged)
                  for name, part in PER_PARTITION.items()}
        before["counts"] = {name: affected_rows(lake, table_name(dbs, name), removed_ids, keys)
                            for name in PER_PARTITION}
        before["marts"] = clients.trino(lake, f"SELECT CAST(created_date AS varchar), sum(tweets) FROM "
                                              f"hive.{dbs.gold}.mart_sentiment_daily_country GROUP BY 1")
        before["serving"] = clients.trino(lake, f"SELECT count(*) FROM hive.{dbs.prefix}serving.tweets")[0][0]

        at = "2026-03-05T12:00:00.000Z"
        events = [
            {"data": {"delete": {"tweet": {"id": tweet_deletes[0], "author_id": ids_of(shared_v2)[1]}, "event_at": at}}},
            {"delete": {"status": {"id_str": tweet_deletes[1], "user_id_str": ids_of(shared_v1)[1]},
                        "timestamp_ms": "1772712000000"}},
            {"data": {"delete": {"tweet": {"id": tweet_deletes[2], "author_id": ids_of(v2[0])[1]}, "event_at": at}}},
            {"data": {"delete": {"tweet": {"id": REJECT_ID}, "event_at": at}}},
            {"data": {"user_delete": {"user": {"id": u_delete}, "event_at": at}}},
            {"data": {"user_suspend": {"user": {"id": u_suspend}, "event_at": at}}},
            {"data": {"user_protect": {"user": {"id": u_protect}, "event_at": at}}},
            {"data": {"user_unprotect": {"user": {"id": u_protect}, "event_at": at}}},
            {"data": {"scrub_geo": {"user": {"id": scrub_user}, "up_to_tweet_id": scrub_up_to, "event_at": at}}},
            {"data": {"tweet_edit": {"tweet": {"id": "1"}}}},            # unknown kind -> DLQ
            {"data": {"user_delete": {"user": {}, "event_at": at}}},    # missing id -> DLQ
        ]
        path = tmp_path_factory.mktemp("comply") / "events.jsonl"
        with open(path, "w") as fh:
            fh.write("\n".join(json.dumps(e) for e in events) + "\n")
        topics.ensure(lake.kafka_bootstrap, prefix=prefix, which=(topics.DLQ, topics.COMPLIANCE))
        sent = producer.produce(compliance.events([path]), lake.kafka_bootstrap, source="compliance", prefix=prefix,
                                topic=TOPIC_COMPLIANCE)
        assert (sent.produced, sent.rejected, sent.failed) == (9, 2, 0)
        assert dict(sent.by_reason) == {"unknown_event": 1, "missing_id": 1}

        rep = comply.run(lake, dbs=dbs, topic=prefix + TOPIC_COMPLIANCE, group=f"it-{tag}-comply", raw_root=root,
                         master=spark_master(), rejected_root=f"{base}/raw/_rejected/tweets",
                         dlq_topic=prefix + TOPIC_DLQ)
        untouched = {u: lns for u, lns in by_user.items() if u not in removed_users and len(lns) >= 2}
        yield Setup(dbs, root, prefix, landed.files, removed_ids, removed_users, untouched, scrub_user, scrub_up_to,
                    scrub_ids, before, rep, sent.rejected)
    finally:  # the view before its schema; the sandbox drops the schemas and the HDFS folder
        try:
            clients.trino(lake, f"DROP VIEW IF EXISTS hive.{dbs.prefix}serving.tweets")
        except Exception:  # noqa: BLE001 - best-effort cleanup
            pass
        topics.delete(lake.kafka_bootstrap, prefix)
        from confluent_kafka.admin import AdminClient

        try:
            admin = AdminClient(clients.kafka_config(lake.kafka_bootstrap))
            for fut in admin.delete_consumer_groups([f"it-{tag}-comply"], request_timeout=30).values():
                fut.result(30)
        except Exception:  # noqa: BLE001 - best-effort cleanup
            pass


def test_events_were_consumed_recorded_and_applied(applied):
    rep = applied.report
    assert (rep.consumed, rep.recorded, rep.bad_events, rep.applied) == (9, 9, 0, 8)
    assert rep.ingest_dates == [D1, D2]
    assert rep.created_dates and rep.raw_files_read >= rep.raw_files_rewritten
    assert rep.raw_files_rewritten >= 3 and rep.speed_files_rewritten >= 1
    landed = [ln for lns in applied.lines.values() for ln in lns]
    assert rep.removed["raw (location)"] > 0 and rep.removed["bronze (location)"] > 0
    assert rep.removed["raw"] == sum(ids_of(ln)[0] in applied.removed_ids or ids_of(ln)[1] in applied.removed_users
                                     for ln in landed) > len(applied.removed_ids)  # v2[0] was ingested twice


def test_no_raw_line_of_a_removed_tweet_or_user_is_left(applied, lake):
    c = hdfs_client.client(lake)
    for path, landed_lines in applied.lines.items():
        with c.read(path) as fh:
            now = fh.read().decode().split("\n")[:-1]
        assert len(now) == len(landed_lines), path  # same name, same line count: offsets stay true
        for old, new in zip(landed_lines, now):
            tid, user = ids_of(old)
            if tid in applied.removed_ids or user in applied.removed_users:
                assert new.encode() == parse.REDACTED_LINE
            elif user == applied.scrub_user and int(tid) <= int(applied.scrub_up_to) and new != old:
                o, n = json.loads(old), json.loads(new)
                assert (n["place"], n["coordinates"], n["geo"]) == (None, None, None)
                assert o["place"] or o.get("coordinates") or o.get("geo")
                assert {k: v for k, v in n.items() if k not in ("place", "coordinates", "geo")} == \
                    {k: v for k, v in o.items() if k not in ("place", "coordinates", "geo")}
            else:
                assert new == old
    assert not [n for d, _, files in c.walk(applied.root) for n in files if n.startswith(".")]


def test_zero_rows_of_removed_tweets_in_every_layer(applied, lake):
    keys = {pii.Pii(KEY).user_key(u) for u in applied.removed_users}
    assert all(applied.before["counts"][name] > 0 for name in ("bronze.tweets", "silver.tweets", "gold.fact_tweets",
                                                               "speed.tweets")), applied.before["counts"]
    assert applied.before["counts"]["bronze.tweets_rejected"] == 1
    for name in PER_PARTITION:
        assert affected_rows(lake, table_name(applied.dbs, name), applied.removed_ids, keys) == 0, name
    dim = clients.trino(lake, f"SELECT count(*) FROM hive.{applied.dbs.gold}.dim_authors WHERE author_key IN "
                              f"({', '.join(repr(k) for k in keys)})")[0][0]
    assert dim == 0
    served = clients.trino(lake, f"SELECT count(*) FROM hive.{applied.dbs.prefix}serving.tweets WHERE tweet_id IN "
                                 f"({', '.join(ids_sql(applied.removed_ids))})")[0][0]
    assert served == 0


def test_scrub_geo_empties_the_location_of_the_users_tweets_up_to_the_id(applied, lake):
    key = pii.Pii(KEY).user_key(applied.scrub_user)
    for layer in ("bronze", "silver"):
        rows = clients.trino(lake, f"SELECT tweet_id <= {applied.scrub_up_to}, count(*), count(place_id), count(geo_lat) "
                                   f"FROM hive.{getattr(applied.dbs, layer)}.tweets WHERE author_key = '{key}' GROUP BY 1")
        got = {up_to: (n, places, points) for up_to, n, places, points in rows}
        assert got[True][0] > 0 and got[True][1:] == (0, 0), (layer, got)
        assert got[False][1] > 0, (layer, got)  # the newest tweet with a place keeps it


def test_every_other_row_is_untouched(applied, lake):
    keys = {pii.Pii(KEY).user_key(u) for u in applied.removed_users | {applied.scrub_user}}
    for name, part in PER_PARTITION.items():
        after = partitions(lake, table_name(applied.dbs, name), part, applied.removed_ids | applied.scrub_ids, keys)
        assert after == applied.before[name], name
        assert after or name == "bronze.tweets_rejected", name  # its only reject named a removed tweet


def test_marts_are_recomputed_for_the_affected_dates(applied, lake):
    dbs = applied.dbs
    facts = dict(clients.trino(lake, f"SELECT CAST(created_date AS varchar), count(*) FROM hive.{dbs.gold}.fact_tweets "
                                     "GROUP BY 1"))
    for mart in ("mart_sentiment_daily_country", "mart_engagement_by_tier"):
        sums = dict(clients.trino(lake, f"SELECT CAST(created_date AS varchar), sum(tweets) FROM hive.{dbs.gold}.{mart} "
                                        "GROUP BY 1"))
        assert sums == facts, mart
    assert sum(facts.values()) < sum(n for _, n in applied.before["marts"])


def test_rewritten_raw_files_are_not_pending_and_reconcile(applied, lake):
    assert pending.pending_dates(lake, applied.dbs.prefix, applied.root) == []
    gates = clients.trino(lake, f"SELECT check_name, bool_and(passed) FROM hive.{applied.dbs.ops}.quality_checks "
                                "GROUP BY check_name")
    assert gates and all(ok for _, ok in gates), gates
    redacted = clients.trino(lake, f"SELECT count(*), count(tweet_id) FROM hive.{applied.dbs.bronze}.tweets_rejected "
                                   f"WHERE reason = 'redacted' AND ingest_date IN ('{D1}', '{D2}')")[0]
    assert redacted[0] == applied.report.removed["raw"] and redacted[1] == 0


REBUILT_TABLES = ("bronze.tweets", "bronze.tweets_rejected", "bronze.tweets_loaded_files", "silver.tweets",
                  "silver.tweet_hashtags", "gold.fact_tweets", "gold.bridge_tweet_hashtags", "gold.dim_authors",
                  "gold.dim_places", "gold.dim_hashtags", "gold.mart_hashtag_daily", "gold.mart_sentiment_daily_country",
                  "gold.mart_top_words", "gold.mart_engagement_by_tier")


def whole_table(lake, table: str) -> tuple[int, object]:
    """(rows, checksum of every column of every row)."""
    schema, name = table.split(".")
    cols = [r[0] for r in clients.trino(lake, f"SELECT column_name FROM hive.information_schema.columns WHERE "
                                              f"table_schema = '{schema}' AND table_name = '{name}' ORDER BY ordinal_position")]
    return tuple(clients.trino(lake, f"SELECT count(*), checksum(ROW({', '.join(cols)})) FROM hive.{table}")[0])


def test_in_place_equals_a_rebuild_of_the_redacted_raw(applied, lake):
    """comply rewrote bronze from itself (spark/jobs/comply_bronze.py), not from raw: a build of the same
    ingest dates from the redacted raw must give every table exactly the same rows."""
    names = {n: table_name(applied.dbs, n) for n in REBUILT_TABLES}
    in_place = {n: whole_table(lake, t) for n, t in names.items()}
    assert in_place["bronze.tweets"][0] > 0 and in_place["gold.mart_top_words"][0] > 0
    build.run(lake, dates=[D1, D2], dbs=applied.dbs, master=spark_master())
    rebuilt = {n: whole_table(lake, t) for n, t in names.items()}
    assert {n for n in names if in_place[n] != rebuilt[n]} == set(), (in_place, rebuilt)


def test_the_ledger_holds_each_event_without_raw_user_ids_or_text(applied, lake):
    rows = clients.trino(lake, f"SELECT kind, tweet_id, author_key, applied_at IS NOT NULL, raw_records, bronze_rows, "
                               f"silver_rows, gold_fact_rows, speed_rows, rejected_rows "
                               f"FROM hive.{applied.dbs.ops}.compliance_events")
    assert sorted(r[0] for r in rows) == sorted(["delete"] * 4 + ["user_delete", "user_suspend", "user_protect",
                                                                 "user_unprotect", "scrub_geo"])
    for kind, tid, key, done, raw, bronze, silver, gold, speed, rejected in rows:
        assert done == (kind in compliance.APPLIED)
        if kind in compliance.USER_ACTING:
            assert key.startswith("u_") and tid is None and raw > 0 and bronze > 0 and silver > 0 and gold > 0
        if kind == "delete" and str(tid) == REJECT_ID:
            assert (raw, bronze, rejected) == (1, 0, 1)
    text = json.dumps(clients.trino(lake, f"SELECT * FROM hive.{applied.dbs.ops}.compliance_events"), default=str)
    assert not any(u in text for u in applied.removed_users)


def test_a_reingested_deleted_tweet_does_not_come_back(applied, lake):
    dbs = applied.dbs
    again = [ln for lns in applied.lines.values() for ln in lns if ids_of(ln)[0] in applied.removed_ids][:5]
    assert again
    landed = Landed()
    landed.add(applied.root, D3, "00", 2, 0, again)
    landed.write(lake, dbs.raw, applied.root)
    build.run(lake, dates=[D3], dbs=dbs, master=spark_master())
    keys = {pii.Pii(KEY).user_key(u) for u in applied.removed_users}
    for name in ("bronze.tweets", "silver.tweets", "gold.fact_tweets", "bronze.tweets_rejected"):
        assert affected_rows(lake, table_name(dbs, name), applied.removed_ids, keys) == 0, name
    got = clients.trino(lake, f"SELECT count(*), count_if(reason = 'redacted'), count(tweet_id) FROM "
                              f"hive.{dbs.bronze}.tweets_rejected WHERE ingest_date = '{D3}'")[0]
    assert got == (len(again), len(again) - again.count(REJECT_LINE), 0)  # the reject keeps its reason, not its id


def test_kill9_during_comply_then_a_rerun_finishes_the_job(applied, lake):
    """comply in its own process group, killed with SIGKILL (it and its spark-submit) once the rebuild has
    started; the events stay pending in the ledger, and a rerun removes every row and records them."""
    dbs, prefix = applied.dbs, applied.prefix
    user = next(u for u, lns in sorted(applied.others_by_user.items())
                if all(ids_of(ln)[0] not in applied.removed_ids | applied.scrub_ids for ln in lns))
    ids = {ids_of(ln)[0] for lns in applied.lines.values() for ln in lns if ids_of(ln)[1] == user}
    key = pii.Pii(KEY).user_key(user)
    event = json.dumps({"data": {"user_delete": {"user": {"id": user}, "event_at": "2026-03-06T00:00:00.000Z"}}})
    sent = producer.produce([compliance.item(event.encode(), "test")], lake.kafka_bootstrap, source="compliance",
                            prefix=prefix, topic=TOPIC_COMPLIANCE)
    assert sent.produced == 1
    group = f"it-{prefix.split('.')[1]}-comply"  # the fixture's comply group: its offsets are committed
    args = dict(topic=prefix + TOPIC_COMPLIANCE, group=group, raw_root=applied.root, master=spark_master(),
                rejected_root=applied.root.replace("/raw/tweets", "/raw/_rejected/tweets"), dlq_topic=prefix + TOPIC_DLQ)
    code = ("from lake import settings; from lake.pipeline import comply; from lake.pipeline.layers import Databases; "
            f"comply.run(settings.get(), dbs=Databases({dbs.prefix!r}), **{args!r})")
    proc = subprocess.Popen([sys.executable, "-u", "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=str(lake.root), env=dict(os.environ))
    seen, deadline = [], time.monotonic() + 600
    try:
        for line in proc.stdout:
            seen.append(line.decode(errors="replace"))
            if "== bronze: comply, in place" in seen[-1]:
                break
            assert time.monotonic() < deadline, "comply did not reach the rebuild in 600 s:\n" + "".join(seen[-20:])
        else:
            pytest.fail("comply ended before its rebuild:\n" + "".join(seen[-30:]))
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(60)
    pending_now = clients.trino(lake, f"SELECT count(*) FROM hive.{dbs.ops}.compliance_events WHERE kind = "
                                      f"'user_delete' AND author_key = '{key}' AND applied_at IS NULL")[0][0]
    assert pending_now == 1  # recorded before the kill, not applied

    rep = comply.run(lake, dbs=dbs, **args)
    assert (rep.consumed, rep.applied) == (0, 1)
    for name in ("bronze.tweets", "silver.tweets", "gold.fact_tweets", "speed.tweets"):
        assert affected_rows(lake, table_name(dbs, name), ids, {key}) == 0, name
    c = hdfs_client.client(lake)
    for path in applied.lines:
        with c.read(path) as fh:
            assert not any(ids_of(ln)[1] == user for ln in fh.read().decode().split("\n"))
    assert not [n for d, _, files in c.walk(applied.root) for n in files if n.startswith(".")]
    assert pending.pending_dates(lake, dbs.prefix, applied.root) == []
    done = clients.trino(lake, f"SELECT applied_at IS NOT NULL FROM hive.{dbs.ops}.compliance_events "
                               f"WHERE kind = 'user_delete' AND author_key = '{key}'")
    assert done == [(True,)]
