"""Synthetic firehose: reproducible bytes, realistic shares, valid v1/v2 shapes, accepted by replay."""
from __future__ import annotations

import hashlib
import json
import re
import statistics
from collections import Counter
from datetime import datetime, timedelta, timezone
from itertools import islice

import pytest

from ingestion.sources import snowflake, synthetic
from ingestion.sources import synthetic_vocab as vocab
from ingestion.records import Record
from ingestion.sources.replay import ReplayStats, replay
from ingestion.sources.synthetic import DEFAULT_ANCHOR, generate, generate_with_truth

N = 20_000
DAYS = 14
SEED = 11
_compact = json.JSONEncoder(separators=(",", ":")).encode
_WORD = re.compile(r"\w+")


def digest(records) -> str:
    h = hashlib.sha256()
    for r in records:
        h.update(r.key.encode() + b"\0" + r.payload + b"\n")
    return h.hexdigest()


@pytest.fixture(scope="module")
def sample() -> list[tuple[Record, synthetic.Truth, dict]]:
    return [(r, t, json.loads(r.payload)) for r, t in generate_with_truth(N, seed=SEED, days=DAYS)]


@pytest.fixture(scope="module")
def tweets(sample) -> list[dict]:
    return [obj for _, _, obj in sample]


def share(values, wanted) -> float:
    return sum(1 for v in values if v == wanted) / len(values)


def kind_of(tweet: dict) -> str:
    return (tweet.get("referenced_tweets") or [{"type": "original"}])[0]["type"]


@pytest.mark.parametrize("fmt", ["v2", "v1"])
def test_same_seed_same_bytes_different_seed_different(fmt):
    one = digest(generate(3000, seed=5, days=3, fmt=fmt))
    assert one == digest(generate(3000, seed=5, days=3, fmt=fmt))
    assert one != digest(generate(3000, seed=6, days=3, fmt=fmt))


def test_generate_and_generate_with_truth_emit_the_same_records():
    assert [r for r, _ in generate_with_truth(500, seed=3)] == list(generate(500, seed=3))


def test_payloads_are_compact_canonical_json(sample):
    for record, _, obj in sample[:3000]:
        assert _compact(obj).encode() == record.payload
    v1 = list(generate(1500, seed=4, fmt="v1"))
    assert all(_compact(json.loads(r.payload)).encode() == r.payload for r in v1)


def test_language_shares(tweets):
    langs = [t["lang"] for t in tweets]
    for lang, expected in vocab.LANGUAGE_SHARES.items():
        assert share(langs, lang) == pytest.approx(expected, abs=0.02), lang
    assert share(langs, "pt") > share(langs, "es") > share(langs, "en")


def test_retweet_reply_quote_ratios(tweets):
    kinds = [kind_of(t) for t in tweets]
    assert share(kinds, "retweeted") == pytest.approx(0.25, abs=0.02)
    assert share(kinds, "replied_to") == pytest.approx(0.15, abs=0.02)
    assert share(kinds, "quoted") == pytest.approx(0.05, abs=0.01)
    for t in tweets:
        if kind_of(t) == "retweeted":
            original = t["referenced_tweets"][0]
            assert t["text"].startswith(f"RT @{original['author']['username']}: ")
            assert t["lang"] == original["lang"] and len(t["text"]) <= 140
        elif kind_of(t) == "replied_to":
            assert t["text"].startswith("@" + t["in_reply_to_user"]["username"] + " ")
            assert t["conversation_id"] == t["referenced_tweets"][0]["conversation_id"]


def test_geotagged_share_and_real_places(tweets):
    geo = [t["geo"] for t in tweets if "geo" in t]
    assert 0.02 <= len(geo) / N <= 0.04
    names = {p[0] for p in vocab.PLACES}
    for g in geo:
        assert g["name"] in names and re.fullmatch(r"[0-9a-f]{16}", g["place_id"]) and g["id"] == g["place_id"]
        west, south, east, north = g["geo"]["bbox"]
        if "coordinates" in g:
            lon, lat = g["coordinates"]["coordinates"]
            assert west <= lon <= east and south <= lat <= north
    assert any("coordinates" in g for g in geo) and {g["country_code"] for g in geo} >= {"BR", "ES", "GB"}


def test_heavy_tailed_authors_with_matching_followers(tweets):
    per_author = Counter(t["author_id"] for t in tweets)
    followers = {t["author_id"]: t["author"]["public_metrics"]["followers_count"] for t in tweets}
    ranked = [a for a, _ in per_author.most_common()]
    top = ranked[: max(1, len(ranked) // 100)]
    assert sum(per_author[a] for a in top) / N > 0.15  # top 1% of authors: a large share
    assert statistics.median(followers[a] for a in top) > 10 * statistics.median(followers.values())
    assert synthetic.user_pool_size(N) >= len(per_author)


def test_created_at_within_the_span_and_ids_time_ordered(sample):
    end = DEFAULT_ANCHOR
    start = end - timedelta(days=DAYS)
    ids = []
    for record, _, t in sample:
        created = datetime.strptime(t["created_at"], "%Y-%m-%dT%H:%M:%S.000Z").replace(tzinfo=timezone.utc)
        assert start <= created < end
        assert snowflake.timestamp_ms(int(t["id"])) // 1000 == int(created.timestamp())
        assert record.key == t["id"] and record.origin.startswith(f"synthetic:seed={SEED}:")
        ids.append(int(t["id"]))
    assert ids == sorted(ids) and len(set(ids)) == N
    assert (max(ids) - min(ids)) >> 22 > (DAYS - 1) * 86_400_000  # the whole span is used


def test_daily_rhythm_in_local_time(tweets):
    for lang in ("pt", "es"):
        local = Counter((int(t["created_at"][11:13]) + vocab.UTC_OFFSET_HOURS[lang]) % 24
                        for t in tweets if t["lang"] == lang)
        night = sum(local[h] for h in (2, 3, 4, 5)) / 4
        day = sum(local[h] for h in (10, 11, 12, 13)) / 4
        assert night < 0.3 * day, lang


def test_text_carries_the_intended_sentiment_and_the_payload_does_not(sample):
    agree = total = 0
    for record, truth, t in sample:
        assert b"sentiment" not in record.payload
        if t["lang"] in ("pt", "es", "en"):
            words = set(_WORD.findall(t["text"].lower()))
            pos = len(words & set(vocab.LEXICON[t["lang"]]["positive"]))
            neg = len(words & set(vocab.LEXICON[t["lang"]]["negative"]))
            guess = "positive" if pos > neg else "negative" if neg > pos else "neutral"
            agree += guess == truth.sentiment
            total += 1
    assert agree / total > 0.95
    assert Counter(truth.sentiment for _, truth, _ in sample).keys() == set(vocab.SENTIMENTS)


def test_lexicon_phrases_are_consistent():
    for lang, phrases in vocab.PHRASES.items():
        lexicon = {s: set(vocab.LEXICON[lang][s]) for s in ("positive", "negative")}
        for sentiment in vocab.SENTIMENTS:
            for phrase in phrases[sentiment] + phrases[sentiment + "_closers"]:
                words = set(_WORD.findall(phrase.lower()))
                for other in ("positive", "negative"):
                    assert bool(words & lexicon[other]) == (other == sentiment), (lang, phrase)
        for phrase in phrases["subjects"] + phrases["fillers"]:
            assert not set(_WORD.findall(phrase.lower())) & (lexicon["positive"] | lexicon["negative"]), phrase


def test_entities_point_into_the_text(tweets):
    seen = Counter()
    for t in tweets:
        text, entities = t["text"], t.get("entities", {})
        for h in entities.get("hashtags", []):
            assert text[h["start"]:h["end"]] == "#" + h["tag"]
            seen["hashtag"] += 1
        for m in entities.get("mentions", []):
            assert text[m["start"]:m["end"]] == "@" + m["username"] and m["id"] and "public_metrics" in m
            seen["mention"] += 1
        for u in entities.get("urls", []):
            assert text[u["start"]:u["end"]] == u["url"] and u["url"].startswith("https://t.co/")
            seen["url"] += 1
        assert len(text) <= 280
    assert min(seen.values()) > 500
    tags = Counter(h["tag"] for t in tweets for h in t.get("entities", {}).get("hashtags", []))
    assert tags.most_common(1)[0][0] == "Santander" and {"pix", "hipoteca", "fintech"} <= set(tags)


def test_pii_and_locations_for_downstream_masking_and_geo(tweets):
    texts = [t["text"] for t in tweets]
    emails = sum(bool(re.search(r"[\w.]+@\w+\.[\w.]+", x)) for x in texts) / N
    phones = sum(bool(re.search(r"(\+\d{2} |\(\d{2}\) |\b0?[67])\d", x)) for x in texts) / N
    assert 0.005 < emails < 0.05 and 0.005 < phones < 0.06
    locations = Counter(t["author"].get("location", "") for t in tweets)
    assert {"São Paulo", "Madrid", "London", "SP, Brasil"} <= set(locations)
    assert "" in {t["author"].get("location", "") for t in tweets}


def test_v2_shape_looks_like_twarc_flat(tweets):
    t = next(t for t in tweets if kind_of(t) == "original" and "geo" in t)
    assert {"id", "text", "created_at", "author_id", "conversation_id", "lang", "public_metrics",
            "edit_history_tweet_ids", "author"} <= set(t)
    assert t["author"]["id"] == t["author_id"] and t["conversation_id"] == t["id"]
    assert {"username", "name", "verified", "public_metrics"} <= set(t["author"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", t["created_at"])


def test_v1_shape_looks_like_streaming():
    records = list(generate(3000, seed=2, days=2, fmt="v1"))
    tweets = [json.loads(r.payload) for r in records]
    for r, t in zip(records, tweets):
        assert r.format == "v1" and r.key == t["id_str"] == str(t["id"])
        assert re.fullmatch(r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \+0000 \d{4}", t["created_at"])
        assert {"id_str", "screen_name", "followers_count", "location", "verified"} <= set(t["user"])
        if len(t.get("extended_tweet", {}).get("full_text", "")) > 140:
            assert t["truncated"] and len(t["text"]) == 140
        if t["text"].startswith("RT @"):
            assert t["retweeted_status"]["user"]["screen_name"] == t["entities"]["user_mentions"][0]["screen_name"]
        if t["place"]:
            assert len(t["place"]["bounding_box"]["coordinates"][0]) == 4 and t["place"]["country_code"]
    assert any("extended_tweet" in t for t in tweets) and any("quoted_status" in t for t in tweets)
    assert any(t["in_reply_to_status_id_str"] for t in tweets) and any(t["coordinates"] for t in tweets)


@pytest.mark.parametrize("fmt", ["v2", "v1"])
def test_replay_accepts_every_generated_tweet(tmp_path, fmt):
    records = list(generate(2000, seed=8, fmt=fmt))
    path = tmp_path / f"synthetic-{fmt}.jsonl"
    path.write_bytes(b"".join(r.payload + b"\n" for r in records))
    stats = ReplayStats()
    replayed = list(replay(path, stats=stats))
    assert (stats.read, stats.produced, stats.rejected) == (2000, 2000, 0)
    assert [(r.key, r.payload, r.format) for r in replayed] == [(r.key, r.payload, r.format) for r in records]


def test_anchor_and_days_are_parameters_not_the_clock():
    anchor = datetime(2020, 3, 1, tzinfo=timezone.utc)
    tweets = [json.loads(r.payload) for r in generate(200, seed=1, days=1, anchor=anchor)]
    assert {t["created_at"][:10] for t in tweets} == {"2020-02-29"}


def test_streams_lazily_with_bounded_state():
    stream = synthetic._Firehose(10_000_000, 1, 30, "v2", DEFAULT_ANCHOR)
    first = list(islice(stream.run(), 3000))
    assert len(first) == 3000
    assert all(len(ring) <= synthetic.TARGET_RING for ring in stream.rings.values())
    assert stream.user.cache_info().currsize <= synthetic.USER_CACHE
    assert all(t.target is None for t in first)  # no chain of referenced tweets kept alive
    last_ms, _ = stream._time(10_000_000 - 1)
    assert stream.start_ms <= last_ms < stream.end_ms


@pytest.mark.parametrize("kwargs", [{"fmt": "v3"}, {"days": 0}, {"count": -1}, {"seed": "x"},
                                    {"anchor": datetime(2010, 1, 1, tzinfo=timezone.utc)}])
def test_bad_parameters_fail_clearly(kwargs):
    args = {"count": 10, "seed": 1, **kwargs}
    with pytest.raises(ValueError):
        list(generate(**args))
