"""Replay rules on small hand-made inputs: every bad unit is rejected with its reason, nothing raises."""
from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import pytest

from ingestion import records
from ingestion.records import RAW_CAP, Record, Rejected
from ingestion.sources.replay import ReplayStats, SourceError, items_from_json, replay

V2_TWEET = {"id": "1500000000000000001", "text": "olá #Santander", "author_id": "42", "lang": "pt"}
V1_TWEET = {"id": 1500000000000000002, "id_str": "1500000000000000002", "text": "hola",
            "user": {"id": 7, "id_str": "7", "screen_name": "ana"}, "created_at": "Wed Oct 10 20:19:24 +0000 2018"}


def line(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def run(path, **kwargs) -> tuple[list, ReplayStats]:
    stats = ReplayStats()
    items = list(replay(path, stats=stats, **kwargs))
    assert stats.reconciles and stats.read == len(items)
    return items, stats


def reasons(items) -> list:
    return [i.reason if isinstance(i, Rejected) else "ok" for i in items]


def write_lines(path: Path, *lines: bytes) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_v1_and_v2_lines_become_records_with_original_bytes(tmp_path):
    path = write_lines(tmp_path / "t.jsonl", line(V2_TWEET), line(V1_TWEET))
    (v2, v1), stats = run(path)
    assert (v2.key, v2.format, v2.payload, v2.origin) == (V2_TWEET["id"], "v2", line(V2_TWEET), f"{path}:1")
    assert (v1.key, v1.format, v1.payload, v1.origin) == (V1_TWEET["id_str"], "v1", line(V1_TWEET), f"{path}:2")
    assert (stats.read, stats.produced, stats.rejected) == (2, 2, 0)


def test_invalid_utf8_is_rejected_and_the_rest_still_read(tmp_path):
    bad = b'{"id":"1","text":"caf\xe9","author_id":"2"}'
    path = write_lines(tmp_path / "t.jsonl", bad, line(V2_TWEET))
    items, _ = run(path)
    assert reasons(items) == ["invalid_utf8", "ok"]
    assert items[0].raw == bad and items[0].origin == f"{path}:1"


def test_truncated_and_nonstandard_json_are_invalid_json(tmp_path):
    path = write_lines(tmp_path / "t.jsonl", line(V2_TWEET)[:30], b'{"id":NaN}', b"[" * 100_000, b"{} {}")
    items, _ = run(path)
    assert reasons(items) == ["invalid_json"] * 4
    assert all("\n" not in i.message for i in items)


@pytest.mark.parametrize("layout", ["jsonl", "jsonl.gz", "json-array"])
def test_five_megabyte_line_is_too_large_without_loading_it(tmp_path, layout):
    huge = b'{"id":"3","author_id":"4","text":"' + b"x" * (5 * 1024 * 1024) + b'"}'
    content = huge + b"\n" + line(V2_TWEET) + b"\n"
    if layout == "json-array":
        content = b"[" + huge + b"," + line(V2_TWEET) + b"]"
    path = tmp_path / f"t.{layout}"
    path.write_bytes(gzip.compress(content) if layout.endswith(".gz") else content)
    del content
    tracemalloc.start()
    try:
        items, _ = run(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert reasons(items) == ["too_large", "ok"]
    assert items[0].raw_size == len(huge) and items[0].raw == huge[:RAW_CAP] and items[0].truncated
    assert peak < 3 * 1024 * 1024, f"peak {peak} bytes: the 5 MB line was buffered"


def test_line_cap_is_configurable(tmp_path):
    path = write_lines(tmp_path / "t.jsonl", line(V2_TWEET))
    assert reasons(run(path, max_line_bytes=20)[0]) == ["too_large"]
    assert reasons(run(path, max_line_bytes=len(line(V2_TWEET)))[0]) == ["ok"]


@pytest.mark.parametrize("tweet, reason", [
    ({**V2_TWEET, "id": 1500000000000000001}, "bad_id_type"),  # v2 ids are strings
    ({**V2_TWEET, "id": "12ab"}, "bad_id"),
    ({**V2_TWEET, "id": "0123"}, "bad_id"),  # a key must be the canonical decimal form
    ({**V2_TWEET, "id": "99999999999999999999"}, "bad_id"),  # beyond bigint
    ({k: v for k, v in V2_TWEET.items() if k != "id"}, "missing_id"),
    ({k: v for k, v in V2_TWEET.items() if k != "author_id"}, "missing_user"),
    ({k: v for k, v in V1_TWEET.items() if k != "id_str"}, "bad_id_type"),  # numeric id only: not trusted
    ({**V1_TWEET, "id_str": 1500000000000000002}, "bad_id_type"),
    ({k: v for k, v in V1_TWEET.items() if k != "user"}, "missing_user"),
    ({**V1_TWEET, "user": {"screen_name": "no id"}}, "missing_user"),
    ({"delete": {"status": {"id_str": "1"}}}, "not_a_tweet"),
    ({"id": "1", "action": "delete", "reason": "protected"}, "not_a_tweet"),
    ({"actor": {}, "verb": "post", "body": "hi", "id": "tag:search.twitter.com,2005:1"}, "unsupported_format"),
    ([V2_TWEET, "not a tweet"], "not_a_tweet"),  # an array line is a timeline page: its one bad entry
    ("just a string", "not_a_tweet"),
    ({"data": [], "meta": {"result_count": 0}}, "not_a_tweet"),
    ({"data": {"id": "9", "username": "someone"}}, "not_a_tweet"),
])
def test_rejection_reasons(tmp_path, tweet, reason):
    path = write_lines(tmp_path / "t.jsonl", line({"x": 1}), line(tweet))
    items, _ = run(path)
    if isinstance(tweet, list):
        assert reasons(items) == ["not_a_tweet", "ok", reason] and items[2].raw == b'"not a tweet"'
        return
    assert reasons(items) == ["not_a_tweet", reason]
    assert items[1].raw == line(tweet) and items[1].message and reason in records.REASONS


def test_v1_with_id_str_and_a_rounded_number_is_keyed_by_id_str(tmp_path):
    path = write_lines(tmp_path / "t.jsonl", line({**V1_TWEET, "id": 1500000000000000000}))
    (record,), _ = run(path)
    assert record.key == "1500000000000000002"


def test_v2_page_counts_each_tweet_and_rejects_bad_entries_alone(tmp_path):
    page = {"data": [V2_TWEET, {**V2_TWEET, "id": 5}, {"no": "text"}, {**V2_TWEET, "id": "1500000000000000009"}],
            "includes": {"users": [{"id": "42", "username": "ana"}, {"id": "43", "username": "unused"}]},
            "meta": {"result_count": 4}}
    path = write_lines(tmp_path / "p.jsonl", line(page))
    items, stats = run(path)
    assert reasons(items) == ["ok", "bad_id_type", "not_a_tweet", "ok"]
    assert [i.origin for i in items] == [f"{path}:1:data[{n}]" for n in range(4)]
    assert json.loads(items[0].payload) == {"data": V2_TWEET, "includes": {"users": [{"id": "42", "username": "ana"}]}}
    assert json.loads(items[1].raw) == {**V2_TWEET, "id": 5}
    assert (stats.read, stats.produced, stats.rejected) == (4, 2, 2)


def test_gzip_and_json_array_inputs(tmp_path):
    tweets = [V2_TWEET, V1_TWEET, {**V2_TWEET, "id": 7}]
    array = b"[\n  " + b",\n  ".join(line(t) for t in tweets) + b"\n]\n"
    jsonl = b"".join(line(t) + b"\n" for t in tweets)
    files = {"a.json": array, "a.json.gz": gzip.compress(array), "l.jsonl.gz": gzip.compress(jsonl)}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
        items, _ = run(tmp_path / name)
        assert reasons(items) == ["ok", "ok", "bad_id_type"], name
        assert [i.payload for i in items[:2]] == [line(t) for t in tweets[:2]]
    items, _ = run(tmp_path / "a.json")
    assert [i.origin for i in items] == [f"{tmp_path / 'a.json'}:[{n}]" for n in range(3)]


def test_corrupt_gzip_keeps_what_came_before(tmp_path):
    content = gzip.compress(b"".join(line({**V2_TWEET, "id": str(10**18 + n)}) + b"\n" for n in range(3000)))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(content[: len(content) // 2])
    items, stats = run(path)
    assert reasons(items)[-1] == "corrupt_file" and set(reasons(items)[:-1]) == {"ok"}
    assert stats.produced > 0


def test_empty_file_is_zero_records(tmp_path):
    (tmp_path / "empty.json").write_bytes(b"")
    items, stats = run(tmp_path / "empty.json")
    assert items == [] and (stats.files, stats.read) == (1, 0)


def test_missing_source_raises_one_line_before_anything_is_read(tmp_path):
    write_lines(tmp_path / "ok.jsonl", line(V2_TWEET))
    with pytest.raises(SourceError) as err:
        replay([tmp_path / "ok.jsonl", tmp_path / "nope.jsonl"])  # raises at call, not at first next()
    assert str(err.value) == f"replay source not found: {tmp_path / 'nope.jsonl'} (check FILES=...)"


def test_directories_are_walked_recursively_in_order_skipping_non_data(tmp_path):
    (tmp_path / "b" / "deeper").mkdir(parents=True)
    write_lines(tmp_path / "b" / "deeper" / "z.jsonl", line({**V2_TWEET, "id": "3"}))
    (tmp_path / "b" / "y.json.gz").write_bytes(gzip.compress(line({**V2_TWEET, "id": "2"})))
    write_lines(tmp_path / "a.ndjson", line({**V2_TWEET, "id": "1"}))
    (tmp_path / "LICENSE").write_text("MIT\n")
    (tmp_path / ".hidden.jsonl").write_text("garbage\n")
    items, stats = run(tmp_path)
    assert [i.key for i in items] == ["1", "3", "2"]  # a.ndjson, b/deeper/z.jsonl, b/y.json.gz
    assert stats.files == 3


def test_rejected_raw_is_capped(tmp_path):
    big_bad = b'{"id": 1, "text": "' + b"y" * (200 * 1024) + b'"}'
    path = write_lines(tmp_path / "t.jsonl", big_bad)
    (item,), _ = run(path)
    assert item.reason == "bad_id_type" and len(item.raw) == RAW_CAP and item.raw_size == len(big_bad)


def test_api_pages_use_the_same_rules():
    page = {"data": [V2_TWEET], "includes": {"users": [{"id": "42", "username": "ana"}]}}
    (item,) = items_from_json(line(page), "api:page=3")
    assert (item.origin, item.key) == ("api:page=3:data[0]", V2_TWEET["id"])
    (bad,) = items_from_json(b'{"data": [', "api:page=4")
    assert (bad.reason, bad.origin) == ("invalid_json", "api:page=4")


def test_items_are_records_or_rejected_only(tmp_path):
    path = write_lines(tmp_path / "t.jsonl", line(V2_TWEET), b"{", b"\xff")
    assert [type(i) for i in run(path)[0]] == [Record, Rejected, Rejected]


def test_every_reason_is_documented():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "ingestion.md").read_text()
    assert all(f"`{reason}`" in doc for reason in records.REASONS)
