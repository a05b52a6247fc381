"""Bronze's typed parse of v1.1 statuses (streaming and REST: `extended_tweet`, `retweeted_status`,
`quoted_status`, `place`, `coordinates`), the same route as v2_typed: one msgspec decode into the
Structs below (JSON types checked in C, every other field skipped in C), then the row's values read
off attributes into a tuple in typed_row.ROW_FIELDS order.

Why it cannot change a row: `status(payload)` gives parse.extract's row (as a tuple) or None.
* The Structs are NARROWER than extract: another JSON type than the one declared, a v2 message's
  `data`, an Activity Streams payload, a status without `id_str` (extract then rejects it or reads a
  numeric id's loss of precision), a retweeted_status without `id_str` (extract's `if rt:` asks
  whether the object is empty, which a Struct cannot tell): all give None, and parse.extract runs.
* A v1.1 payload is one with a marker key (parse._V1_MARKERS); `id_str` is one, and a status here
  always has it, so the marker test holds.
* The steps extract takes on rarely present, loosely typed values (the place's bounding box, the
  `coordinates`/`geo` points) are parse's own functions on the decoded values (`Any` fields), so they
  keep their exact answers and refusals.
tests/unit/test_typed_parse.py checks the row against extract's on every payload of the parity corpus
and that every v1.1 status extract reads is taken here.
"""
from __future__ import annotations

from typing import Any, Optional

import msgspec
from msgspec import UNSET

from spark.transforms import parse
from spark.transforms.typed_row import ident, tags, v1_source


class _S(msgspec.Struct, gc=False):
    """No GC tracking: these objects live for one record and hold no cycles."""


class User(_S):
    id_str: Optional[str] = None
    id: Optional[int] = None
    screen_name: Optional[str] = None
    name: Optional[str] = None
    description: Optional[str] = None
    url: Optional[str] = None
    profile_image_url_https: Optional[str] = None
    created_at: Optional[str] = None
    location: Optional[str] = None
    verified: Optional[bool] = None
    followers_count: Optional[int] = None
    friends_count: Optional[int] = None
    statuses_count: Optional[int] = None
    listed_count: Optional[int] = None


class Mention(_S):
    id_str: Optional[str] = None
    id: Optional[int] = None
    screen_name: Optional[str] = None


class Tag(_S):
    text: Optional[str] = None


class Url(_S):
    url: Optional[str] = None
    expanded_url: Optional[str] = None


class Entities(_S):
    hashtags: Optional[list[Tag]] = None
    symbols: Optional[list[Tag]] = None
    user_mentions: Optional[list[Mention]] = None
    urls: Optional[list[Url]] = None


class Extended(_S):
    full_text: Optional[str] = None
    entities: Optional[Entities] = None


class Inner(_S):
    """A retweeted or quoted status: only what extract reads of one."""
    id_str: Optional[str] = None
    text: Optional[str] = None
    full_text: Optional[str] = None
    extended_tweet: Optional[Extended] = None
    entities: Optional[Entities] = None
    user: Optional[Mention] = None  # id_str, id, screen_name: all extract reads of its user


class BoundingBox(_S):
    coordinates: Any = None


class Place(_S):
    id: Optional[str] = None
    name: Optional[str] = None
    full_name: Optional[str] = None
    place_type: Optional[str] = None
    country_code: Optional[str] = None
    country: Optional[str] = None
    bounding_box: Optional[BoundingBox] = None


class Status(_S):
    id_str: Optional[str] = None
    created_at: Optional[str] = None
    text: Optional[str] = None
    full_text: Optional[str] = None
    extended_tweet: Optional[Extended] = None
    entities: Optional[Entities] = None
    lang: Optional[str] = None
    source: Optional[str] = None
    possibly_sensitive: Optional[bool] = None
    user: Optional[User] = None
    retweeted_status: Optional[Inner] = None
    quoted_status: Optional[Inner] = None
    quoted_status_id_str: Optional[str] = None
    in_reply_to_status_id_str: Optional[str] = None
    in_reply_to_user_id_str: Optional[str] = None
    retweet_count: Optional[int] = None
    reply_count: Optional[int] = None
    favorite_count: Optional[int] = None
    quote_count: Optional[int] = None
    place: Optional[Place] = None
    coordinates: Any = None
    geo: Any = None
    # other shapes: a v2 message, an Activity Streams payload
    data: Any = UNSET
    actor: Any = UNSET
    verb: Any = UNSET
    objectType: Any = UNSET  # noqa: N815 - the JSON key


_decode = msgspec.json.Decoder(Status).decode


def status(payload: str | bytes) -> tuple | None:
    """extract's row of a v1.1 status, or None. msgspec's errors come through (typed_parse)."""
    t = _decode(payload)
    if t.id_str is None or t.data is not UNSET or (t.actor is not UNSET and t.verb is not UNSET) \
            or t.objectType == "activity":
        return None
    try:
        return _values(t, t.id_str)
    except parse.Bad:
        return None


def _user_id(u: User | Mention) -> str | None:
    """parse._user_id: `id_str`, else an integer `id` in range."""
    if u.id_str is not None:
        return ident(u.id_str)
    uid = u.id
    if uid is None:
        return None
    if 0 < uid <= parse.MAX_ID:
        return str(uid)
    raise parse.Bad(parse.BAD_ID_TYPE, "user id out of range")


def _full(t: Status | Inner) -> tuple[str | None, Entities | None]:
    """parse._v1_full: extended_tweet > full_text > text."""
    ext = t.extended_tweet
    if ext is not None and ext.full_text is not None:
        return ext.full_text, ext.entities
    return (t.full_text if t.full_text is not None else t.text), t.entities


def _entities(ent: Entities | None) -> dict[str, list]:
    if ent is None:
        return {"hashtags": [], "cashtags": [], "mentions": [], "urls": []}
    return {"hashtags": [h.text for h in ent.hashtags or ()],
            "cashtags": [h.text for h in ent.symbols or ()],
            "mentions": [{"user_id": _user_id(m), "username": m.screen_name} for m in ent.user_mentions or ()],
            "urls": [{"url": u.url, "expanded_url": u.expanded_url} for u in ent.urls or ()]}


def _values(t: Status, tid: str) -> tuple:
    ident(tid)
    user = t.user
    author_id = _user_id(user) if user is not None else None
    if author_id is None:
        raise parse.Bad(parse.MISSING_USER, "no user object with an id")
    created_at = parse._time(t.created_at, "created_at", parse._V1_TIME)
    text, ent = _full(t)
    if text is None:
        raise parse.Bad(parse.NOT_A_TWEET, "no text")
    entities = _entities(ent)

    rt = t.retweeted_status
    rt_id = rt_author = None
    if rt is not None:
        if rt.id_str is None:
            # extract asks whether the object is empty; a Struct cannot tell {} from {"other": 1}
            raise parse.Bad(parse.BAD_TYPE, "retweeted_status without id_str")
        rt_id = ident(rt.id_str)
        rt_user = rt.user
        rt_author = _user_id(rt_user) if rt_user is not None else None
        rt_name = rt_user.screen_name if rt_user is not None else None
        rt_text, rt_ent = _full(rt)
        if rt_text is not None and rt_name:
            # the retweet's own text is cut to 140 characters: parse rebuilds it from the original
            text = f"RT @{rt_name}: {rt_text}"
            full = _entities(rt_ent)
            full["mentions"] = [{"user_id": rt_author, "username": rt_name}] + full["mentions"]
            entities = parse._merge_entities(entities, full)
    qt = t.quoted_status
    qt_id = ident(t.quoted_status_id_str) or (ident(qt.id_str) if qt is not None else None)
    qt_user = qt.user if qt is not None else None
    qt_author = _user_id(qt_user) if qt_user is not None else None
    reply_id = ident(t.in_reply_to_status_id_str)
    reply_user = ident(t.in_reply_to_user_id_str)

    place = t.place
    bbox = None
    if place is not None and place.bounding_box is not None:
        bbox = parse._v1_bbox({"coordinates": place.bounding_box.coordinates})
    lat = lon = None
    if t.coordinates is not None or t.geo is not None:
        lat, lon = parse._v1_point({"coordinates": t.coordinates, "geo": t.geo})
    hashtags, cashtags = tags(entities["hashtags"], entities["cashtags"])
    cc = place.country_code if place is not None else None
    return (
        int(tid), created_at, text, t.lang, v1_source(t.source), t.possibly_sensitive,
        parse._tweet_type(rt_id or rt is not None, reply_id or reply_user, qt_id),
        None,
        int(reply_id) if reply_id is not None else None,
        int(rt_id) if rt_id is not None else None,
        int(qt_id) if qt_id is not None else None,
        t.retweet_count, t.reply_count, t.favorite_count, t.quote_count, None,
        hashtags, cashtags, author_id, user.screen_name, user.name, user.description, user.url,
        user.profile_image_url_https, user.created_at, user.location, user.verified, user.followers_count,
        user.friends_count, user.statuses_count, user.listed_count,
        entities["mentions"], reply_user, rt_author, qt_author, entities["urls"],
        *((place.id, place.name, place.full_name, place.place_type) if place is not None else (None,) * 4),
        cc.upper() if cc else None, place.country if place is not None else None,
        bbox, lat, lon, parse.V1,
        int(tid), 0, 1,  # v1.1 has no edits: a chain of one (parse._edit_chain)
    )
