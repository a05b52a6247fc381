"""typed_parse (v1_typed, v2_typed): bronze's typed paths give parse.extract's row exactly, or step
aside (None) so that extract runs; they never give another row, and they take every tweet of every
shape ingestion lands (v1.1 statuses, v2 flat tweets, v2 messages)."""
from __future__ import annotations

import copy
import itertools

import msgspec
import pytest

from ingestion.sources import synthetic
from spark.transforms import columnar, parse, typed_parse
from spark.transforms import pii as pii_mod
from spark.transforms.typed_row import ROW_FIELDS
from tests.shared_tweets import parse_corpus


@pytest.fixture(scope="module")
def corpus(shared_data) -> list[bytes]:
    return parse_corpus(shared_data)


def _extract(line):
    try:
        return parse.extract(line)
    except parse.Bad as e:
        return e.reject()


def _shape(line, answer) -> str | None:
    """The shape of a payload extract reads as a tweet (None for a reject)."""
    if isinstance(answer, parse.Reject):
        return None
    if answer["source_format"] == parse.V1:
        return "v1.1"
    return "v2 message" if "data" in msgspec.json.decode(line) else "v2 flat"


def test_every_row_they_give_is_extracts_row_and_they_take_every_tweet(corpus):
    taken, tweets = {}, {}
    for line in corpus:
        answer, row = _extract(line), typed_parse.row(line)
        shape = _shape(line, answer)
        if shape:
            assert tuple(answer) == ROW_FIELDS  # the tuples' order is extract's
            tweets[shape] = tweets.get(shape, 0) + 1
        if row is not None:
            assert row == answer, line[:300]
            taken[shape] = taken.get(shape, 0) + 1
    # every shared v1.1/v2 tweet and the synthetic month in both formats: all of them, not most
    assert taken == tweets, (taken, tweets)
    assert tweets["v1.1"] > 500 and tweets["v2 flat"] > 1500 and tweets["v2 message"] > 1400, tweets


@pytest.mark.parametrize("fmt", ["v2", "v1"])
def test_they_take_every_kind_of_tweet_the_firehose_makes(fmt):
    lines = [r.payload for r in synthetic.generate(3000, seed=3, days=30, fmt=fmt)]
    rows = [typed_parse.row(x) for x in lines]
    assert all(r is not None for r in rows)
    assert {r["tweet_type"] for r in rows} == {"original", "reply", "retweet", "quote"}
    assert any(r["place_id"] for r in rows) and any(r["mentions"] for r in rows)
    for line, r in zip(lines, rows):
        assert r == parse.extract(line)


def _v2_flat():
    return msgspec.json.decode(next(synthetic.generate(1, seed=5)).payload)


def _v1():
    return next(msgspec.json.decode(r.payload) for r in synthetic.generate(50, seed=5, fmt="v1")
                if b"retweeted_status" in r.payload)


def _v1_shared(shared_data, tweet_id="887453193294282752"):
    """A real v1.1 status with a place, a bounding box and an exact point."""
    from tests.shared_tweets import V1

    for line in (shared_data / V1 / "original_format_examples.json").read_bytes().splitlines():
        if line.strip() and msgspec.json.decode(line)["id_str"] == tweet_id:
            return msgspec.json.decode(line)
    raise KeyError(tweet_id)


def _v2_message(shared_data):
    from tests.shared_tweets import V2

    page = msgspec.json.decode((shared_data / V2 / "noflat.jsonl").read_bytes().split(b"\n")[0])
    return {"data": page["data"][0], "includes": page["includes"]}


@pytest.mark.parametrize("change", [
    {"public_metrics": "many"},                     # another JSON type: extract says which reject
    {"id": 5},                                      # a numeric id
    {"id": "0123"},                                 # not a decimal id
    {"id": "9223372036854775808"},                  # one past the largest 64-bit id
    {"created_at": "yesterday"},
    {"user": {"id_str": "1"}},                      # a v1.1 marker: read as v1.1, which it is not either
    {"includes": {"users": []}},                    # a v2 message's part
    {"geo": {"place_id": "p", "full_name": "X", "geo": {"bbox": [1, 2, 3]}}},
    {"geo": {"coordinates": {"coordinates": [1, True]}}},
    {"entities": {"mentions": [{"username": "a", "id": 7}]}},
    {"edit_history_tweet_ids": ["x"]},
    {"referenced_tweets": [{"type": "retweeted", "id": "12", "text": "t", "author_id": 3}]},
])
def test_what_they_cannot_read_as_extract_does_they_leave_to_extract(change):
    bad = msgspec.json.encode({**_v2_flat(), **change})
    assert typed_parse.values(bad) is None
    assert _extract(bad) is not None  # and extract still answers for it, row or reject, as before


@pytest.mark.parametrize("change", [
    {"retweeted_status": {}},                       # extract: an empty object is no retweet
    {"retweeted_status": {"other": 1}},             # ... and this one is: a Struct cannot tell them apart
    {"id_str": None},
    {"user": {"id": 0}},
    {"user": {"id": "12"}},
    {"coordinates": [1, 2]},
    {"place": {"bounding_box": {"coordinates": [[[1, 2], [3]]]}}},
    {"data": {"text": "x"}},
    {"actor": {}, "verb": "post"},
    {"favorite_count": True},
    {"entities": {"hashtags": ["x"]}},
])
def test_v1_statuses_they_cannot_read_go_to_extract(change):
    bad = msgspec.json.encode({**_v1(), **change})
    assert typed_parse.values(bad) is None
    assert _extract(bad) is not None


@pytest.mark.parametrize("change", [
    {"includes": []},
    {"data": []},
    {"data": None},
    {"includes": {"users": ["x"]}},
    {"actor": 1, "verb": "post"},
    {"objectType": "activity"},
])
def test_v2_messages_they_cannot_read_go_to_extract(change, shared_data):
    bad = msgspec.json.encode({**_v2_message(shared_data), **change})
    assert typed_parse.values(bad) is None
    assert _extract(bad) is not None


def _mutations(obj, depth=0):
    """Copies of a decoded payload with one key, at any depth up to 3, removed or set to another JSON type."""
    if depth > 3:
        return
    items = obj.items() if isinstance(obj, dict) else enumerate(obj[:3]) if isinstance(obj, list) else ()
    for k, v in items:
        if isinstance(obj, dict):
            without = dict(obj)
            del without[k]
            yield without
        for other in (None, "x", "", 7, 0, 1.5, True, [], {}, ["1"], [[1, 2]]):
            if other != v or type(other) is not type(v):
                changed = copy.copy(obj)
                changed[k] = other
                yield changed
        for inner in _mutations(v, depth + 1):
            changed = copy.copy(obj)
            changed[k] = inner
            yield changed


def _known_keys() -> set[str]:
    """Every key a typed path's Structs read."""
    from spark.transforms import v1_typed, v2_typed

    return {f for m in (v1_typed, v2_typed) for v in vars(m).values()
            if isinstance(v, type) and issubclass(v, msgspec.Struct) for f in v.__struct_fields__}


def _additions(obj, keys, depth=0):
    """Copies of a decoded payload with one key a typed path reads added where it was absent, to an
    object at depth 0 to 2, with a value of each JSON type."""
    if depth > 2:
        return
    if isinstance(obj, dict):
        for k in sorted(keys - obj.keys()):
            for value in ("123", "x", None, 7, {}, [], [{"id": "5", "text": "t"}]):
                yield {**obj, k: value}
    items = obj.items() if isinstance(obj, dict) else enumerate(obj[:3]) if isinstance(obj, list) else ()
    for k, v in list(items):
        for inner in _additions(v, keys, depth + 1):
            changed = copy.copy(obj)
            changed[k] = inner
            yield changed


def test_any_one_change_to_a_payload_gives_extracts_row_or_none(shared_data):
    """Every key of a v1.1 retweet and a v1.1 status with a place, a flat v2 tweet and a v2 message, at any depth, removed or given
    another JSON type, and every key the typed paths read added where absent: the typed paths give
    extract's row or step aside, never another row."""
    payloads = [_v1(), _v1_shared(shared_data), _v2_flat(), _v2_message(shared_data)]
    keys = _known_keys()
    taken = checked = 0
    for payload in payloads:
        for changed in itertools.chain(_mutations(payload), _additions(payload, keys)):
            line = msgspec.json.encode(changed)
            row = typed_parse.row(line)
            checked += 1
            if row is not None:
                taken += 1
                assert row == _extract(line), line[:300]
    assert checked > 3000 and 0 < taken < checked, (taken, checked)


def test_presence_is_kept_where_extract_asks_for_it():
    # a place registered from `geo` only when full_name or country_code is present (even null)
    base = _v2_flat()
    for geo in ({"place_id": "p1", "full_name": None, "name": "N"}, {"place_id": "p1", "name": "N"},
                {"place_id": "p1", "id": None, "country_code": "br"}, {"place_id": "p1"}, {"place_id": ""}):
        line = msgspec.json.encode({**base, "geo": geo})
        assert typed_parse.row(line) == parse.extract(line), geo


def test_bronze_batch_gives_the_same_tables_with_the_typed_paths(corpus, monkeypatch):
    pii = pii_mod.Pii(key=b"k" * 32)
    metas = [{"ingest_date": "2024-01-01", "ingest_hour": "00", "source_file": "f", "kafka_partition": 0,
              "kafka_offset": i} for i in range(len(corpus))]
    typed = columnar.bronze_batch(corpus, metas, pii)
    monkeypatch.setattr(typed_parse, "values", lambda line: None)
    without = columnar.bronze_batch(corpus, metas, pii)
    assert typed[0].num_rows > 3000 and typed[1].num_rows > 10
    assert typed[0].equals(without[0]) and typed[1].equals(without[1])
