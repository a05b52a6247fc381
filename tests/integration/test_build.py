"""`make build` end to end on the real stack: raw -> bronze -> silver -> gold, twice.

A known set (every shared v1.1/v2 payload, a seeded synthetic day, an author
whose location and badge change, a broken line) is landed as raw-sink files in
a sandbox (tests/integration/build_sandbox.py). The build runs through
lake.build.run -- the code behind `make build` -- twice.
Checked: every gate passes and is recorded; Spark SQL (PyHive), Beeline and
Trino give the same aggregates on every silver and gold table; the rerun
changes nothing; no user id or handle from the payloads is anywhere in bronze,
silver or gold; SCD2 versions; the silver table's buckets are Trino's.
The first build runs on YARN, as `make build` does; the rerun and the later build run where the other
build tests run Spark (build_sandbox.spark_master(): local unless LAKE_TEST_SPARK_MASTER says), so the
rerun also shows that where a build runs does not change what it writes.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from ingestion.sources import synthetic
from ingestion.records import Record
from ingestion.sources.replay import replay
from lake.pipeline import build, ddl
from lake.runtime import clients
from spark.transforms import pii
from spark.transforms.schema import SILVER_SCHEMA
from tests.integration.build_sandbox import build_sandbox, spark_master
from tests.pii_identifiers import identifiers, strings
from tests.raw_landing import Landed, tweet_id

# Two builds of every partition the data touches: each created date costs fixed Spark and
# metastore work, so the set keeps to a few dates (the shared files span 2010-2023).
pytestmark = pytest.mark.timeout(2700)

KEY = "integration-test-key-build-0123456789"
# Shared payloads of these tweet dates (by snowflake id): v2 twarc pages and flat files, v1.1
# streaming examples -- both APIs, retweets, quotes, replies, places.
SHARED_DAYS = {"2022-09-25", "2021-09-22", "2017-05-24"}
DAY = "2026-02-01"
SCD_AUTHOR = "990000000000000077"
BROKEN = "{not json"

SILVER_GOLD_CHECKS = {  # table -> aggregates every engine must agree on (portable SQL)
    "silver.tweets": "count(*), count(DISTINCT author_key), sum(engagement), "
                     "sum(CASE WHEN is_retweet THEN 1 ELSE 0 END), min(tweet_id), count(country)",
    "silver.tweet_hashtags": "count(*), count(DISTINCT hashtag), count(DISTINCT tweet_id)",
    "gold.fact_tweets": "count(*), sum(engagement), count(DISTINCT author_sk), sum(hashtag_count)",
    "gold.dim_authors": "count(*), sum(version), count(DISTINCT author_key), "
                        "sum(CASE WHEN is_current THEN 1 ELSE 0 END)",
    "gold.dim_dates": "count(*), sum(date_key), sum(CASE WHEN is_weekend THEN 1 ELSE 0 END)",
    "gold.dim_places": "count(*), sum(tweets), count(country)",
    "gold.dim_hashtags": "count(*), sum(tweets), sum(CASE WHEN is_brand THEN 1 ELSE 0 END)",
    "gold.bridge_tweet_hashtags": "count(*), count(DISTINCT hashtag_key)",
    "gold.mart_hashtag_daily": "count(*), sum(tweets), sum(engagement), sum(authors)",
    "gold.mart_sentiment_daily_country": "count(*), sum(tweets), sum(positive), sum(negative)",
    "gold.mart_top_words": "count(*), sum(occurrences), max(word_rank)",
    "gold.mart_engagement_by_tier": "count(*), sum(engagement), sum(authors), sum(likes)",
}


def snowflake_day(line: str) -> str | None:
    try:
        ms = (int(tweet_id(line)) >> 22) + 1288834974657
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(ms / 1000, timezone.utc).date().isoformat()


def scd_tweets() -> list[str]:
    """Five v2 tweets of one author, all built in one run: same location and badge twice, then both
    change, then the location changes again the same day (two changes inside one batch), and once
    more in the same second (that state wins the instant)."""
    # on the synthetic set's days (2023-12-29..31): no extra partitions to build
    return [scd_tweet(i, when, loc, verified)
            for i, (when, loc, verified) in enumerate((("2023-12-29T10:00:00.000Z", "Lisboa (scd test)", False),
                                                       ("2023-12-30T10:00:00.000Z", "Lisboa (scd test)", False),
                                                       ("2023-12-31T10:00:00.000Z", "Madrid (scd test)", True),
                                                       ("2023-12-31T20:00:00.000Z", "Porto (scd test)", True),
                                                       ("2023-12-31T20:00:00.000Z", "Faro (scd test)", True)))]


def scd_tweet(i: int, when: str, location: str, verified: bool, author: str = SCD_AUTHOR) -> str:
    return json.dumps({
        "data": {"id": f"17500000000000000{i}1", "author_id": author, "created_at": when, "lang": "pt",
                 "text": f"Atendimento do #Santander hoje foi ótimo {i}",
                 "entities": {"hashtags": [{"start": 14, "end": 24, "tag": "Santander"}]},
                 "public_metrics": {"like_count": i, "retweet_count": 0, "reply_count": 0, "quote_count": 0}},
        "includes": {"users": [{"id": author, "username": "scd_author_fake" if author == SCD_AUTHOR else "scd_other_fake", "name": "Ana Mudança",
                                "location": location, "verified": verified,
                                "public_metrics": {"followers_count": 500 + i, "following_count": 1,
                                                   "tweet_count": 10, "listed_count": 0}}]}})


@dataclass
class Built:
    dbs: build.Databases
    lines: list[str]
    first: build.Report
    second: build.Report
    snap_first: dict
    snap_second: dict
    root: str


def snapshot(lake, dbs: build.Databases) -> dict[str, list]:
    """Every row of every silver and gold table, as Trino returns it, order-free."""
    out = {}
    for name in SILVER_GOLD_CHECKS:
        layer, table = name.split(".")
        rows = clients.trino(lake, f"SELECT * FROM hive.{getattr(dbs, layer)}.{table}")
        out[name] = sorted(rows, key=repr)
    return out


@pytest.fixture(scope="module")
def built(lake, shared_data):
    with build_sandbox(lake, KEY) as box:
        dbs, root = box.dbs, box.root
        shared = [r.payload.decode() for r in replay([shared_data / "tweets"])
                  if isinstance(r, Record) and snowflake_day(r.payload.decode()) in SHARED_DAYS]
        assert any('"user"' in ln for ln in shared) and any('"author_id"' in ln for ln in shared)
        synth = [r.payload.decode() for r in synthetic.generate(300, seed=77, days=3, fmt="v2")]
        assert {snowflake_day(ln) for ln in synth} == {"2023-12-29", "2023-12-30", "2023-12-31"}
        landed = Landed()
        landed.add(root, DAY, "08", 0, 0, shared)
        landed.add(root, DAY, "09", 1, 0, synth + scd_tweets() + [BROKEN])
        landed.write(lake, dbs.raw, root)
        first = build.run(lake, dates=[DAY], dbs=dbs, master="yarn")
        snap_first = snapshot(lake, dbs)
        second = build.run(lake, dates=[DAY], dbs=dbs, master=spark_master())
        snap_second = snapshot(lake, dbs)
        yield Built(dbs, landed.lines(), first, second, snap_first, snap_second, root)


def test_every_gate_passes_and_is_recorded(built, lake):
    for rep in (built.first, built.second):
        assert {g.layer for g in rep.gates} == {"bronze", "silver", "gold"}
        assert all(g.passed for g in rep.gates), [g.line() for g in rep.gates if not g.passed]
    recorded = clients.trino(lake, f"SELECT run_id, layer, check_name, passed, observed, expected "
                                   f"FROM hive.{built.dbs.ops}.quality_checks")
    assert {r[0] for r in recorded} == {built.first.run_id, built.second.run_id}
    assert len(recorded) == len(built.first.gates) + len(built.second.gates)
    assert all(r[3] and r[4] == r[5] for r in recorded)
    # the reconciliation really counted: every landed line, the broken one as a reject
    bronze = built.first.steps["bronze"]
    assert bronze["raw_records"] == len(built.lines)
    assert bronze["rejects_by_reason"] == {"invalid_json": 1}
    ids = {tweet_id(ln) for ln in built.lines} - {None}
    [(n,)] = clients.trino(lake, f"SELECT count(*) FROM hive.{built.dbs.silver}.tweets")
    assert n == len(ids) == bronze["bronze_rows"]


@pytest.mark.parametrize("table", sorted(SILVER_GOLD_CHECKS))
def test_spark_sql_beeline_and_trino_agree(built, lake, table):
    layer, name = table.split(".")
    fq = f"{getattr(built.dbs, layer)}.{name}"
    sql = f"SELECT {SILVER_GOLD_CHECKS[table]} FROM {{t}}"
    norm = lambda rows: [tuple(str(v) for v in r) for r in rows]  # noqa: E731 - beeline returns text
    via_trino = norm(clients.trino(lake, sql.format(t=f"hive.{fq}")))
    via_pyhive = norm(clients.hive(lake, sql.format(t=fq)))
    via_beeline = norm(clients.beeline(lake, sql.format(t=fq)))
    assert via_trino == via_pyhive == via_beeline
    assert int(via_trino[0][0]) > 0, f"{table} is empty: the agreement would prove nothing"


def test_rerun_changes_nothing(built):
    assert built.first.created_dates == built.second.created_dates
    for table, rows in built.snap_first.items():
        assert built.snap_second[table] == rows, f"{table} changed on rerun"


def test_no_user_id_or_handle_in_bronze_silver_gold(built, lake):
    handles, ids = set(), set()
    for ln in built.lines:
        try:
            identifiers(json.loads(ln), handles, ids)
        except ValueError:
            pass
    handles = {h.lower() for h in handles}
    ids = {i for i in ids if len(i) >= 6}
    assert SCD_AUTHOR in ids and "scd_author_fake" in handles and len(handles) > 50
    # a handle leaks as a mention, a profile URL, or a whole value; a bare word is not one
    # ("twitter" is also a client app and a word in the word cloud)
    mention = re.compile(r"(?i)(?:@|(?:twitter|x)\.com/)(" + "|".join(map(re.escape, sorted(handles))) + r")(?!\w)")
    handle_like = {h for h in handles if re.search(r"[\d_]", h)}
    leaks = []
    for layer in ("bronze", "silver", "gold"):
        db = getattr(built.dbs, layer)
        for (table,) in clients.trino(lake, f"SHOW TABLES FROM hive.{db}"):
            for row in clients.trino(lake, f"SELECT * FROM hive.{db}.{table}"):
                for s in strings(list(row)):
                    leaks += [(table, m) for m in mention.findall(s)]
                    if s.lower() in handle_like:
                        leaks.append((table, s))
                    leaks += [(table, i) for i in ids if i in s]
    assert not leaks, leaks[:10]


def test_scd2_author_versions_and_fact_links(built, lake):
    g = built.dbs.gold
    versions = clients.trino(lake, f"SELECT a.version, a.location, a.verified, a.valid_from, a.valid_to, a.is_current "
                                   f"FROM hive.{g}.dim_authors a WHERE a.author_key IN "
                                   f"(SELECT author_key FROM hive.{built.dbs.silver}.tweets "
                                   f"WHERE author_location = 'Madrid (scd test)') ORDER BY a.version")
    assert [(v[0], v[1], v[2], v[5]) for v in versions] == [(1, "Lisboa (scd test)", False, False),
                                                           (2, "Madrid (scd test)", True, False),
                                                           (3, "Faro (scd test)", True, True)]
    assert versions[0][4] == versions[1][3] and versions[1][4] == versions[2][3]  # each ends where the next starts
    links = clients.trino(lake, f"SELECT f.like_count, a.version FROM hive.{g}.fact_tweets f "
                                f"JOIN hive.{g}.dim_authors a ON f.author_sk = a.author_sk "
                                f"WHERE a.author_key = (SELECT author_key FROM hive.{built.dbs.silver}.tweets "
                                f"WHERE author_location = 'Madrid (scd test)') ORDER BY f.like_count")
    assert links == [(0, 1), (1, 1), (2, 2), (3, 3), (4, 3)]  # Porto's tweet shares Faro's instant


def test_silver_is_bucketed_the_way_trino_reads_it(built, lake):
    [(ddl,)] = clients.trino(lake, f"SHOW CREATE TABLE hive.{built.dbs.silver}.tweets")
    assert "bucketed_by = ARRAY['author_key']" in ddl and "sorted_by = ARRAY['created_at']" in ddl
    # hive.validate-bucketing is on: Trino checks every row's bucket against its file while reading
    [(rows, buckets)] = clients.trino(lake, f'SELECT count(*), count(DISTINCT "$bucket") '
                                            f"FROM hive.{built.dbs.silver}.tweets")
    assert rows > 0 and buckets > 1
    [(author,)] = clients.trino(lake, f"SELECT author_key FROM hive.{built.dbs.silver}.tweets "
                                      f"WHERE author_location = 'Madrid (scd test)'")
    [(files,)] = clients.trino(lake, f'SELECT count(DISTINCT "$path") FROM hive.{built.dbs.silver}.tweets '
                                     f"WHERE author_key = '{author}'")
    [(all_files,)] = clients.trino(lake, f'SELECT count(DISTINCT "$path") FROM hive.{built.dbs.silver}.tweets')
    assert files < all_files


def test_one_spark_application_builds_every_layer(built):
    for rep in (built.first, built.second):
        starts = [name for name in rep.stages if name.startswith("start")]
        assert starts == ["start: Spark application"], rep.stages
        assert {name.split(":")[0] for name in rep.stages} == {"start", "bronze", "silver", "gold"}
        assert rep.timings.get("silver.enrich", 0) > 0 and rep.timings.get("bronze.parse", 0) > 0
    # for the report (pytest -rP), not a benchmark: the same build on YARN and where the rerun ran
    for where, rep in (("yarn", built.first), (spark_master(), built.second)):
        print(f"build on {where}: {rep.seconds:.1f} s;", ", ".join(f"{k} {v:.1f}" for k, v in rep.stages.items()))


# The transforms' columns, compared as text (Trino's client and Python print a value alike once
# rounded); the ingest metadata columns are the build's own bookkeeping, checked by the gates.
SILVER_PARITY = tuple(c for c in SILVER_SCHEMA.fieldNames()
                      if c not in ("ingest_date", "ingest_hour", "source_file", "kafka_partition", "kafka_offset"))


def text_of(v) -> str:
    if isinstance(v, float):
        return f"{v:.9f}"
    if isinstance(v, datetime):  # Trino gives silver's timestamps naive, in UTC
        return (v.astimezone(timezone.utc).replace(tzinfo=None) if v.tzinfo else v).isoformat(sep=" ")
    if isinstance(v, dict):  # a struct: Trino gives its fields as a tuple, in the same order
        return text_of(list(v.values()))
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(text_of(x) for x in v) + "]"
    return str(v)


def test_the_built_silver_is_the_reference_rules_on_every_landed_line(built, lake):
    """The cluster's columnar build against the one-record functions run here: parse.to_bronze, then
    silver.enrich (the reference the columnar code is unit-tested against), for every tweet landed once."""
    from spark.transforms import parse, silver

    p = pii.Pii(KEY)
    meta = {"ingest_date": DAY, "ingest_hour": "08", "source_file": "x", "kafka_partition": 0, "kafka_offset": 0}
    want, seen = {}, {}
    for line in built.lines:
        row, _ = parse.to_bronze(line, meta, p)
        if row is not None:
            seen[row["tweet_id"]] = seen.get(row["tweet_id"], 0) + 1
            want[row["tweet_id"]] = silver.enrich(row)
    once = {t for t, n in seen.items() if n == 1}
    cols = ", ".join(SILVER_PARITY)
    got = {r[0]: dict(zip(SILVER_PARITY, r))
           for r in clients.trino(lake, f"SELECT {cols} FROM hive.{built.dbs.silver}.tweets")}
    assert once and once <= set(got), "every tweet landed once is in silver"
    diffs = [(t, c, text_of(want[t][c]), text_of(got[t][c])) for t in sorted(once) for c in SILVER_PARITY
             if text_of(want[t][c]) != text_of(got[t][c])]
    assert not diffs, diffs[:10]


def normalised(text: str, fold_latin: bool) -> str:
    """NFKC and casefold, as #27 states the contract, written here independently of spark/enrich/textnorm;
    with fold_latin, the combining marks that sit on a Latin letter go too (the hashtag key allows it)."""
    t = unicodedata.normalize("NFKC", text).casefold()
    if fold_latin:
        out, base_latin = [], False
        for ch in unicodedata.normalize("NFD", t):
            if unicodedata.combining(ch) or unicodedata.category(ch) == "Mn":
                if base_latin:
                    continue
            else:
                base_latin = unicodedata.name(ch, "").startswith("LATIN ")
            out.append(ch)
        t = "".join(out)
    return unicodedata.normalize("NFC", t)


def test_every_silver_hashtag_is_written_in_its_tweet(built, lake):
    """#27's goal: each hashtag in silver.tweet_hashtags is its source spelling normalised, so it stands
    after a '#' in its own tweet's text once that text is normalised the same way; a stripped Thai vowel,
    Japanese voicing mark or Devanagari sign would not."""
    rows = clients.trino(lake, f"SELECT h.hashtag, t.text FROM hive.{built.dbs.silver}.tweet_hashtags h "
                               f"JOIN hive.{built.dbs.silver}.tweets t ON h.tweet_id = t.tweet_id")
    assert len(rows) > 100
    non_ascii = [tag for tag, _ in rows if not tag.isascii()]
    assert non_ascii, "the shared data has non-ASCII hashtags"
    missing = [(tag, text[:80]) for tag, text in rows if f"#{tag}" not in normalised(text, fold_latin=True)]
    assert not missing, f"{len(missing)} of {len(rows)} hashtags are not in their text: {missing[:5]}"


def test_every_top_word_is_in_a_tweet_of_its_day_and_language(built, lake):
    """#27's goal: no word in gold.mart_top_words that appears in no source text once normalised."""
    s, g = built.dbs.silver, built.dbs.gold
    texts: dict[tuple, list[str]] = {}
    for day, lang, text in clients.trino(lake, f"SELECT created_date, coalesce(lang, 'und'), text FROM hive.{s}.tweets"):
        texts.setdefault((str(day), lang), []).append(normalised(text, fold_latin=False))
    words = clients.trino(lake, f"SELECT created_date, lang, word FROM hive.{g}.mart_top_words")
    assert len(words) > 50 and any(not w.isascii() for _, _, w in words)
    absent = [(str(d), lang, w) for d, lang, w in words if not any(w in t for t in texts.get((str(d), lang), []))]
    assert not absent, f"{len(absent)} of {len(words)} top words are in no text of their day and language: {absent[:5]}"


# Last in the file: it builds one more ingest date on top, which the tests above do not expect.
def test_a_later_build_reversions_only_the_authors_it_touches(built, lake):
    """dim_authors is incremental: a build re-versions the authors with a tweet in its dates, from all
    their tweets, and keeps every other author's rows as they were."""
    g, s = built.dbs.gold, built.dbs.silver
    cols = "author_sk, author_key, version, location, verified, valid_from, valid_to, is_current"
    before = set(clients.trino(lake, f"SELECT {cols} FROM hive.{g}.dim_authors"))
    [(scd_key,)] = clients.trino(lake, f"SELECT DISTINCT author_key FROM hive.{s}.tweets "
                                       f"WHERE author_location = 'Madrid (scd test)'")
    later = Landed()
    newcomer = "990000000000000088"
    later.add(built.root, "2026-02-02", "10", 0, 0,
              [scd_tweet(5, "2023-12-31T21:00:00.000Z", "Braga (scd test)", True),
               scd_tweet(6, "2023-12-30T09:00:00.000Z", "Évora (scd test)", False, author=newcomer)])
    later.write(lake, built.dbs.raw, built.root)
    rep = build.run(lake, dates=["2026-02-02"], dbs=built.dbs, master=spark_master())
    assert all(g_.passed for g_ in rep.gates), [g_.line() for g_ in rep.gates if not g_.passed]
    after = set(clients.trino(lake, f"SELECT {cols} FROM hive.{g}.dim_authors"))
    [(new_key,)] = clients.trino(lake, f"SELECT DISTINCT author_key FROM hive.{s}.tweets "
                                       f"WHERE author_location = 'Évora (scd test)'")
    untouched = lambda rows: {r for r in rows if r[1] not in (scd_key, new_key)}  # noqa: E731
    assert untouched(after) == untouched(before) and len(untouched(before)) > 10
    scd = sorted((r for r in after if r[1] == scd_key), key=lambda r: r[2])
    assert [(r[2], r[3], r[7]) for r in scd] == [(1, "Lisboa (scd test)", False), (2, "Madrid (scd test)", False),
                                                 (3, "Faro (scd test)", False), (4, "Braga (scd test)", True)]
    assert all(a[6] == b[5] for a, b in zip(scd, scd[1:]))  # each version ends where the next starts
    assert [(r[2], r[3], r[7]) for r in after if r[1] == new_key] == [(1, "Évora (scd test)", True)]
    # every fact row still finds its author version
    [(orphans,)] = clients.trino(lake, f"SELECT count(*) FROM hive.{g}.fact_tweets f LEFT JOIN hive.{g}.dim_authors a "
                                       f"ON f.author_sk = a.author_sk WHERE a.author_sk IS NULL")
    assert orphans == 0
