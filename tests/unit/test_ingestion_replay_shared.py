"""Replay every shared tweet file and reconcile with counts read independently from the files."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from ingestion.records import Record, Rejected
from ingestion.sources.replay import ReplayStats, expand_paths, replay

from tests.shared_tweets import BROKEN, KNOWN_BAD, V1, V2, independent_units  # noqa: F401

# file -> (read, produced, rejected), written out so a change in either the data or the
# rules shows up as a diff here (docs/ingestion.md quotes the same table).
EXPECTED = {
    f"{V1}/activity_streams_examples.json": (25, 0, 25),
    f"{V1}/original_format_examples.json": (25, 25, 0),
    f"{BROKEN}/activity_streams_additional_field.json": (1, 1, 0),  # despite its name: v1.1 + extra field
    f"{BROKEN}/activity_streams_missing_field.json": (1, 0, 1),
    f"{BROKEN}/original_format_additional_field.json": (1, 1, 0),
    f"{BROKEN}/original_format_missing_field.json": (1, 1, 0),
    f"{BROKEN}/original_format_missing_quotetweet_field.json": (1, 1, 0),
    f"{BROKEN}/original_format_missing_user.json": (1, 0, 1),
    f"{BROKEN}/public_api_sample.json": (20, 20, 0),
    f"{V2}/2sets.jsonl": (200, 200, 0),
    f"{V2}/brexit.jsonl": (100, 100, 0),
    f"{V2}/cashtags.jsonl": (1, 1, 0),
    f"{V2}/cotweet.jsonl": (1, 1, 0),
    f"{V2}/counts.jsonl": (1, 0, 1),
    f"{V2}/edited.jsonl": (1, 1, 0),
    f"{V2}/edited_after.jsonl": (1, 1, 0),
    f"{V2}/edited_before.jsonl": (1, 1, 0),
    f"{V2}/empty.json": (0, 0, 0),
    f"{V2}/entities_test.jsonl": (474, 474, 0),
    f"{V2}/flat.jsonl": (100, 100, 0),
    f"{V2}/geo_tweets.jsonl": (2, 2, 0),
    f"{V2}/kpop.jsonl": (100, 100, 0),
    f"{V2}/lists.jsonl": (2, 0, 2),
    f"{V2}/many_urls.jsonl": (1, 1, 0),
    f"{V2}/media_policy_violation_off.jsonl": (100, 100, 0),
    f"{V2}/media_policy_violation_on.jsonl": (100, 100, 0),
    f"{V2}/media_tweet.jsonl": (1, 1, 0),
    f"{V2}/mentions_tweet.jsonl": (1, 1, 0),
    f"{V2}/noflat.jsonl": (100, 100, 0),
    f"{V2}/quoted_edit.jsonl": (1, 1, 0),
    f"{V2}/streaming_output_with_error.jsonl": (8, 7, 1),
    f"{V2}/tweets_compliance.jsonl": (2, 0, 2),
    f"{V2}/two_tweets.jsonl": (1, 1, 0),
    f"{V2}/users.jsonl": (1, 0, 1),
    f"{V2}/users_compliance.jsonl": (2, 0, 2),
    f"{V2}/verified_type.jsonl": (1, 1, 0),
    f"{V2}/withheld.jsonl": (215, 215, 0),
}


def line_of(origin: str) -> int:
    return int(origin.split(":")[1])


@pytest.fixture(scope="module")
def replayed(shared_data: Path) -> dict[str, tuple[ReplayStats, list]]:
    out = {}
    for path in expand_paths(shared_data / "tweets"):
        stats = ReplayStats()
        out[Path(path).relative_to(shared_data).as_posix()] = (stats, list(replay(path, stats=stats)))
    return out


def test_every_shared_file_is_covered(replayed):
    assert sorted(replayed) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_per_file(name, replayed, shared_data):
    stats, items = replayed[name]
    units = independent_units(shared_data / name)
    bad = {line: reason for (file, line), reason in KNOWN_BAD.items() if file == name}
    read = sum(units.values())
    assert (stats.read, stats.produced, stats.rejected) == EXPECTED[name]
    assert stats.read == read == len(items)
    assert stats.produced == read - sum(units[line] for line in bad)
    assert stats.reconciles
    assert {line_of(i.origin): i.reason for i in items if isinstance(i, Rejected)} == bad


def test_directory_replay_totals(shared_data):
    stats = ReplayStats()
    items = list(replay(shared_data / "tweets", stats=stats))
    assert stats.files == len(EXPECTED)  # LICENSE files are not replayed
    assert (stats.read, stats.produced, stats.rejected) == tuple(map(sum, zip(*EXPECTED.values())))
    assert (stats.read, stats.produced, stats.rejected) == (1594, 1558, 36)
    assert stats.by_reason == Counter({"unsupported_format": 26, "not_a_tweet": 8,
                                       "invalid_json": 1, "missing_user": 1})
    assert len(items) == stats.read


def test_one_tweet_per_line_payloads_are_the_original_bytes(shared_data, replayed):
    for name in (f"{V1}/original_format_examples.json", f"{V2}/flat.jsonl",
                 f"{V2}/streaming_output_with_error.jsonl"):
        lines = (shared_data / name).read_bytes().split(b"\n")
        for item in replayed[name][1]:
            if isinstance(item, Record):
                assert item.payload == lines[line_of(item.origin) - 1]
                obj = json.loads(item.payload)
                tweet = obj.get("data", obj)  # a filtered-stream message wraps its tweet in "data"
                assert item.key == tweet.get("id_str", tweet["id"])


def test_v1_key_is_id_str_not_the_rounded_number(replayed):
    (record,) = replayed[f"{BROKEN}/original_format_missing_field.json"][1]
    assert record.key == "867468138991964160"
    assert json.loads(record.payload)["id"] == 867468138991964200  # as broken in the file
    assert record.format == "v1"


def test_page_tweets_carry_only_their_includes(shared_data, replayed):
    name = f"{V2}/2sets.jsonl"
    page = json.loads((shared_data / name).read_bytes().split(b"\n")[0])
    records = [i for i in replayed[name][1] if i.origin.startswith(f"{shared_data / name}:1:")]
    assert len(records) == len(page["data"])
    include_ids = {kind: {e.get("media_key") or e["id"] for e in entries}
                   for kind, entries in page["includes"].items()}
    for i, record in enumerate(records):
        message = json.loads(record.payload)
        assert record.origin.endswith(f":1:data[{i}]")
        assert record.format == "v2" and record.key == page["data"][i]["id"]
        assert message["data"] == page["data"][i]
        assert message["__twarc"] == page["__twarc"]
        assert set(message) <= {"data", "includes", "errors", "__twarc"}
        authors = [u for u in message["includes"]["users"] if u["id"] == message["data"]["author_id"]]
        assert len(authors) == 1
        for kind, entries in message["includes"].items():
            assert {e.get("media_key") or e["id"] for e in entries} <= include_ids[kind]
        for ref in message["data"].get("referenced_tweets", []):
            if ref["id"] in include_ids.get("tweets", ()):
                assert ref["id"] in {t["id"] for t in message["includes"]["tweets"]}
    errors = [json.loads(r.payload).get("errors") for r in records]
    assert [e for e in errors if e] == [page["errors"]]  # the suspended mention, on its one tweet


def test_geo_page_keeps_place(replayed):
    """Line 1 has exact coordinates but no place; line 2 a place_id whose place must travel along."""
    first, second = (json.loads(r.payload) for r in replayed[f"{V2}/geo_tweets.jsonl"][1])
    assert "places" not in first["includes"] and "coordinates" in first["data"]["geo"]
    assert [p["id"] for p in second["includes"]["places"]] == [second["data"]["geo"]["place_id"]]
