"""payload_fields: bronze's parse decodes a payload pruned to the keys parse.extract reads. The rows and
rejects must be exactly those of the whole payload, and every key extract reads must be kept."""
from __future__ import annotations

import typing

import msgspec
import pytest

from ingestion.sources import synthetic
from spark.transforms import parse, payload_fields
from tests.shared_tweets import parse_corpus

_whole = msgspec.json.Decoder().decode


@pytest.fixture(scope="module")
def corpus(shared_data) -> list[bytes]:
    return parse_corpus(shared_data)


def outcome(obj):
    """extract's answer for an already decoded payload: its row, or its reject."""
    try:
        return parse.row_of(obj)
    except parse.Bad as e:
        return e.reject()


def test_pruned_payloads_give_the_whole_payloads_rows_and_rejects(corpus):
    pruned = 0
    for line in corpus:
        small = payload_fields.decode(line)
        if small is None:
            continue
        pruned += 1
        whole = _whole(line)
        assert outcome(small) == outcome(whole), line[:200]
    # the typed decode is the common path, not an exception: every synthetic payload takes it
    assert pruned >= 0.9 * len(corpus), (pruned, len(corpus))


def test_what_the_typed_decode_refuses_is_parsed_whole_with_its_exact_reject():
    # a string where an object belongs: the typed decode refuses, extract decodes it whole and says why
    good = msgspec.json.decode(next(synthetic.generate(1, seed=5)).payload)
    bad = msgspec.json.encode({**good, "public_metrics": "many"})
    assert payload_fields.decode(bad) is None
    with pytest.raises(parse.Bad) as e:
        parse.extract(bad)
    assert (e.value.reason, e.value.detail) == (parse.BAD_TYPE, "public_metrics is a JSON string, expected an object")
    # a v2 page (data is a list) is refused by the typed decode and rejected as before
    assert payload_fields.decode(b'{"data": [{"id": "1", "text": "a"}]}') is None
    with pytest.raises(parse.Bad) as e:
        parse.extract(b'{"data": [{"id": "1", "text": "a"}]}')
    assert e.value.reason == parse.NOT_A_TWEET


def test_scalars_are_decoded_as_the_whole_decode_does():
    # ints stay ints, floats floats, bools bools: extract's own type checks see what they always saw
    line = b'{"id": "1", "text": "t", "created_at": "2024-01-01T00:00:00Z", "author_id": "2", ' \
           b'"public_metrics": {"like_count": 5.0, "retweet_count": true}}'
    small = payload_fields.decode(line)
    assert small["public_metrics"] == {"like_count": 5.0, "retweet_count": True}
    assert type(small["public_metrics"]["like_count"]) is float
    assert outcome(small) == outcome(_whole(line))
    assert isinstance(outcome(small), parse.Reject)


class Recording(dict):
    """A decoded payload that notes every key extract looks up in it, recursively."""

    seen: set[str] = set()

    def get(self, key, default=None):
        Recording.seen.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        Recording.seen.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        Recording.seen.add(key)
        return super().__contains__(key)


def recording(v):
    if isinstance(v, dict):
        return Recording({k: recording(x) for k, x in v.items()})
    if isinstance(v, list):
        return [recording(x) for x in v]
    return v


def declared_keys() -> set[str]:
    keys = set()
    for name in dir(payload_fields):
        obj = getattr(payload_fields, name)
        if isinstance(obj, type) and typing.is_typeddict(obj):
            keys |= set(typing.get_type_hints(obj))
    return keys


def test_every_key_extract_reads_is_kept(corpus):
    Recording.seen = set()
    for line in corpus:
        try:
            whole = _whole(line)
        except msgspec.DecodeError:
            continue
        try:
            parse.row_of(recording(whole))
        except parse.Bad:
            pass
    # (a v2 place is copied into a plain dict before its fields are read, so those reads are not
    # recorded here; the equality test above covers them)
    missing = Recording.seen - declared_keys()
    assert not missing, f"extract reads keys payload_fields would prune: {sorted(missing)}"
    assert {"extended_tweet", "note_tweet", "retweeted_status", "includes", "place_id"} <= Recording.seen
