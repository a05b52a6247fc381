"""A typed fast path for the commonest payload: a v2 tweet in twarc's flat shape (expansions inlined:
`author`, `in_reply_to_user`, `referenced_tweets[]` with their text and author, `geo` with the place).

Why: parse.extract decodes into dicts and then walks and type-checks them field by field in Python
(~43 µs a synthetic tweet). Here one msgspec decode into typed Structs does the type checks in C, and
the row is read off attributes (docs/build-engine.md has the figures).

Why it cannot change a row: `row(payload)` returns extract's row or None, never anything else.
* The Structs are NARROWER than extract: a value of another JSON type than the one declared, an object
  where extract would skip a non-object, a v1.1 marker, a v2 message (`data`/`includes`), an Activity
  Streams payload, anything parse.Bad would refuse: all give None, and the caller runs parse.extract,
  which then gives exactly today's row or reject (reason, detail, id).
* Where extract asks whether a key is PRESENT (not only non-null), the field defaults to UNSET, so
  presence survives the decode (`_V2Index` registers a place only if `full_name` or `country_code` is
  present, a mention as a user only if `id` and `username` are, a referenced tweet only with `text`).
* The row is built by the same helpers parse uses (_id, _time, _tags, _merge_entities, _place,
  _links_and_place, _edit_chain, _tweet_type), in the same order, so its keys and values are extract's.
tests/unit/test_v2_flat.py checks row(p) == extract(p) on every payload it accepts: the synthetic
firehose (every kind of tweet it makes) and every shared v1.1/v2 file, broken payloads included.
"""
from __future__ import annotations

from typing import Any, Optional, Union

import msgspec
from msgspec import UNSET, UnsetType

from spark.transforms import parse

Maybe = Union  # readability only: Maybe[str, None, UnsetType] is "a string, null, or absent"


class _S(msgspec.Struct, gc=False):
    """No GC tracking: these objects live for one record and hold no cycles."""


class Metrics(_S):
    retweet_count: Optional[int] = None
    reply_count: Optional[int] = None
    like_count: Optional[int] = None
    quote_count: Optional[int] = None
    impression_count: Optional[int] = None


class UserMetrics(_S):
    followers_count: Optional[int] = None
    following_count: Optional[int] = None
    tweet_count: Optional[int] = None
    listed_count: Optional[int] = None


class User(_S):
    id: Maybe[str, None, UnsetType] = UNSET
    username: Maybe[str, None, UnsetType] = UNSET
    name: Optional[str] = None
    description: Optional[str] = None
    url: Optional[str] = None
    profile_image_url: Optional[str] = None
    created_at: Optional[str] = None
    location: Optional[str] = None
    verified: Optional[bool] = None
    public_metrics: Optional[UserMetrics] = None


class Tag(_S):
    tag: Optional[str] = None


class Url(_S):
    url: Optional[str] = None
    expanded_url: Optional[str] = None


class Entities(_S):
    hashtags: Optional[list[Tag]] = None
    cashtags: Optional[list[Tag]] = None
    mentions: Optional[list[User]] = None
    urls: Optional[list[Url]] = None


class Note(_S):
    text: Optional[str] = None
    entities: Optional[Entities] = None


class Ref(_S):
    type: Optional[str] = None
    id: Maybe[str, None, UnsetType] = UNSET
    text: Maybe[str, None, UnsetType] = UNSET
    author_id: Optional[str] = None
    author: Optional[User] = None
    note_tweet: Optional[Note] = None
    entities: Optional[Entities] = None


class PlaceGeo(_S):
    bbox: Optional[list[float]] = None


class Point(_S):
    coordinates: Optional[list[float]] = None


class Geo(_S):
    place_id: Optional[str] = None
    coordinates: Optional[Point] = None
    # the place's own fields, when twarc inlined the place into `geo`
    id: Maybe[str, None, UnsetType] = UNSET
    full_name: Maybe[str, None, UnsetType] = UNSET
    country_code: Maybe[str, None, UnsetType] = UNSET
    name: Optional[str] = None
    place_type: Optional[str] = None
    country: Optional[str] = None
    geo: Optional[PlaceGeo] = None


class Tweet(_S):
    id: str
    text: str
    author_id: str
    created_at: str
    lang: Optional[str] = None
    source: Optional[str] = None
    possibly_sensitive: Optional[bool] = None
    conversation_id: Optional[str] = None
    in_reply_to_user_id: Optional[str] = None
    public_metrics: Optional[Metrics] = None
    entities: Optional[Entities] = None
    note_tweet: Optional[Note] = None
    referenced_tweets: Optional[list[Ref]] = None
    geo: Optional[Geo] = None
    edit_history_tweet_ids: Optional[list[Any]] = None
    author: Optional[User] = None
    in_reply_to_user: Optional[User] = None
    # Present in other shapes only: any of them sends the payload to parse.extract.
    data: Any = UNSET
    includes: Any = UNSET
    full_text: Any = UNSET
    id_str: Any = UNSET
    user: Any = UNSET
    in_reply_to_status_id: Any = UNSET
    favorited: Any = UNSET
    retweeted: Any = UNSET
    is_quote_status: Any = UNSET
    truncated: Any = UNSET
    actor: Any = UNSET
    objectType: Any = UNSET  # noqa: N815 - the JSON key


_OTHER_SHAPES = ("data", "includes", "full_text", "id_str", "user", "in_reply_to_status_id", "favorited",
                 "retweeted", "is_quote_status", "truncated", "actor", "objectType")
_decode = msgspec.json.Decoder(Tweet).decode
_EMPTY_METRICS, _EMPTY_USER_METRICS = Metrics(), UserMetrics()
_NO_USER = User()


def row(payload: str | bytes) -> dict[str, Any] | None:
    """parse.extract's row of a flat v2 tweet, or None when the payload is anything else (or bad)."""
    try:
        t = _decode(payload)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    for key in _OTHER_SHAPES:
        if getattr(t, key) is not UNSET:
            return None
    try:
        return _row(t)
    except parse.Bad:
        return None  # extract says which reject, with its detail


def _present(v: Any) -> Any:
    return None if v is UNSET else v


class _Index:
    """parse._V2Index over Structs: users, tweets and places the flat tweet inlines, first one wins."""
    __slots__ = ("users", "users_by_name", "tweets", "places")

    def __init__(self, t: Tweet):
        self.users: dict[str, User] = {}
        self.users_by_name: dict[str, User] = {}
        self.tweets: dict[str, Ref] = {}
        self.places: dict[str, Geo] = {}
        for u in (t.author, t.in_reply_to_user):
            if u is not None:
                self._user(u)
        for ref in t.referenced_tweets or ():
            if ref.text is not UNSET and isinstance(ref.id, str):
                self.tweets.setdefault(ref.id, ref)
                if ref.author is not None:
                    self._user(ref.author)
        if t.entities is not None:
            for m in t.entities.mentions or ():
                if m.id is not UNSET and m.username is not UNSET:
                    self._user(m)
        g = t.geo
        if g is not None and isinstance(g.place_id, str) and (g.full_name is not UNSET or g.country_code is not UNSET):
            self.places.setdefault(g.place_id, g)

    def _user(self, u: User) -> None:
        if isinstance(u.id, str):
            self.users.setdefault(u.id, u)
        if isinstance(u.username, str):
            self.users_by_name.setdefault(u.username.lower(), u)


def _full(t: Tweet | Ref) -> tuple[str | None, Entities | None]:
    note = t.note_tweet
    if note is not None and note.text is not None:
        return note.text, note.entities
    return _present(t.text), t.entities


def _entities(ent: Entities | None, idx: _Index) -> dict[str, list]:
    if ent is None:
        return {"hashtags": [], "cashtags": [], "mentions": [], "urls": []}
    mentions = []
    for m in ent.mentions or ():
        name = _present(m.username)
        uid = parse._id(_present(m.id), "entities.mentions[].id", required=False)
        if uid is None and name and name.lower() in idx.users_by_name:
            uid = parse._id(_present(idx.users_by_name[name.lower()].id), "includes.users[].id", required=False)
        mentions.append({"user_id": uid, "username": name})
    return {"hashtags": [h.tag for h in ent.hashtags or ()],
            "cashtags": [h.tag for h in ent.cashtags or ()],
            "mentions": mentions,
            "urls": [{"url": u.url, "expanded_url": u.expanded_url} for u in ent.urls or ()]}


def _row(t: Tweet) -> dict[str, Any]:
    tid = parse._id(t.id, "id", required=True)
    author_id = parse._id(t.author_id, "author_id", required=True, missing_reason=parse.MISSING_USER)
    created_at = parse._time(t.created_at, "created_at", None)
    idx = _Index(t)
    text, ent = _full(t)
    if text is None:
        raise parse.Bad(parse.NOT_A_TWEET, "no text")
    entities = _entities(ent, idx)

    refs: dict[str, str] = {}
    for ref in t.referenced_tweets or ():
        rid = parse._id(_present(ref.id), "referenced_tweets[].id", required=False)
        if ref.type and rid:
            refs.setdefault(ref.type, rid)
    rt_id, qt_id, reply_id = refs.get("retweeted"), refs.get("quoted"), refs.get("replied_to")
    rt_author = qt_author = None
    if rt_id:
        rt = idx.tweets.get(rt_id)
        rt_author = parse._id(rt.author_id if rt else None, "includes.tweets[].author_id", required=False)
        rt_name = _present(idx.users.get(rt_author or "", _NO_USER).username)
        rt_text, rt_ent = _full(rt) if rt else (None, None)
        if rt_text is not None and rt_name:
            text = f"RT @{rt_name}: {rt_text}"
            full = _entities(rt_ent, idx)
            full["mentions"] = [{"user_id": rt_author, "username": rt_name}] + full["mentions"]
            entities = parse._merge_entities(entities, full)
    if qt_id:
        qt = idx.tweets.get(qt_id)
        qt_author = parse._id(qt.author_id if qt else None, "includes.tweets[].author_id", required=False)
    reply_user = parse._id(t.in_reply_to_user_id, "in_reply_to_user_id", required=False)

    user = idx.users.get(author_id, _NO_USER)
    metrics = user.public_metrics or _EMPTY_USER_METRICS
    tm = t.public_metrics or _EMPTY_METRICS
    geo = t.geo
    place_id = geo.place_id if geo is not None else None
    place: dict[str, Any] = {}
    bbox = None
    if place_id:
        p = idx.places.get(place_id)
        if p is not None:
            place = {"id": place_id if p.id is UNSET else p.id, "name": p.name,
                     "full_name": _present(p.full_name), "place_type": p.place_type,
                     "country_code": _present(p.country_code), "country": p.country}
            bbox = p.geo.bbox if p.geo is not None else None
        else:
            place = {"id": place_id}
    if bbox is not None and len(bbox) != 4:
        raise parse.Bad(parse.BAD_TYPE, "place.geo.bbox is not [west, south, east, north]")
    lat = lon = None
    point = geo.coordinates if geo is not None else None
    if point is not None and point.coordinates is not None:
        c = point.coordinates
        if len(c) != 2:
            raise parse.Bad(parse.BAD_TYPE, "geo.coordinates.coordinates is not a [lon, lat] pair")
        lat, lon = float(c[1]), float(c[0])
    cc = place.get("country_code")
    return {
        "tweet_id": int(tid),
        "created_at": created_at,
        "text": text,
        "lang": t.lang,
        "source_client": t.source,
        "possibly_sensitive": t.possibly_sensitive,
        "tweet_type": parse._tweet_type(rt_id, reply_id or reply_user, qt_id),
        "conversation_id": parse._int_id(parse._id(t.conversation_id, "conversation_id", required=False)),
        "reply_to_tweet_id": parse._int_id(reply_id),
        "retweeted_tweet_id": parse._int_id(rt_id),
        "quoted_tweet_id": parse._int_id(qt_id),
        "retweet_count": tm.retweet_count,
        "reply_count": tm.reply_count,
        "like_count": tm.like_count,
        "quote_count": tm.quote_count,
        "impression_count": tm.impression_count,
        **parse._tags(entities),
        "author_id": author_id,
        "author_username": _present(user.username),
        "author_name": user.name,
        "author_description": user.description,
        "author_url": user.url,
        "author_profile_image_url": user.profile_image_url,
        "author_created_at": user.created_at,
        "author_location": user.location,
        "author_verified": user.verified,
        "author_followers_count": metrics.followers_count,
        "author_following_count": metrics.following_count,
        "author_tweet_count": metrics.tweet_count,
        "author_listed_count": metrics.listed_count,
        **parse._links_and_place(entities, reply_user, rt_author, qt_author, {
            "place_id": place.get("id"), "place_name": place.get("name"),
            "place_full_name": place.get("full_name"), "place_type": place.get("place_type"),
            "country": cc.upper() if cc else None, "country_name": place.get("country"),
            "place_bbox": [float(x) for x in bbox] if bbox else None}, lat, lon, parse.V2),
        **parse._edit_chain(tid, t.edit_history_tweet_ids),
    }
