"""Edited tweets (issue #22, edits): bronze's edit-chain columns from real v2 edit chains
(shared data: twarc's edited_before/edited/edited_after/quoted_edit) and the rules by which silver keeps
one row per chain (spark/transforms/edits.py), on tiny hand-made chains."""
from __future__ import annotations

import json

import pytest

from ingestion.records import Record
from ingestion.sources.replay import replay
from spark.transforms import columnar, edits, parse, pii

KEY = "unit-test-key-edits-0123456789ab"
META = {"ingest_date": "2026-01-10", "ingest_hour": "08", "source_file": "tweets.raw+0+0+9.jsonl",
        "kafka_partition": 0, "kafka_offset": 0}
ORIGINAL, EDIT = 1576994746135764992, 1576994789110992896  # the chain in edited_before / edited(_after)
CHAIN_FILES = ("edited_before.jsonl", "edited.jsonl", "edited_after.jsonl", "quoted_edit.jsonl")


@pytest.fixture(scope="module")
def payloads(shared_data) -> dict[str, bytes]:
    """file name -> the one record ingestion lands from it."""
    d = shared_data / "tweets" / "v2-twarc" / "test-data"
    out = {}
    for name in CHAIN_FILES:
        (rec,) = [r for r in replay([d / name]) if isinstance(r, Record)]
        out[name] = rec.payload
    return out


def row(payload) -> dict:
    r, rej = parse.to_bronze(payload, META, pii.Pii(KEY))
    assert rej is None, rej
    return r


def edit_columns(r: dict) -> tuple:
    return r["tweet_id"], r["edit_root_id"], r["edit_version"], r["edit_versions"]


# ---- bronze: every version is a row of its own, with its chain --------------------------------------
def test_every_version_of_a_real_edit_chain_names_the_original_as_its_root(payloads):
    assert edit_columns(row(payloads["edited_before.jsonl"])) == (ORIGINAL, ORIGINAL, 0, 2)
    assert edit_columns(row(payloads["edited.jsonl"])) == (EDIT, ORIGINAL, 1, 2)
    assert edit_columns(row(payloads["edited_after.jsonl"])) == (EDIT, ORIGINAL, 1, 2)
    # a tweet quoting an edited one is itself a chain of one
    quote = row(payloads["quoted_edit.jsonl"])
    assert edit_columns(quote) == (quote["tweet_id"], quote["tweet_id"], 0, 1) and quote["quoted_tweet_id"]
    assert row(payloads["edited.jsonl"])["text"] != row(payloads["edited_before.jsonl"])["text"]


def test_v1_and_v2_without_history_are_chains_of_one(shared_data):
    for item in replay([shared_data / "tweets" / "v1-streaming" / "original_format_examples.json"]):
        if isinstance(item, Record):
            r, rej = parse.to_bronze(item.payload, META, pii.Pii(KEY))
            if r:
                assert edit_columns(r) == (r["tweet_id"], r["tweet_id"], 0, 1)
                break
    else:
        pytest.fail("no v1.1 tweet parsed")
    v2 = {"id": "20", "author_id": "7", "created_at": "2026-01-10T08:00:00.000Z", "text": "hi"}
    assert edit_columns(row(json.dumps(v2))) == (20, 20, 0, 1)
    v2["edit_history_tweet_ids"] = ["20"]
    assert edit_columns(row(json.dumps(v2))) == (20, 20, 0, 1)


def test_a_history_that_is_not_a_list_of_string_ids_is_a_reject():
    v2 = {"id": "20", "author_id": "7", "created_at": "2026-01-10T08:00:00.000Z", "text": "hi",
          "edit_history_tweet_ids": ["10", 20]}
    r, rej = parse.to_bronze(json.dumps(v2), META, pii.Pii(KEY))
    assert r is None and rej.reason == parse.BAD_ID_TYPE and rej.detail.startswith("edit_history_tweet_ids[1]")
    v2["edit_history_tweet_ids"] = "10"
    r, rej = parse.to_bronze(json.dumps(v2), META, pii.Pii(KEY))
    assert r is None and rej.reason == parse.BAD_TYPE


def test_the_columnar_engine_gives_the_same_edit_columns(payloads):
    lines = [payloads[n] for n in CHAIN_FILES]
    table, rejected = columnar.bronze_batch(lines, [dict(META, kafka_offset=i) for i in range(len(lines))],
                                            pii.Pii(KEY))
    assert rejected.num_rows == 0
    got = list(zip(*(table.column(c).to_pylist() for c in ("tweet_id", "edit_root_id", "edit_version",
                                                             "edit_versions"))))
    assert got == [edit_columns(row(x)) for x in lines]


# ---- silver: one row per chain, the newest id, its edit count -----------------------------------------
def members(*rows) -> list[edits.Member]:
    return [edits.Member(*r) for r in rows]


def test_the_highest_id_wins_and_the_history_counts_the_edits():
    ms = members((100, 100, 2, "2026-01-10"), (105, 100, 2, "2026-01-10"))
    found = edits.chains(ms)
    assert found == {100: edits.Chain(105, 1, frozenset({"2026-01-10"}))}
    assert edits.superseded(found, ms) == {100}


def test_a_version_fetched_before_the_edit_is_still_superseded():
    # the original as first fetched lists only itself; the edit lists both
    ms = members((100, 100, 1, "2026-01-10"), (105, 100, 2, "2026-01-10"))
    found = edits.chains(ms)
    assert found[100].latest_id == 105 and found[100].edit_count == 1
    assert edits.superseded(found, ms) == {100}


def test_the_edit_count_follows_the_history_even_for_versions_the_lake_never_received():
    # only the original, but its history (fetched later) lists three versions: it is the latest held
    ms = members((100, 100, 3, "2026-01-10"))
    found = edits.chains(ms)
    assert found[100] == edits.Chain(100, 2, frozenset({"2026-01-10"}))
    assert edits.superseded(found, ms) == set()
    # more versions held than any history listed: the versions held count
    ms = members((100, 100, 1, "d"), (101, 100, 2, "d"), (102, 100, 2, "d"))
    assert edits.chains(ms)[100].edit_count == 2


def test_a_chain_across_created_dates_rebuilds_all_its_dates():
    ms = members((100, 100, 1, "2026-01-10"), (105, 100, 2, "2026-01-11"),
                 (200, 200, 2, "2026-01-12"), (201, 200, 2, "2026-01-12"))
    found = edits.chains(ms)
    assert edits.superseded(found, ms) == {100, 200}
    # a build of the 11th (the newer version arrived) also rebuilds the 10th (drop the older one)
    assert edits.dates_to_rebuild(found, ["2026-01-11"]) == ["2026-01-10", "2026-01-11"]
    assert edits.dates_to_rebuild(found, ["2026-01-10"]) == ["2026-01-10", "2026-01-11"]
    # chains with no version in the dates asked did not change: their dates are not added
    assert edits.dates_to_rebuild(found, ["2026-01-09"]) == ["2026-01-09"]


# ---- speed: each version streamed alone carries its own chain key and count ----------------------------
def test_a_version_alone_carries_its_chain_and_the_edits_its_history_lists(payloads):
    assert edits.of_version(ORIGINAL, ORIGINAL, 2) == (ORIGINAL, 1)  # edited_before: fetched after the edit
    assert edits.of_version(EDIT, ORIGINAL, 2) == (ORIGINAL, 1)
    assert edits.of_version(100, 100, 1) == (100, 0)
    assert edits.of_version(100, None, None) == (100, 0)  # a row from before the edit columns: a chain of one
    assert edits.of_version(102, 100, 3) == (100, 2)


def test_the_speed_rows_edit_columns_are_of_version_over_whole_columns(payloads):
    """columnar.with_edit_columns (what the speed layer runs) is edits.of_version per row, on the real chain,
    its quote, and a bronze row from before the edit columns (NULLs)."""
    import pyarrow as pa

    lines = [payloads[n] for n in CHAIN_FILES]
    bronze, _ = columnar.bronze_batch(lines, [dict(META, kafka_offset=i) for i in range(len(lines))], pii.Pii(KEY))
    for c in ("edit_root_id", "edit_versions"):  # the last row (the quote) as an older bronze table holds it
        i = bronze.column_names.index(c)
        bronze = bronze.set_column(i, bronze.field(i), pa.array(bronze.column(c).to_pylist()[:-1] + [None],
                                                                bronze.field(i).type))
    out = columnar.with_edit_columns(columnar.silver_batch(bronze), bronze)
    assert out.column_names[-2:] == ["edit_root_id", "edit_count"]
    assert out.schema.field("edit_root_id") == columnar.arrow_schema("SILVER_TABLE_SCHEMA").field("edit_root_id")
    ids = bronze.column("tweet_id").to_pylist()
    want = [edits.of_version(*r) for r in zip(ids, bronze.column("edit_root_id").to_pylist(),
                                              bronze.column("edit_versions").to_pylist())]
    assert list(zip(out.column("edit_root_id").to_pylist(), out.column("edit_count").to_pylist())) == want
    assert want == [(ORIGINAL, 1), (ORIGINAL, 1), (ORIGINAL, 1), (ids[3], 0)]


def test_the_speed_layer_streams_every_version_with_its_chain(payloads):
    """stream_speed.convert_batch (Arrow, what the stream runs) and convert_partition (per row): each version of
    the real chain is a row of its own, keyed by the original's id, as serving.tweets needs to keep the newest."""
    from collections import namedtuple

    from spark.jobs import stream_speed

    Rec = namedtuple("Rec", "topic partition offset value ts_ms")
    recs = [Rec("t", 0, i, payloads[n], 1_767_225_600_000) for i, n in enumerate(CHAIN_FILES[:3])]
    rows, rejects = stream_speed.convert_batch(pii.Pii(KEY))([tuple(r) for r in recs])
    assert rejects == []
    got = [(r["tweet_id"], r["edit_root_id"], r["edit_count"]) for r in rows.to_pylist()]
    assert got == [(ORIGINAL, ORIGINAL, 1), (EDIT, ORIGINAL, 1), (EDIT, ORIGINAL, 1)]
    per_row = [dict(zip(stream_speed.SPEED_SCHEMA.fieldNames(), row)) for row, _ in
               stream_speed.convert_partition(pii.Pii(KEY))(recs)]
    assert [(r["tweet_id"], r["edit_root_id"], r["edit_count"]) for r in per_row] == got
