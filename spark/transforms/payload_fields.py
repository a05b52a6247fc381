"""The fields of a landed payload that parse.extract reads, as msgspec TypedDicts.

Why: decoding a whole tweet into Python dicts cost ~21 µs of parse.extract's ~43 (the user object
alone has dozens of fields bronze never reads: klout scores, colours, banner URLs, ...). Decoding
into these TypedDicts builds plain dicts holding only the keys listed here; msgspec skips the rest
in C. parse.extract then runs its one implementation on the smaller dicts.

Why this cannot change a row: extract only ever looks keys up by name (`get`, `in`, `[]`), never
iterates a payload's keys. So a dict pruned to the keys it reads gives it the same answers as the
whole dict, provided every key it reads at every place is listed here. Rules kept below:
* every scalar leaf is `Any`: msgspec decodes it exactly as the untyped decoder does (no int->float,
  no bool->int), so extract's own type checks and rejects see the same values;
* every object is `<TypedDict> | None` and every list of objects `list[<TypedDict>] | None`. That is
  narrower than extract (it rejects a string where an object belongs, or ignores it in places):
  such a payload fails this decode and parse.extract decodes it again untyped, so its row or its
  reject reason and detail are exactly what they were. Narrower costs speed on odd records, never
  correctness; a key missing here would cost correctness, hence the union of every shape below
  (v1.1, v2 message, twarc flat) in one Tweet, one User, one Place, one Entities.
tests/unit/test_payload_fields.py checks extract(pruned) == extract(whole) on every shared payload
and on synthetic ones, and that the keys extract reads are all listed (by recording its look-ups).
"""
from __future__ import annotations

from typing import Any, Optional, TypedDict

import msgspec


class Tag(TypedDict, total=False):
    text: Any  # v1.1 hashtags[] / symbols[]
    tag: Any   # v2 hashtags[] / cashtags[]


class Url(TypedDict, total=False):
    url: Any
    expanded_url: Any


class UserMetrics(TypedDict, total=False):
    followers_count: Any
    following_count: Any
    tweet_count: Any
    listed_count: Any


class User(TypedDict, total=False):
    """A v1.1 user or user_mentions[] item, a v2 includes.users[] item, author, in_reply_to_user or
    entities.mentions[] item (any of the v2 ones may become the author's user: _V2Index)."""
    id: Any
    id_str: Any
    screen_name: Any
    username: Any
    name: Any
    description: Any
    url: Any
    profile_image_url: Any
    profile_image_url_https: Any
    created_at: Any
    location: Any
    verified: Any
    followers_count: Any
    friends_count: Any
    statuses_count: Any
    listed_count: Any
    public_metrics: Optional[UserMetrics]


class Entities(TypedDict, total=False):
    hashtags: Optional[list[Tag]]
    symbols: Optional[list[Tag]]
    cashtags: Optional[list[Tag]]
    user_mentions: Optional[list[User]]
    mentions: Optional[list[User]]
    urls: Optional[list[Url]]


class BoundingBox(TypedDict, total=False):
    coordinates: Any


class PlaceGeo(TypedDict, total=False):
    bbox: Any


class Place(TypedDict, total=False):
    """A v1.1 place, a v2 includes.places[] item, or a v2 tweet's geo (which twarc's flat shape
    merges the place into); a v1.1 coordinates/geo point too (only `coordinates` of it is read)."""
    id: Any
    place_id: Any
    name: Any
    full_name: Any
    place_type: Any
    country_code: Any
    country: Any
    coordinates: Any  # v1.1 [lat, lon] / [lon, lat]; v2 a {type, coordinates} point
    bounding_box: Optional[BoundingBox]
    geo: Optional[PlaceGeo]


class Text(TypedDict, total=False):
    """v1.1 extended_tweet / v2 note_tweet: the long form of a text and its entities."""
    full_text: Any
    text: Any
    entities: Optional[Entities]


class Metrics(TypedDict, total=False):
    retweet_count: Any
    reply_count: Any
    like_count: Any
    quote_count: Any
    impression_count: Any


class Tweet(TypedDict, total=False):
    """A payload, and every tweet inside one: v1.1 (retweeted_status, quoted_status), v2 message
    (data, includes.tweets[]) and twarc flat (referenced_tweets[] with the tweet inlined)."""
    # what the payload is (parse._tweet_of): only tested for presence or compared
    actor: Any
    verb: Any
    objectType: Any
    data: Optional["Tweet"]  # a v2 message's tweet (a page's list fails here: extract rejects it)
    includes: Optional["Includes"]
    in_reply_to_status_id: Any
    favorited: Any
    retweeted: Any
    is_quote_status: Any
    truncated: Any
    # ids and times
    id: Any
    id_str: Any
    created_at: Any
    author_id: Any
    conversation_id: Any
    in_reply_to_status_id_str: Any
    in_reply_to_user_id_str: Any
    in_reply_to_user_id: Any
    quoted_status_id_str: Any
    type: Any  # referenced_tweets[].type
    edit_history_tweet_ids: Any  # v2: ids of every version, oldest first (parse._edit_chain)
    # text
    text: Any
    full_text: Any
    extended_tweet: Optional[Text]
    note_tweet: Optional[Text]
    entities: Optional[Entities]
    lang: Any
    source: Any
    possibly_sensitive: Any
    # people and other tweets
    user: Optional[User]
    author: Optional[User]
    in_reply_to_user: Optional[User]
    retweeted_status: Optional["Tweet"]
    quoted_status: Optional["Tweet"]
    referenced_tweets: Optional[list["Tweet"]]
    # counts
    retweet_count: Any
    reply_count: Any
    favorite_count: Any
    quote_count: Any
    public_metrics: Optional[Metrics]
    # where
    place: Optional[Place]
    coordinates: Optional[Place]
    geo: Optional[Place]


class Includes(TypedDict, total=False):
    users: Optional[list[User]]
    tweets: Optional[list[Tweet]]
    places: Optional[list[Place]]


_PAYLOAD = msgspec.json.Decoder(Tweet)


def decode(json_text: str | bytes) -> dict | None:
    """The payload pruned to the keys extract reads, or None when this typed decode refuses it
    (invalid JSON, not an object, or an object/list where a scalar or a different kind belongs):
    the caller then decodes it untyped and lets extract say why."""
    try:
        return _PAYLOAD.decode(json_text)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        return None
