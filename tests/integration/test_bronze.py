"""raw -> bronze on the real stack: build_bronze on YARN over a known set of raw files.

A sandbox of its own (HDFS dir, schemas it_<tag>_raw and it_<tag>_bronze) gets
raw-sink files written directly (the sink's naming and folders), across two
ingest dates, with duplicates and bad records on purpose. Three YARN runs:

1. --date D1            loads day 1
2. --pending            must pick D2 only; D2's re-ingested tweets supersede D1 rows
3. --date D1 again      must change nothing (D1's older copies lose to D2's rows)

then the tables are checked through Trino and the Spark Thrift Server.
"""
from __future__ import annotations

import json
import re
import struct
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingestion.sources import synthetic
from ingestion.records import Record
from ingestion.sources.replay import replay
from lake.pipeline import ddl
from lake.runtime import clients, hdfs_client, spark
from spark.transforms import pii
from tests import raw_landing
from tests.pii_identifiers import identifiers, strings
from tests.raw_landing import Landed

KEY = "integration-test-key-0123456789"
D1, D2 = "2026-01-10", "2026-01-11"
BOOSTED_LIKES = 777_777  # like_count of the re-ingested copies in D2

PII_TWEET = {  # a v2 tweet full of contact data and handles
    "id": "1740000000000000001", "author_id": "990000000000000001", "created_at": "2023-12-20T10:00:00.000Z",
    "lang": "pt", "text": ("Fala @maria_fake99! Me liga +55 11 91234-5678 ou (11) 91234-5678, "
                           "en España +34 612 345 678 / 612345678, UK +44 20 7946 0958, US (555) 123-4567, "
                           "email maria.silva@example.com.br https://twitter.com/maria_fake99/status/1"),
    "entities": {"mentions": [{"start": 5, "end": 17, "username": "maria_fake99", "id": "990000000000000002"}]},
    "author": {"id": "990000000000000001", "username": "joao_fake01", "name": "João Verdadeiro",
               "location": "São Paulo, fone 11 91234-0000"},
    "geo": {"coordinates": {"type": "Point", "coordinates": [-46.633309, -23.550520]}},
}
CONTACTS = ["91234-5678", "612 345 678", "612345678", "7946 0958", "123-4567", "maria.silva", "91234-0000",
            "João Verdadeiro"]

REJECTS = {  # line -> reason
    '{"id": "123", "text": "no author", "created_at": "2024-01-01T00:00:00.000Z"}': "missing_user",
    '{"id_str": "124", "text": "x", "user": {"id_str": "7"}, "created_at": "not a date"}': "bad_created_at",
    '{"id": "125", "author_id": "9", "text": "x", "created_at": "2024-01-01T00:00:00.000Z",'
    ' "public_metrics": {"like_count": "many"}}': "bad_type",
    '{"id": 126, "author_id": "9", "text": "x"}': "bad_id_type",
    '{"text": "no id", "author_id": "9"}': "missing_id",
    '{"id": "127", "author_id": "9", "text": "x"}': "missing_created_at",
    '{"delete": {"status": {"id_str": "1"}}}': "not_a_tweet",
    '{"actor": {"id": "x"}, "verb": "post", "body": "x"}': "unsupported_format",
    'not json {': "invalid_json",
}


def tweet_id(line: str) -> str | None:
    return raw_landing.tweet_id(line, REJECTS)


def with_likes(line: str, likes: int) -> str:
    o = json.loads(line)
    t = o.get("data", o)
    if "public_metrics" in t or "user" not in t:
        t.setdefault("public_metrics", {})["like_count"] = likes
    else:
        t["favorite_count"] = likes
    return json.dumps(o, separators=(",", ":"))


@dataclass
class Built:
    raw_db: str
    bronze_db: str
    landed: Landed
    runs: list[dict]
    seconds: list[float]
    before_rerun: dict
    after_rerun: dict
    superseded: set[str]
    in_file_dup: tuple[str, int, int]  # tweet id, like_count, Kafka offset of the later copy


def snapshot(lake, db: str) -> dict[str, list[tuple]]:
    return {t: clients.trino(lake, f"SELECT * FROM hive.{db}.{t} ORDER BY {order}")
            for t, order in (("tweets", "tweet_id"), ("tweets_rejected", "ingest_date, kafka_partition, kafka_offset"),
                             ("tweets_loaded_files", "ingest_date, source_file"))}


def build(lake, args: list[str], built_dbs: tuple[str, str]) -> tuple[dict, float]:
    raw_db, bronze_db = built_dbs
    t0 = time.monotonic()
    out = spark.submit(lake, lake.root / "spark/jobs/build_bronze.py",
                       [*args, "--raw-table", f"{raw_db}.tweets", "--bronze-db", bronze_db],
                       master="yarn", name=f"it-build-bronze-{bronze_db}", timeout=600)
    line = next(ln for ln in out.splitlines() if ln.startswith("BRONZE_RESULT "))
    return json.loads(line.removeprefix("BRONZE_RESULT ")), time.monotonic() - t0


@pytest.fixture(scope="module")
def built(lake, shared_data):
    tag = uuid.uuid4().hex[:10]
    base, raw_db, bronze_db = f"/tmp/it-{tag}", f"it_{tag}_raw", f"it_{tag}_bronze"
    root = f"{base}/raw/tweets"
    mp = pytest.MonkeyPatch()
    mp.setenv(pii.KEY_ENV, KEY)  # spark.submit passes the environment to the job
    c = hdfs_client.client(lake)
    try:
        shared = [r.payload.decode() for r in replay([shared_data / "tweets"]) if isinstance(r, Record)]
        v1 = [r.payload.decode() for r in synthetic.generate(400, seed=41, days=3, fmt="v1")]
        v2 = [r.payload.decode() for r in synthetic.generate(400, seed=42, days=3, fmt="v2")]
        landed = Landed()
        # D1: every shared payload, plus a later copy of one tweet in the same file (latest offset wins)
        dup_line = next(ln for ln in shared if '"data"' in ln and "public_metrics" in ln)
        in_file_dup = (tweet_id(dup_line), 4242, len(shared))
        landed.add(root, D1, "08", 0, 0, shared + [with_likes(dup_line, 4242)])
        landed.add(root, D1, "09", 1, 0, v1 + [json.dumps(PII_TWEET)] + list(REJECTS))
        # D2: new tweets, and re-ingested copies of D1 tweets with new metrics
        again = [shared[3], shared[700], v1[5], v1[6], json.dumps(PII_TWEET)]
        landed.add(root, D2, "00", 2, 0, v2[:200])
        landed.add(root, D2, "13", 3, 10, v2[200:] + [with_likes(ln, BOOSTED_LIKES) for ln in again])
        assert in_file_dup[0] not in {tweet_id(ln) for ln in again}
        landed.write(lake, raw_db, root)
        ddl.apply_layer(lake, "bronze", BRONZE_DB=bronze_db)

        dbs = (raw_db, bronze_db)
        r1, t1 = build(lake, ["--date", D1], dbs)
        r2, t2 = build(lake, ["--pending"], dbs)
        before = snapshot(lake, bronze_db)
        r3, t3 = build(lake, ["--date", D1], dbs)
        after = snapshot(lake, bronze_db)
        yield Built(raw_db, bronze_db, landed, [r1, r2, r3], [t1, t2, t3], before, after,
                    {tweet_id(ln) for ln in again}, in_file_dup)
    finally:
        mp.undo()
        c.delete(base, recursive=True)
        for db in (raw_db, bronze_db):
            try:
                clients.hive(lake, f"DROP DATABASE IF EXISTS {db} CASCADE")
            except Exception:  # noqa: BLE001
                pass


def test_counts_reconcile(built):
    r1, r2, r3 = built.runs
    d1, d2 = built.landed.lines(D1), built.landed.lines(D2)
    assert (r1["ingest_dates"], r2["ingest_dates"], r3["ingest_dates"]) == ([D1], [D2], [D1])
    assert r1["raw_records"] == r3["raw_records"] == len(d1) and r2["raw_records"] == len(d2)
    for r in (r1, r2, r3):
        assert r["reconciles"] and r["raw_records"] == r["bronze_rows"] + r["duplicates"] + r["rejects"]
    ids_d1 = {tweet_id(ln) for ln in d1} - {None}
    ids_d2 = {tweet_id(ln) for ln in d2} - {None}
    assert r1["bronze_rows"] == len(ids_d1) and r1["rejects"] == len(REJECTS)
    assert r1["rejects_by_reason"] == {reason: 1 for reason in REJECTS.values()}
    # D2 re-ingested five D1 tweets: they move to D2, and D1's copies become duplicates
    assert r2["bronze_rows"] == len(ids_d2) and r2["duplicates"] == 0
    assert r2["superseded_rows_of_other_dates"] == len(built.superseded) == 5
    assert r3["bronze_rows"] == len(ids_d1 - built.superseded)
    assert r3["duplicates"] == r1["duplicates"] + len(built.superseded)


def test_one_row_per_tweet_and_the_latest_ingest_wins(built, lake):
    db = built.bronze_db
    all_ids = {tweet_id(ln) for ln in built.landed.lines()} - {None}
    [(n, distinct)] = clients.trino(lake, f"SELECT count(*), count(DISTINCT tweet_id) FROM hive.{db}.tweets")
    assert n == distinct == len(all_ids)
    ids = ",".join(sorted(built.superseded))
    rows = clients.trino(lake, f"SELECT like_count, ingest_date, kafka_partition FROM hive.{db}.tweets "
                               f"WHERE tweet_id IN ({ids})")
    assert rows == [(BOOSTED_LIKES, D2, 3)] * 5
    tid, likes, offset = built.in_file_dup
    assert clients.trino(lake, f"SELECT like_count, kafka_partition, kafka_offset FROM hive.{db}.tweets "
                               f"WHERE tweet_id = {tid}") == [(likes, 0, offset)]


def test_rejects_are_recorded_with_reasons_and_no_payload(built, lake):
    rows = clients.trino(lake, f"SELECT reason, detail, payload_bytes, ingest_date, source_file, kafka_offset "
                               f"FROM hive.{built.bronze_db}.tweets_rejected")
    assert sorted(r[0] for r in rows) == sorted(REJECTS.values())
    sizes = {len(line.encode()) for line in REJECTS}
    assert {r[2] for r in rows} == sizes and {r[3] for r in rows} == {D1}
    assert all(r[4].startswith("tweets.raw+1+") and r[1] for r in rows)
    assert not any("many" in r[1] or "no author" in r[1] for r in rows)


def test_a_rerun_changes_nothing(built):
    before, after = built.before_rerun, built.after_rerun
    assert after["tweets"] == before["tweets"] and len(after["tweets"]) > 1500
    assert after["tweets_rejected"] == before["tweets_rejected"]
    # the per-file counts are as of each load: D1's rerun now sees 5 of its tweets kept from D2
    files = {r[0]: r for r in before["tweets_loaded_files"]}
    for name, size, records, kept, dups, rejects, created, day in after["tweets_loaded_files"]:
        assert files[name][:3] == (name, size, records) and (files[name][5], files[name][7]) == (rejects, day)
    kept = sum(r[3] for r in after["tweets_loaded_files"] if r[-1] == D1)
    assert kept == sum(r[3] for r in before["tweets_loaded_files"] if r[-1] == D1) - len(built.superseded)


def test_loaded_files_make_pending_find_nothing_left(built, lake):
    rows = clients.trino(lake, f"SELECT ingest_date, source_file, records, bronze_rows, duplicates, rejects "
                               f"FROM hive.{built.bronze_db}.tweets_loaded_files")
    assert {(d, f) for d, f, *_ in rows} == {(re.search(r"ingest_date=([\d-]+)", p)[1], p.rsplit("/", 1)[1])
                                              for p in built.landed.files}
    for _, name, records, kept, dups, rejects in rows:
        assert records == kept + dups + rejects
        assert records == len(next(v for p, v in built.landed.files.items() if p.endswith(name)))
    # each file's recorded created dates cover every partition its kept rows are in: the next load of
    # the date rewrites those partitions (a date that shrank leaves nothing behind) without scanning bronze
    recorded = {(d, f): set(c.split(",")) - {""} for d, f, c in clients.trino(
        lake, f"SELECT ingest_date, source_file, created_dates FROM hive.{built.bronze_db}.tweets_loaded_files")}
    held: dict[tuple, set] = {}
    for d, f, c in clients.trino(lake, f"SELECT DISTINCT ingest_date, source_file, CAST(created_date AS varchar) "
                                       f"FROM hive.{built.bronze_db}.tweets"):
        held.setdefault((d, f), set()).add(c)
    assert held and all(held[k] <= recorded[k] for k in held), (held, recorded)
    assert any(recorded.values())


def test_trino_and_spark_agree(built, lake):
    db = built.bronze_db
    agg = ("SELECT count(*), count(DISTINCT tweet_id), count(DISTINCT author_key), sum(like_count), "
           "count(country), count(lang), sum({size}(hashtags)), sum({size}(mentions)), count(geo_lat), "
           "min(created_at), max(created_at), count(DISTINCT created_date) FROM {t}")
    via_trino = clients.trino(lake, agg.format(size="cardinality", t=f"hive.{db}.tweets"))
    via_thrift = clients.hive(lake, agg.format(size="size", t=f"{db}.tweets"))
    assert via_trino == via_thrift
    by_type = "SELECT tweet_type, source_format, count(*) FROM {t} GROUP BY tweet_type, source_format ORDER BY 1, 2"
    assert clients.trino(lake, by_type.format(t=f"hive.{db}.tweets")) == \
        clients.hive(lake, by_type.format(t=f"{db}.tweets"))


def test_trino_sees_the_declared_types_and_comment(built, lake):
    cols = {r[0]: r[1] for r in clients.trino(lake, f"DESCRIBE hive.{built.bronze_db}.tweets")}
    assert cols["tweet_id"] == "bigint" and cols["created_at"].startswith("timestamp")
    assert cols["hashtags"] == "array(varchar)" and cols["created_date"] == "date"
    assert cols["text"] == cols["lang"] == cols["author_key"] == cols["country"] == "varchar"
    [(comment,)] = clients.trino(lake, "SELECT comment FROM system.metadata.table_comments WHERE catalog_name = "
                                       f"'hive' AND schema_name = '{built.bronze_db}' AND table_name = 'tweets'")
    assert "Answers:" in comment


def test_files_are_orc_with_zstd(built, lake):
    paths = clients.trino(lake, f'SELECT DISTINCT "$path" FROM hive.{built.bronze_db}.tweets')
    c = hdfs_client.client(lake)
    for (path,) in paths[:3]:
        local = path.split("://", 1)[1].split("/", 1)[1]
        with c.read("/" + local) as r:
            data = r.read()
        assert data[:3] == b"ORC"
        ps_len = data[-1]
        assert _orc_compression(data[-1 - ps_len:-1]) == 5  # CompressionKind.ZSTD


def _orc_compression(postscript: bytes) -> int:
    """Field 2 (compression) of the ORC PostScript protobuf message."""
    i = 0
    while i < len(postscript):
        key = postscript[i]
        i += 1
        value, shift = 0, 0
        while True:
            b = postscript[i]
            i += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        if key == (2 << 3):
            return value
        if key & 7 == 2:  # length-delimited: skip the bytes
            i += value
    raise AssertionError("no compression field in the ORC postscript")


def test_no_handle_user_id_or_contact_from_the_input_reaches_bronze(built, lake):
    handles, ids = set(), set()
    for line in built.landed.lines():
        if line not in REJECTS:  # their toy ids ("7") are substrings of everything
            identifiers(json.loads(line), handles, ids)
    assert len(handles) > 300 and len(ids) > 300
    db = built.bronze_db
    texts = []
    for table in ("tweets", "tweets_rejected", "tweets_loaded_files"):
        for row in clients.trino(lake, f"SELECT * FROM hive.{db}.{table}"):
            texts += list(strings(list(row)))
    blob = "\n".join(texts)
    assert not [u for u in ids if u in blob]
    # handles as mentions or in profile URLs (a bare word is not one: "Twitter" is also a client app)
    assert not [h for h in handles if re.search(
        rf"(?i)@{re.escape(h)}(?!\w)|(?:twitter|x)\.com/{re.escape(h)}(?!\w)", blob)]
    # every identifier column holds tokens only
    keys = clients.trino(lake, f"SELECT author_key, author_handle_key, reply_to_user_key, retweeted_author_key, "
                               f"quoted_author_key, mentions FROM hive.{db}.tweets")
    tokens = [s for row in keys for s in strings(list(row))]
    assert len(tokens) > 4000 and all(re.fullmatch(r"[uh]_[0-9a-f]{16}", s) for s in tokens)
    assert not [c for c in CONTACTS if c in blob]
    assert not re.search(r"[\w.]+@[\w-]+\.[a-z]{2,}", blob)
    # the same person is the same token wherever they appear
    p = pii.Pii(KEY)
    [(author, handle, text, lat, lon)] = clients.trino(
        lake, f"SELECT author_key, author_handle_key, text, geo_lat, geo_lon FROM hive.{db}.tweets "
              f"WHERE tweet_id = {PII_TWEET['id']}")
    assert author == p.user_key(PII_TWEET["author_id"]) and handle == p.handle_key("joao_fake01")
    assert text.startswith(f"Fala @{p.handle_key('maria_fake99')}! Me liga [phone] ou [phone]")
    assert (lat, lon) == (-23.55, -46.63)


def test_job_time_on_yarn(built):
    """Not a benchmark: prints the three YARN runs' wall times for the report, bounds them loosely."""
    print("build_bronze on YARN (s):", [round(t, 1) for t in built.seconds],
          "in-job:", [r.get("seconds") for r in built.runs])
    assert all(t < 300 for t in built.seconds)
