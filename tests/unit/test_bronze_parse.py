"""Bronze parsing (spark/transforms/parse.py): v1.1 and v2 payloads -> one row shape.

Payloads are the shared files as ingestion lands them (replay -> Record.payload),
so the tests see exactly what raw.tweets holds.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from ingestion.sink import raw_sink as sink
from ingestion.sources import synthetic
from ingestion.records import Record
from ingestion.sources.replay import replay
from spark.transforms import parse, pii
from spark.transforms.schema import BRONZE_SCHEMA, LOADED_FILES_SCHEMA, REJECTED_SCHEMA

ROOT = Path(__file__).resolve().parents[2]
KEY = "unit-test-key-0123456789abcdef"
META = {"ingest_date": "2026-01-10", "ingest_hour": "08", "source_file": "tweets.raw+1+100+199.jsonl",
        "kafka_partition": 1, "kafka_offset": 123}
V1_FILE = "tweets/v1-streaming/original_format_examples.json"
V2_DIR = "tweets/v2-twarc/test-data"


@pytest.fixture(scope="module")
def p() -> pii.Pii:
    return pii.Pii(KEY)


@pytest.fixture(scope="module")
def records(shared_data) -> dict[str, list[Record]]:
    """file (relative to the shared data dir) -> the records ingestion produces from it."""
    out: dict[str, list[Record]] = {}
    for item in replay([shared_data / "tweets"]):
        if isinstance(item, Record):
            rel = str(Path(item.origin.split(":")[0]).relative_to(shared_data))
            out.setdefault(rel, []).append(item)
    return out


def row_of(payload, p, meta=META):
    row, rej = parse.to_bronze(payload, meta, p)
    assert rej is None, rej
    return row


def by_id(recs: list[Record], tweet_id: str) -> bytes:
    return next(r.payload for r in recs if r.key == tweet_id)


def v1_tweet(shared_data, tweet_id: str) -> dict:
    for line in (shared_data / V1_FILE).read_text().splitlines():
        if line.strip() and json.loads(line)["id_str"] == tweet_id:
            return json.loads(line)
    raise KeyError(tweet_id)


# ---- every shared tweet becomes a row ----------------------------------------------------------
def test_every_record_ingestion_lands_becomes_one_bronze_row(records, p):
    n = 0
    for recs in records.values():
        for r in recs:
            row = row_of(r.payload, p)
            assert list(row) == [c for c in row]  # a plain dict
            assert set(row) == set(BRONZE_SCHEMA.fieldNames())
            assert str(row["tweet_id"]) == r.key
            assert row["source_format"] == r.format
            assert row["created_at"].tzinfo is timezone.utc and row["created_date"] == row["created_at"].date()
            assert row["author_key"].startswith("u_") and row["tweet_type"] in ("original", "retweet", "reply", "quote")
            assert all(h == h.lower() for h in row["hashtags"]) and len(set(row["hashtags"])) == len(row["hashtags"])
            n += 1
    assert n == 1558  # docs/ingestion.md: all 37 shared files produce 1558 records


def test_rows_fit_the_spark_schema(records, p):
    from pyspark.sql.types import _make_type_verifier

    verify = _make_type_verifier(BRONZE_SCHEMA)
    for recs in records.values():
        for r in recs[:20]:
            row = row_of(r.payload, p)
            verify(tuple(row[c] for c in BRONZE_SCHEMA.fieldNames()))


# ---- v1.1 ---------------------------------------------------------------------------------------
def test_v1_extended_tweet_takes_full_text_place_and_reply(records, shared_data, p):
    raw = v1_tweet(shared_data, "867473446648676352")
    row = row_of(by_id(records[V1_FILE], "867473446648676352"), p)
    assert raw["truncated"] and raw["text"].endswith("https://t.co/DveKFDkbMP")
    full = raw["extended_tweet"]["full_text"]
    assert row["text"] == p.mask_text(full)
    assert row["text"].startswith(f"@{p.handle_key('notFromShrek')} @{p.handle_key('ericmbudd')} H) 140 chars")
    assert len(row["text"]) > 140 and "…" not in row["text"]
    assert row["created_at"] == datetime(2017, 5, 24, 20, 12, 41, tzinfo=timezone.utc)
    assert row["tweet_type"] == "reply" and row["reply_to_tweet_id"] == 863566329168711681
    assert row["reply_to_user_key"] == p.user_key("2382763597")
    assert row["mentions"] == [{"user_key": p.user_key("2382763597"), "handle_key": p.handle_key("notFromShrek")},
                               {"user_key": p.user_key("43194865"), "handle_key": p.handle_key("ericmbudd")}]
    assert (row["place_name"], row["country"], row["country_name"], row["place_type"]) == \
        ("Las Condes", "CL", "Chile", "city")
    assert row["place_bbox"] == [-70.608694, -33.486182, -70.429141, -33.364619]
    assert row["author_key"] == p.user_key("815279070241955840")
    assert row["author_handle_key"] == p.handle_key("RobotPrincessFi")
    assert row["source"] == "Twitter Web Client"


def test_v1_retweet_of_an_extended_tweet_is_rebuilt_from_the_original(records, shared_data, p):
    raw = v1_tweet(shared_data, "867475059358683136")
    rt = raw["retweeted_status"]
    assert rt["truncated"] and "extended_tweet" in rt and "…" in raw["text"]
    row = row_of(by_id(records[V1_FILE], "867475059358683136"), p)
    assert row["text"] == f"RT @{p.handle_key('RobotPrincessFi')}: {rt['extended_tweet']['full_text']}"
    assert row["tweet_type"] == "retweet"
    assert row["retweeted_tweet_id"] == 867471562613575680
    assert row["retweeted_author_key"] == p.user_key("815279070241955840")
    assert row["mentions"][0] == {"user_key": p.user_key("815279070241955840"),
                                  "handle_key": p.handle_key("RobotPrincessFi")}


def test_v1_retweet_hashtags_come_from_the_originals_full_entities(p):
    """Synthetic v1.1 (ingestion/synthetic.py) cuts long texts to 140 chars with extended_tweet,
    so hashtags at the end exist only in extended_tweet.entities."""
    found = 0
    for rec in synthetic.generate(3000, seed=11, fmt="v1"):
        t = json.loads(rec.payload)
        rt = t.get("retweeted_status") or {}
        full_tags = [h["text"].lower() for h in rt.get("extended_tweet", {}).get("entities", {}).get("hashtags", [])]
        own_tags = [h["text"].lower() for h in t["entities"]["hashtags"]]
        if full_tags and set(full_tags) - set(own_tags):
            row = row_of(rec.payload, p)
            assert set(full_tags) <= set(row["hashtags"])
            assert row["text"].endswith(p.mask_text(rt["extended_tweet"]["full_text"]))
            found += 1
    assert found >= 3


def test_v1_quote_tweet(records, p):
    row = row_of(by_id(records[V1_FILE], "872836479608733696"), p)
    assert row["tweet_type"] == "quote"
    assert row["quoted_tweet_id"] == 872836379595620353
    assert row["quoted_author_key"] == p.user_key("815279070241955840")
    assert row["hashtags"] == ["quotetweet", "hashtags"]


def test_v1_exact_point_is_rounded_and_place_kept(records, shared_data, p):
    raw = v1_tweet(shared_data, "887453193294282752")
    assert raw["coordinates"]["coordinates"] == [-105.27786886, 40.01736548]
    row = row_of(by_id(records[V1_FILE], "887453193294282752"), p)
    assert (row["geo_lat"], row["geo_lon"]) == (40.02, -105.28)
    assert row["country"] == "US" and row["place_full_name"] == raw["place"]["full_name"]


def test_v1_id_str_wins_over_a_rounded_numeric_id(records, p):
    [rec] = records["tweets/v1-streaming/broken_and_unsupported_payloads/original_format_missing_field.json"]
    raw = json.loads(rec.payload)
    assert str(raw["id"]) != raw["id_str"]
    assert row_of(rec.payload, p)["tweet_id"] == int(raw["id_str"])


# ---- v2 -----------------------------------------------------------------------------------------
def test_v2_flat_and_page_message_give_the_same_rows(records, p):
    """flat.jsonl (twarc flat, expansions inlined) and noflat.jsonl (pages with includes) hold
    the same 100 tweets: bronze must not see the difference."""
    flat = {r.key: row_of(r.payload, p) for r in records[f"{V2_DIR}/flat.jsonl"]}
    page = {r.key: row_of(r.payload, p) for r in records[f"{V2_DIR}/noflat.jsonl"]}
    assert len(flat) == 100 and flat == page
    assert sum(r["tweet_type"] == "retweet" for r in flat.values()) == 47


def test_v2_retweet_text_is_rebuilt_from_includes(records, p):
    rec = next(r for r in records[f"{V2_DIR}/noflat.jsonl"] if r.key == "1380242611781386245")
    msg = json.loads(rec.payload)
    assert msg["data"]["text"].endswith("…")
    original = next(t for t in msg["includes"]["tweets"] if t["id"] == "1380175475545362437")
    row = row_of(rec.payload, p)
    assert row["text"] == f"RT @{p.handle_key('williamserafino')}: {original['text']}"
    assert row["retweeted_tweet_id"] == 1380175475545362437
    assert row["retweeted_author_key"] == p.user_key("2718660392")
    assert row["mentions"] == [{"user_key": p.user_key("2718660392"), "handle_key": p.handle_key("williamserafino")}]
    assert row["author_followers_count"] == 58 and row["lang"] == "es"
    assert row["conversation_id"] == 1380242611781386245


def test_v2_retweet_without_the_original_keeps_its_own_text(records, p):
    rec = next(r for r in records[f"{V2_DIR}/noflat.jsonl"] if r.key == "1380242611781386245")
    msg = json.loads(rec.payload)
    msg.pop("includes")
    row = row_of(json.dumps(msg), p)
    assert row["text"] == p.mask_text(msg["data"]["text"])
    assert row["tweet_type"] == "retweet" and row["retweeted_author_key"] is None
    assert row["author_handle_key"] is None and row["author_key"] == p.user_key("1352661060663336960")


def test_v2_place_from_includes(records, p):
    rec = records[f"{V2_DIR}/streaming_output_with_error.jsonl"][0]
    row = row_of(rec.payload, p)
    assert (row["place_id"], row["place_name"], row["place_type"], row["country"]) == \
        ("a0583a9994e6bf1b", "Malawi", "country", "MW")
    assert row["place_bbox"] == [32.6718934, -17.1276504, 35.92038, -9.3670837]
    assert row["tweet_type"] == "quote" and row["quoted_tweet_id"] == 1377640162566496258


def test_v2_exact_point(records, p):
    [rec] = [r for r in records[f"{V2_DIR}/geo_tweets.jsonl"] if r.key == "1249702384659554308"]
    row = row_of(rec.payload, p)
    # GeoJSON order is [lon, lat]
    assert (row["geo_lon"], row["geo_lat"]) == (42.78, 88.02)
    assert row["hashtags"][:3] == ["harrypotterdiy", "harrypotterandphilosophersstone", "potterhead"]
    assert row["hashtags"].count("harrypotter") == 1  # listed twice in the tweet


def test_v2_missing_lang_is_null(records, p):
    recs = records[f"{V2_DIR}/entities_test.jsonl"]
    assert all("lang" not in json.loads(r.payload)["data"] for r in recs)
    rows = [row_of(r.payload, p) for r in recs]
    assert len(rows) == 474 and all(r["lang"] is None for r in rows)
    assert rows[0]["hashtags"] == ["lega", "maratonamentana"]
    assert rows[0]["impression_count"] == 0


def test_v2_note_tweet_gives_the_full_text(records, p):
    rec = next(r for r in records[f"{V2_DIR}/noflat.jsonl"] if json.loads(r.payload)["data"].get(
        "referenced_tweets") is None)
    msg = json.loads(rec.payload)
    long_text = "Texto longo sobre o #Santander " + "muito bom " * 40 + "#Pix fim"
    msg["data"]["text"] = long_text[:270] + "…"
    msg["data"]["note_tweet"] = {"text": long_text, "entities": {"hashtags": [
        {"start": 20, "end": 30, "tag": "Santander"}, {"start": len(long_text) - 8, "end": len(long_text) - 4,
                                                        "tag": "Pix"}]}}
    row = row_of(json.dumps(msg), p)
    assert row["text"] == long_text and row["hashtags"] == ["santander", "pix"]


def test_v2_reply_user_and_mention_ids_looked_up_by_username(records, p):
    rows = [row_of(r.payload, p) for r in records[f"{V2_DIR}/2sets.jsonl"]]
    replies = [r for r in rows if r["tweet_type"] == "reply"]
    assert replies and all(r["reply_to_tweet_id"] and r["reply_to_user_key"] for r in replies)
    rec = records[f"{V2_DIR}/two_tweets.jsonl"][0]  # mention without id; the user is in includes
    assert row_of(rec.payload, p)["mentions"] == [{"user_key": p.user_key("1380086327023169540"),
                                                    "handle_key": p.handle_key("bibaigna96")}]


# ---- rejects -----------------------------------------------------------------------------------
GOOD_V2 = {"id": "1500000000000000001", "author_id": "42", "text": "ok", "created_at": "2022-03-05T10:00:00.000Z"}


@pytest.mark.parametrize("payload, reason", [
    ("not json {", parse.INVALID_JSON),
    ("[1, 2]", parse.NOT_A_TWEET),
    ('{"delete": {"status": {"id_str": "1"}}}', parse.NOT_A_TWEET),
    ('{"data": [{"id": "1", "text": "a"}]}', parse.NOT_A_TWEET),
    ('{"actor": {}, "verb": "post", "body": "x"}', parse.UNSUPPORTED_FORMAT),
    (json.dumps({k: v for k, v in GOOD_V2.items() if k != "id"}), parse.MISSING_ID),
    (json.dumps({**GOOD_V2, "id": 1500000000000000001}), parse.BAD_ID_TYPE),
    (json.dumps({**GOOD_V2, "id": "-5"}), parse.BAD_ID),
    (json.dumps({**GOOD_V2, "id": "99999999999999999999"}), parse.BAD_ID),
    (json.dumps({k: v for k, v in GOOD_V2.items() if k != "author_id"}), parse.MISSING_USER),
    (json.dumps({k: v for k, v in GOOD_V2.items() if k != "created_at"}), parse.MISSING_CREATED_AT),
    (json.dumps({**GOOD_V2, "created_at": "yesterday"}), parse.BAD_CREATED_AT),
    (json.dumps({**GOOD_V2, "created_at": "2022-03-05T10:00:00"}), parse.BAD_CREATED_AT),
    (json.dumps({**GOOD_V2, "text": 5}), parse.BAD_TYPE),
    (json.dumps({**GOOD_V2, "lang": ["en"]}), parse.BAD_TYPE),
    (json.dumps({**GOOD_V2, "public_metrics": {"like_count": "many"}}), parse.BAD_TYPE),
    (json.dumps({**GOOD_V2, "entities": {"hashtags": "#x"}}), parse.BAD_TYPE),
    ('{"id_str": "5", "text": "x", "created_at": "Wed Oct 10 20:19:24 +0000 2018"}', parse.MISSING_USER),
    ('{"id": 5, "text": "x", "user": {"id_str": "7"}}', parse.BAD_ID_TYPE),
    ('{"id_str": "5", "text": "x", "user": {"id_str": "7"}, "created_at": "2018-10-10"}', parse.BAD_CREATED_AT),
    ('{"id_str": "5", "text": "x", "user": {"id_str": "7"}, "created_at": "Wed Oct 10 20:19:24 +0000 2018",'
     ' "place": {"bounding_box": {"coordinates": [[["a", "b"]]]}}}', parse.BAD_TYPE),
])
def test_rejects_carry_a_reason_and_no_content(payload, reason, p):
    row, rej = parse.to_bronze(payload, META, p)
    assert row is None and rej.reason == reason and rej.reason in parse.REASONS
    assert "\n" not in rej.detail and str(rej).startswith(reason + ": ")
    rejected = parse.reject_row(rej, payload, META)
    assert set(rejected) == set(REJECTED_SCHEMA.fieldNames())
    assert rejected["payload_bytes"] == len(payload.encode())
    assert not any(v in rejected["detail"] for v in ("many", "yesterday", "#x", "no author"))  # never values


@pytest.mark.parametrize("payload", [
    b'{"id": "1500000000000000001", "author_id": "42", "text": "ok", "created_at": "2022-03-05T10:00:00.000Z", '
    b'"score": NaN}',
    b'{"id": "1500000000000000001", "author_id": "42", "text": "\\ud800", "created_at": "2022-03-05T10:00:00.000Z"}',
    b"\xef\xbb\xbf" + json.dumps(GOOD_V2).encode(),
    json.dumps(GOOD_V2).encode("utf-16"),
])
def test_what_the_raw_sink_refuses_as_json_bronze_refuses_too(payload, p):
    """The speed layer reads Kafka, not the raw zone: it must not take what the sink rejected."""
    assert sink.check_payload(payload)[1] in ("invalid_json", "invalid_utf8")
    row, rej = parse.to_bronze(payload, META, p)
    assert row is None and rej.reason == parse.INVALID_JSON


def test_a_good_minimal_tweet_is_not_rejected(p):
    row = row_of(json.dumps(GOOD_V2), p)
    assert row["tweet_id"] == 1500000000000000001 and row["created_date"] == date(2022, 3, 5)
    assert row["hashtags"] == [] and row["mentions"] == [] and row["lang"] is None


def test_a_reject_keeps_the_tweet_id_when_it_could_be_read(p):
    _, rej = parse.to_bronze(json.dumps({**GOOD_V2, "created_at": "soon"}), META, p)
    assert rej.tweet_id == "1500000000000000001"


# ---- files, offsets, metadata -----------------------------------------------------------------
def test_file_metadata_agrees_with_the_sink_naming():
    name = sink.file_name("it.ab12.tweets.raw", 3, 1000, 1099)
    assert sink.parse_file_name(name) == ("it.ab12.tweets.raw", 3, 1000, 1099)
    path = f"hdfs://127.0.0.1:8020/lake/raw/tweets/ingest_date=2026-01-10/ingest_hour=07/{name}"
    assert parse.meta_for_file(path) == {"ingest_date": "2026-01-10", "ingest_hour": "07", "source_file": name,
                                         "kafka_partition": 3, "first_offset": 1000}
    assert parse.meta_for_file(path.replace("+", "%2B"))["kafka_partition"] == 3  # URI-encoded by Spark


def test_ingest_metadata_is_copied(records, p):
    row = row_of(records[f"{V2_DIR}/two_tweets.jsonl"][0].payload, p)
    assert {k: row[k] for k in parse.META_COLUMNS} == META


# ---- the schema contract ------------------------------------------------------------------------
def test_classification_covers_exactly_the_bronze_columns(p):
    produced = set(pii.output_columns(p.classification)) | set(parse.META_COLUMNS) | {"created_date"}
    assert produced == set(BRONZE_SCHEMA.fieldNames())


def _ddl_columns(path: Path) -> list[tuple[str, str]]:
    text = "\n".join(ln for ln in path.read_text().splitlines() if not ln.lstrip().startswith("--"))
    body = text[text.index("CREATE TABLE") : text.index("\n)\n")]
    cols = re.findall(r"^\s+([a-z_]+)\s+(.+?)(?:\s+COMMENT\s+'[^']*')?,?$", body, re.M)
    part = re.search(r"PARTITIONED BY \((\w+) (\w+)", text)
    return [(n, t.lower().replace(" ", "")) for n, t in cols] + [(part[1], part[2].lower())]


@pytest.mark.parametrize("ddl, schema", [("tweets.sql", BRONZE_SCHEMA), ("tweets_rejected.sql", REJECTED_SCHEMA),
                                         ("tweets_loaded_files.sql", LOADED_FILES_SCHEMA)])
def test_ddl_matches_the_spark_schema(ddl, schema):
    expected = [(f.name, f.dataType.simpleString()) for f in schema.fields]
    assert _ddl_columns(ROOT / "hive/ddl/bronze" / ddl) == expected


def test_v1_and_v2_times_parse_to_utc(p):
    v1 = {"id_str": "5", "text": "x", "user": {"id_str": "7"}, "created_at": "Wed Oct 10 20:19:24 +0200 2018"}
    assert row_of(json.dumps(v1), p)["created_at"] == datetime(2018, 10, 10, 18, 19, 24, tzinfo=timezone.utc)
    v2 = {**GOOD_V2, "created_at": "2022-03-05T23:30:00-03:00"}
    r = row_of(json.dumps(v2), p)
    assert r["created_at"] == datetime(2022, 3, 6, 2, 30, tzinfo=timezone.utc) and r["created_date"] == date(2022, 3, 6)


# ---- the job's arguments (its logical partition, never today's date) ---------------------------
def test_job_arguments():
    from spark.jobs import build_bronze as job

    assert job.parse_args(["--date", "2026-01-10"]).date == "2026-01-10"
    a = job.parse_args(["--from", "2026-01-30", "--to", "2026-02-02", "--bronze-db", "it_x"])
    assert job.common.date_range(a.date_from, a.date_to) == ["2026-01-30", "2026-01-31", "2026-02-01", "2026-02-02"]
    assert a.bronze_db == "it_x" and a.raw_table == "raw.tweets"
    assert job.parse_args(["--pending"]).pending
    assert job.parse_args(["--dates", "2026-01-02,2026-01-01"]).dates == ["2026-01-02", "2026-01-01"]
    for bad in ([], ["--date", "2026-1-10"], ["--date", "2026-02-30"], ["--from", "2026-01-02"],
                ["--from", "2026-01-02", "--to", "2026-01-01"], ["--date", "2026-01-01", "--pending"]):
        with pytest.raises(SystemExit):
            job.parse_args(bad)
