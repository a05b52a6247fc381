"""Bronze's typed parse of v2 tweets, both shapes ingestion lands: twarc's flat tweet (expansions
inlined: `author`, `in_reply_to_user`, `referenced_tweets[]` with their text and author, `geo` with
the place) and the v2 message `{"data": tweet, "includes": {users, tweets, places}}` (the filtered
stream, and pages split by ingestion).

Why: parse.extract decodes into dicts and then walks and type-checks them field by field in Python.
Here one msgspec decode into typed Structs does the type checks in C, and the row's values are read
off attributes into a tuple (typed_row.ROW_FIELDS; docs/build-engine.md has the figures).

Why it cannot change a row: `flat(payload)` / `message(payload)` give extract's row (as a tuple) or
None, never anything else.
* The Structs are NARROWER than extract: a value of another JSON type than the one declared, an object
  where extract would skip a non-object, a v1.1 marker on a flat tweet, an Activity Streams payload,
  anything parse.Bad would refuse: all give None, and the caller runs parse.extract, which then gives
  exactly its row or reject (reason, detail, id).
* Where extract asks whether a key is PRESENT (not only non-null), the field defaults to UNSET, so
  presence survives the decode (`_V2Index` registers a place only if `full_name` or `country_code` is
  present, a mention as a user only if `id` and `username` are, a referenced tweet only with `text`).
* `_Index` is parse._V2Index over Structs, in its order (includes first, last one wins there; then
  what twarc inlined, first one wins), and the values come from parse's own helpers or typed_row's
  equivalents of them, in extract's order.
tests/unit/test_typed_parse.py checks the row against extract's on every payload of the parity
corpus (every shared v1.1/v2 file, broken payloads, the synthetic firehose) and that every v2 tweet
extract reads is taken here.
"""
from __future__ import annotations

from typing import Any, Optional, Union

import msgspec
from msgspec import UNSET, UnsetType

from spark.transforms import parse
from spark.transforms.typed_row import OtherShape, edit_chain, ident, tags

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


class Mention(_S):
    """A user object of which the row reads only `id` and `username`: entities.mentions[], a
    referenced tweet's author, in_reply_to_user. parse's index may still make one of them the
    author's user (when `author` is missing or another id); then _values steps aside, as its other
    fields were skipped. Half a synthetic tweet's decode was these objects' skipped fields."""
    id: Maybe[str, None, UnsetType] = UNSET
    username: Maybe[str, None, UnsetType] = UNSET


class Tag(_S):
    tag: Optional[str] = None


class Url(_S):
    url: Optional[str] = None
    expanded_url: Optional[str] = None


class Entities(_S):
    hashtags: Optional[list[Tag]] = None
    cashtags: Optional[list[Tag]] = None
    mentions: Optional[list[Mention]] = None
    urls: Optional[list[Url]] = None


class Note(_S):
    text: Optional[str] = None
    entities: Optional[Entities] = None


class Ref(_S):
    type: Optional[str] = None
    id: Maybe[str, None, UnsetType] = UNSET
    text: Maybe[str, None, UnsetType] = UNSET
    author_id: Optional[str] = None
    author: Optional[Mention] = None
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
    in_reply_to_user: Optional[Mention] = None
    # Present in other shapes only: any of them makes flat() raise OtherShape (typed_parse then tries
    # the v1.1 Structs, and parse.extract after them). Inside a message's `data` they are ignored, as
    # extract ignores them there.
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


class Includes(_S):
    users: Optional[list[User]] = None
    tweets: Optional[list[Ref]] = None
    places: Optional[list[Geo]] = None


class Message(_S):
    data: Tweet
    includes: Optional[Includes] = None
    # an Activity Streams payload (extract refuses it before it looks at `data`)
    actor: Any = UNSET
    verb: Any = UNSET
    objectType: Any = UNSET  # noqa: N815 - the JSON key


_OTHER_SHAPES = ("data", "includes", "full_text", "id_str", "user", "in_reply_to_status_id", "favorited",
                 "retweeted", "is_quote_status", "truncated", "actor", "objectType")
_decode_flat = msgspec.json.Decoder(Tweet).decode
_decode_message = msgspec.json.Decoder(Message).decode
_EMPTY_METRICS, _EMPTY_USER_METRICS = Metrics(), UserMetrics()
_NO_USER = User()


def flat(payload: str | bytes) -> tuple | None:
    """extract's row of a flat v2 tweet, or None when extract must judge it. A payload of another
    shape raises msgspec.ValidationError or OtherShape: typed_parse then tries the next shape."""
    t = _decode_flat(payload)
    for key in _OTHER_SHAPES:
        if getattr(t, key) is not UNSET:
            raise OtherShape(key)
    try:
        return _values(t, None)
    except parse.Bad:
        return None  # extract says which reject, with its detail


def message(payload: str | bytes) -> tuple | None:
    """extract's row of a v2 message {data, includes}, or None (as flat)."""
    m = _decode_message(payload)
    if (m.actor is not UNSET and m.verb is not UNSET) or m.objectType == "activity":
        return None
    try:
        return _values(m.data, m.includes)
    except parse.Bad:
        return None


def _present(v: Any) -> Any:
    return None if v is UNSET else v


class _Index:
    """parse._V2Index over Structs: users, tweets and places the tweet references, built on the first
    call (most flat tweets need none of it: their author is `author`, their mentions carry ids)."""
    __slots__ = ("_t", "_includes", "_built", "users", "users_by_name", "tweets", "places")

    def __init__(self, t: Tweet, includes: Includes | None):
        self._t, self._includes, self._built = t, includes, False

    def __call__(self) -> _Index:
        if not self._built:
            self._build(self._t, self._includes)
            self._built = True
        return self

    def _build(self, t: Tweet, includes: Includes | None) -> None:
        self.users: dict[str, User | Mention] = {}
        self.users_by_name: dict[str, User | Mention] = {}
        self.tweets: dict[str, Ref] = {}
        self.places: dict[str, Geo] = {}
        if includes is not None:
            for u in includes.users or ():
                self._user(u)
            for r in includes.tweets or ():
                if isinstance(r.id, str):
                    self.tweets[r.id] = r
            for p in includes.places or ():
                if isinstance(p.id, str):
                    self.places[p.id] = p
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

    def _user(self, u: User | Mention) -> None:
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
        uid = ident(_present(m.id))
        if uid is None and name and name.lower() in idx().users_by_name:
            uid = ident(_present(idx().users_by_name[name.lower()].id))
        mentions.append({"user_id": uid, "username": name})
    return {"hashtags": [h.tag for h in ent.hashtags or ()],
            "cashtags": [h.tag for h in ent.cashtags or ()],
            "mentions": mentions,
            "urls": [{"url": u.url, "expanded_url": u.expanded_url} for u in ent.urls or ()]}


def _flat_ref(t: Tweet, rid: str) -> Ref | None:
    """The index's tweet `rid` when there are no includes: the first inlined one with a text."""
    for ref in t.referenced_tweets:
        if ref.text is not UNSET and ref.id == rid:
            return ref
    return None


def _values(t: Tweet, includes: Includes | None) -> tuple:
    tid = ident(t.id)
    if tid is None:
        raise parse.Bad(parse.MISSING_ID, "id is missing")
    author_id = ident(t.author_id)
    created_at = parse._time(t.created_at, "created_at", None)
    idx = _Index(t, includes)
    text, ent = _full(t)
    if text is None:
        raise parse.Bad(parse.NOT_A_TWEET, "no text")
    entities = _entities(ent, idx)

    rt_id = qt_id = reply_id = None
    if t.referenced_tweets:
        refs: dict[str, str] = {}
        for ref in t.referenced_tweets:
            rid = ident(_present(ref.id))
            if ref.type and rid:
                refs.setdefault(ref.type, rid)
        rt_id, qt_id, reply_id = refs.get("retweeted"), refs.get("quoted"), refs.get("replied_to")
    rt_author = qt_author = None
    if rt_id:
        rt = idx().tweets.get(rt_id)
        rt_author = ident(rt.author_id if rt else None)
        rt_name = _present(idx().users.get(rt_author or "", _NO_USER).username)
        rt_text, rt_ent = _full(rt) if rt else (None, None)
        if rt_text is not None and rt_name:
            # a retweet's own text is cut to 140 characters: parse rebuilds it from the original
            text = f"RT @{rt_name}: {rt_text}"
            full = _entities(rt_ent, idx)
            full["mentions"] = [{"user_id": rt_author, "username": rt_name}] + full["mentions"]
            entities = parse._merge_entities(entities, full)
    if qt_id:
        qt = _flat_ref(t, qt_id) if includes is None else idx().tweets.get(qt_id)
        qt_author = ident(qt.author_id if qt else None)
    reply_user = ident(t.in_reply_to_user_id)

    a = t.author
    if includes is None and a is not None and a.id == author_id:
        user = a  # the index's first user is `author` (no includes): the same look-up, without the index
    else:
        user = idx().users.get(author_id, _NO_USER)
        if type(user) is Mention:  # its other fields were not decoded: extract reads them
            raise parse.Bad(parse.BAD_TYPE, "the author's user is a mention's")
    metrics = user.public_metrics or _EMPTY_USER_METRICS
    tm = t.public_metrics or _EMPTY_METRICS
    geo = t.geo
    place_id = name = full_name = place_type = cc = country = bbox = lat = lon = None
    if geo is not None:
        if geo.place_id:  # an empty id is no place (extract's `if place_id`)
            place_id = geo.place_id
            if includes is None:  # the index's only place is `geo` itself, when it holds one
                p = geo if geo.full_name is not UNSET or geo.country_code is not UNSET else None
            else:
                p = idx().places.get(place_id)
            if p is not None:
                if p.id is not UNSET:
                    place_id = p.id
                name, full_name, place_type = p.name, _present(p.full_name), p.place_type
                cc, country = _present(p.country_code), p.country
                bbox = p.geo.bbox if p.geo is not None else None
                if bbox is not None and len(bbox) != 4:
                    raise parse.Bad(parse.BAD_TYPE, "place.geo.bbox is not [west, south, east, north]")
        point = geo.coordinates
        if point is not None and point.coordinates is not None:
            c = point.coordinates
            if len(c) != 2:
                raise parse.Bad(parse.BAD_TYPE, "geo.coordinates.coordinates is not a [lon, lat] pair")
            lat, lon = float(c[1]), float(c[0])
    hashtags, cashtags = tags(entities["hashtags"], entities["cashtags"])
    conversation = ident(t.conversation_id)
    return (
        int(tid), created_at, text, t.lang, t.source, t.possibly_sensitive,
        parse._tweet_type(rt_id, reply_id or reply_user, qt_id),
        int(conversation) if conversation is not None else None,
        int(reply_id) if reply_id is not None else None,
        int(rt_id) if rt_id is not None else None,
        int(qt_id) if qt_id is not None else None,
        tm.retweet_count, tm.reply_count, tm.like_count, tm.quote_count, tm.impression_count,
        hashtags, cashtags, author_id, _present(user.username), user.name, user.description, user.url,
        user.profile_image_url, user.created_at, user.location, user.verified, metrics.followers_count,
        metrics.following_count, metrics.tweet_count, metrics.listed_count,
        entities["mentions"], reply_user, rt_author, qt_author, entities["urls"],
        place_id, name, full_name, place_type, cc.upper() if cc else None, country,
        [float(x) for x in bbox] if bbox else None, lat, lon, parse.V2,
        *edit_chain(tid, t.edit_history_tweet_ids),
    )
