"""What bronze's typed parse paths (v1_typed, v2_typed, entry point typed_parse) share: the row's
fields in parse.extract's order, and the few steps of extract they take as they are.

Why tuples: the typed paths hand columnar.bronze_batch one tuple a tweet in ROW_FIELDS order, and the
batch becomes columns by one `zip(*rows)` in C. A dict a row, then one list comprehension a column,
cost ~6 µs a tweet of bronze's ~36 (49 keys set, then 49 look-ups a row). tests/unit/test_typed_parse.py
checks extract's keys are ROW_FIELDS, in this order, on every row of the parity corpus.
"""
from __future__ import annotations

from typing import Any

from spark.transforms import parse

ROW_FIELDS = (
    "tweet_id", "created_at", "text", "lang", "source_client", "possibly_sensitive", "tweet_type",
    "conversation_id", "reply_to_tweet_id", "retweeted_tweet_id", "quoted_tweet_id", "retweet_count",
    "reply_count", "like_count", "quote_count", "impression_count", "hashtags", "cashtags", "author_id",
    "author_username", "author_name", "author_description", "author_url", "author_profile_image_url",
    "author_created_at", "author_location", "author_verified", "author_followers_count",
    "author_following_count", "author_tweet_count", "author_listed_count", "mentions", "reply_to_user_id",
    "retweeted_author_id", "quoted_author_id", "urls", "place_id", "place_name", "place_full_name",
    "place_type", "country", "country_name", "place_bbox", "geo_lat", "geo_lon", "source_format",
    "edit_root_id", "edit_version", "edit_versions",
)

class OtherShape(Exception):
    """A typed decode read a payload of another shape (a v1.1 marker on what looked like a flat v2 tweet)."""


_DECIMAL_ID = parse._DECIMAL_ID.match
_MAX_ID_19 = str(parse.MAX_ID)  # 19 digits: a 19-digit decimal id is in range iff it sorts <= this


def ident(value: str | None) -> str | None:
    """parse._id(value, required=False) of a value the Struct already typed as a string or null,
    without its keyword call and int(): the same answer (a bad id raises parse.Bad, and the typed
    paths then leave the payload to extract, which says which reject)."""
    if value is None:
        return None
    if _DECIMAL_ID(value) is None or (len(value) == 19 and value > _MAX_ID_19):
        raise parse.Bad(parse.BAD_ID, "not a decimal 64-bit id")
    return value


def tags(hashtags: list, cashtags: list) -> tuple[list, list]:
    """parse._tags' two columns."""
    return (parse._distinct([h.lower() for h in hashtags if h]) if hashtags else [],
            parse._distinct([c.upper() for c in cashtags if c]) if cashtags else [])


def edit_chain(tid: str, history: list | None) -> tuple[int, int, int]:
    """parse._edit_chain's three columns."""
    if not history or (len(history) == 1 and history[0] == tid):
        return int(tid), 0, 1
    c = parse._edit_chain(tid, history)
    return c["edit_root_id"], c["edit_version"], c["edit_versions"]


_SOURCES: dict[str, str] = {}


def v1_source(source: str | None) -> str | None:
    """parse's v1.1 source_client (the client's <a> tag stripped), once per distinct value: a stream
    holds a few dozen clients."""
    if not source:
        return None
    v = _SOURCES.get(source)
    if v is None:
        v = parse._HTML_TAG.sub("", source).strip()
        if len(_SOURCES) < 4096:
            _SOURCES[source] = v
    return v


def as_dict(values: tuple[Any, ...]) -> dict[str, Any]:
    """extract's row of a typed path's tuple (the tests compare the two)."""
    return dict(zip(ROW_FIELDS, values))

