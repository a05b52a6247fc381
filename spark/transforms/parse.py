"""One raw payload -> one bronze row, or a reject with its reason.

Pure Python, no Spark: columnar.bronze_batch reads each batch of raw records, for the batch build and
the speed layer alike, through the typed Structs of typed_parse, which give `extract`'s row for every
tweet they take, and through `extract` for the rest and for every reject; `to_bronze` is the same for
one record. `extract` is the reference the typed paths are tested against (tests/unit/test_typed_parse.py).

Inputs are the payloads the raw sink lands (docs/ingestion.md):
- v1.1 tweets (streaming/REST: `extended_tweet`, `retweeted_status`, `quoted_status`, `place`),
- v2 tweets in twarc's flat shape (author, referenced tweets, place and mentions inlined),
- v2 messages `{"data": tweet, "includes": {...}}` (filtered stream, or pages split by ingestion).

All three become the same row. `extract` reads the payload into a row of plain
values (still holding user ids and handles); `to_bronze` then applies the
classification (pii.Pii.protect) and adds the ingest metadata.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple
from urllib.parse import unquote

import msgspec

from spark.transforms import payload_fields
from spark.transforms import pii as pii_mod

V1, V2 = "v1", "v2"
MAX_ID = 2**63 - 1
_DECIMAL_ID = re.compile(r"[1-9][0-9]{0,18}\Z")
_V1_MARKERS = ("id_str", "user", "in_reply_to_status_id", "favorited", "retweeted", "is_quote_status", "truncated")
_V1_TIME = "%a %b %d %H:%M:%S %z %Y"
_HTML_TAG = re.compile(r"<[^>]*>")
# raw.tweets file names written by the raw sink: <topic>+<partition>+<first offset>+<last offset>.jsonl
SINK_FILE = re.compile(r"(?P<topic>[A-Za-z0-9._-]+)\+(?P<partition>\d+)\+(?P<first>\d+)\+(?P<last>\d+)\.jsonl\Z")
_PARTITION_DIR = re.compile(r"ingest_date=(?P<date>[0-9-]+)/ingest_hour=(?P<hour>[0-9]+)/")

# Reject reason codes (the same words as ingestion's where they mean the same thing).
INVALID_JSON = "invalid_json"
NOT_A_TWEET = "not_a_tweet"
UNSUPPORTED_FORMAT = "unsupported_format"
MISSING_ID = "missing_id"
BAD_ID_TYPE = "bad_id_type"
BAD_ID = "bad_id"
MISSING_USER = "missing_user"
MISSING_CREATED_AT = "missing_created_at"
BAD_CREATED_AT = "bad_created_at"
BAD_TYPE = "bad_type"
# A record removed by a compliance event (lake/pipeline/comply.py): its raw line is replaced by
# REDACTED_LINE, so every later line keeps its place, and so its Kafka offset (file first offset +
# line); the bronze build also turns rows the ledger names into this reject (build_bronze.py).
REDACTED = "redacted"
REDACTED_LINE = b'{"lake_compliance":"redacted"}'
REASONS = (INVALID_JSON, NOT_A_TWEET, UNSUPPORTED_FORMAT, MISSING_ID, BAD_ID_TYPE, BAD_ID, MISSING_USER,
           MISSING_CREATED_AT, BAD_CREATED_AT, BAD_TYPE, REDACTED)

META_COLUMNS = ("ingest_date", "ingest_hour", "source_file", "kafka_partition", "kafka_offset")


class Reject(NamedTuple):
    reason: str           # one of REASONS
    detail: str           # one line; names fields and JSON types, never user content
    tweet_id: str | None  # the id when one could be read (for tracing back to raw)

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


class Bad(Exception):
    """extract's refusal of a payload; reject() is its Reject."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason, self.detail = reason, detail
        self.tweet_id: str | None = None

    def reject(self) -> Reject:
        return Reject(self.reason, self.detail, self.tweet_id)



# ---- typed access to untrusted JSON -------------------------------------------------------------
_JSON_TYPE = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number",
              type(None): "null"}


def _jtype(v: Any) -> str:
    return _JSON_TYPE.get(type(v), type(v).__name__)


def _get(obj: dict, key: str, kind: type | tuple, path: str) -> Any:
    """obj[key] if it has the JSON type wanted, None if absent/null; a wrong type rejects the row."""
    v = obj.get(key)
    if v is None:
        return None
    if type(v) is kind:  # the common case, and one every check below lets through (bool is not int here)
        return v
    if kind is int and (isinstance(v, bool) or not isinstance(v, int)):
        raise Bad(BAD_TYPE, f"{path} is a JSON {_jtype(v)}, expected an integer")
    if kind is float and (isinstance(v, bool) or not isinstance(v, (int, float))):
        raise Bad(BAD_TYPE, f"{path} is a JSON {_jtype(v)}, expected a number")
    if kind is bool and not isinstance(v, bool):
        raise Bad(BAD_TYPE, f"{path} is a JSON {_jtype(v)}, expected a boolean")
    if kind not in (int, float, bool) and not isinstance(v, kind):
        raise Bad(BAD_TYPE, f"{path} is a JSON {_jtype(v)}, expected {_article(kind)}")
    return v


def _article(kind) -> str:
    return {dict: "an object", list: "an array", str: "a string"}.get(kind, str(kind))


def _obj(obj: dict, key: str, path: str) -> dict:
    return _get(obj, key, dict, path) or {}


def _objs(obj: dict, key: str, path: str) -> list[dict]:
    items = _get(obj, key, list, path) or []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise Bad(BAD_TYPE, f"{path}[{i}] is a JSON {_jtype(item)}, expected an object")
    return items


def _id(value: Any, path: str, *, required: bool, missing_reason: str = MISSING_ID) -> str | None:
    """A decimal 64-bit id sent as a JSON string (numbers may have lost precision upstream)."""
    if value is None:
        if required:
            raise Bad(missing_reason, f"{path} is missing")
        return None
    if not isinstance(value, str):
        raise Bad(BAD_ID_TYPE, f"{path} is a JSON {_jtype(value)}; ids must be strings")
    if not _DECIMAL_ID.match(value) or int(value) > MAX_ID:
        raise Bad(BAD_ID, f"{path} is not a decimal 64-bit id")
    return value


def _user_id(user: dict, path: str) -> str | None:
    """v1 user ids: `id_str`, else an integer `id` (JSON parsers keep integers exact here)."""
    if user.get("id_str") is not None:
        return _id(user["id_str"], f"{path}.id_str", required=True)
    uid = user.get("id")
    if isinstance(uid, int) and not isinstance(uid, bool) and 0 < uid <= MAX_ID:
        return str(uid)
    if uid is not None:
        raise Bad(BAD_ID_TYPE, f"{path}.id is a JSON {_jtype(uid)}, expected an integer")
    return None


def _int_id(value: str | None) -> int | None:
    return int(value) if value is not None else None


def _time(value: Any, path: str, fmt: str | None) -> datetime:
    if value is None:
        raise Bad(MISSING_CREATED_AT, f"{path} is missing")
    if not isinstance(value, str):
        raise Bad(BAD_CREATED_AT, f"{path} is a JSON {_jtype(value)}, expected a date string")
    try:
        if fmt is None:
            t = datetime.fromisoformat(value)
        else:
            t = (_v1_time_fast(value) if fmt is _V1_TIME else None) or datetime.strptime(value, fmt)
    except ValueError:
        # the value itself stays out: rejects never hold payload content
        raise Bad(BAD_CREATED_AT, f"{path} is not a {'v1.1' if fmt else 'ISO 8601'} timestamp "
                                   f"({len(value)} chars)") from None
    if t.tzinfo is None:
        raise Bad(BAD_CREATED_AT, f"{path} has no time zone")
    return t.astimezone(timezone.utc)


# strptime costs ~40 µs a call (a regex built from the locale, then a generic walk over its
# groups); v1.1 timestamps are always 'Wed Oct 10 20:19:24 +0000 2018'. This reads exactly that
# shape (English C-locale names, as strptime's %a/%b match them in this process) and returns
# None for anything else, which then goes through strptime as before: same value, same errors.
_V1_TIME_FAST = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                           r"([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2}) ([0-9]{4})\Z")
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec"), 1)}
_UTC_OFFSETS: dict[tuple[str, str, str], timezone] = {}


def _v1_time_fast(value: str) -> datetime | None:
    m = _V1_TIME_FAST.match(value)
    if m is None:
        return None
    _, mon, day, hh, mm, ss, sign, oh, om, year = m.groups()
    try:
        tz = _UTC_OFFSETS.get((sign, oh, om))
        if tz is None:
            if int(oh) > 23 or int(om) > 59:
                return None
            delta = timedelta(hours=int(oh), minutes=int(om))
            tz = timezone(-delta if sign == "-" else delta)
            if len(_UTC_OFFSETS) < 256:
                _UTC_OFFSETS[(sign, oh, om)] = tz
        return datetime(int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=tz)
    except ValueError:
        return None  # out of range (day 31 of April, second 60, ...): strptime says how


def _distinct(values) -> list:
    seen, out = set(), []
    for v in values:
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out


# ---- shape recognition --------------------------------------------------------------------------
def _tweet_of(obj: Any) -> tuple[str, dict, dict]:
    """(format, tweet, includes) of a landed payload, or Bad for anything that is not one tweet."""
    if not isinstance(obj, dict):
        raise Bad(NOT_A_TWEET, f"payload is a JSON {_jtype(obj)}, not an object")
    if ("actor" in obj and "verb" in obj) or obj.get("objectType") == "activity":
        raise Bad(UNSUPPORTED_FORMAT, "Activity Streams payload (replay the original-format v1.1 export)")
    if "data" in obj:
        data = obj["data"]
        if isinstance(data, list):
            raise Bad(NOT_A_TWEET, f"v2 page with {len(data)} entries; ingestion lands one tweet per message")
        if not isinstance(data, dict) or not ("text" in data or "note_tweet" in data):
            raise Bad(NOT_A_TWEET, f"v2 message whose data is a JSON {_jtype(data)} without text")
        return V2, data, _obj(obj, "includes", "includes")
    if "text" not in obj and "full_text" not in obj:
        raise Bad(NOT_A_TWEET, "object without text/full_text (a notice, user or compliance event)")
    if any(k in obj for k in _V1_MARKERS):
        return V1, obj, {}
    return V2, obj, {}


# msgspec, not json: a third faster here (22 vs 33 us on an 840-byte tweet, 2026-11-24), and the same
# strict RFC 8259 grammar as the raw sink's check (ingestion/sink/check.py), so bronze and the speed
# layer refuse what the sink refuses: NaN/Infinity, lone surrogates, a BOM, UTF-16. json.loads took all four.
_decode = msgspec.json.Decoder().decode
_REDACTED_TEXT = REDACTED_LINE.decode()


def extract(json_text: str | bytes) -> dict[str, Any]:
    """The row as plain values, identifiers still in clear (pii.Pii.protect comes next)."""
    # First the payload pruned to the fields read below (payload_fields: half the decode's cost);
    # whatever that typed decode refuses is decoded whole, so rejects keep their reason and detail.
    if len(json_text) == len(REDACTED_LINE) and json_text in (REDACTED_LINE, _REDACTED_TEXT):
        raise Bad(REDACTED, "removed by a compliance event (ops.compliance_events)")
    obj = payload_fields.decode(json_text)
    if obj is None:
        try:
            obj = _decode(json_text)
        except (ValueError, RecursionError):  # msgspec.DecodeError is a ValueError
            raise Bad(INVALID_JSON, "not valid JSON (RFC 8259)") from None
    return row_of(obj)


def row_of(obj: Any) -> dict[str, Any]:
    """extract's row of an already decoded payload (Bad when it is not a usable tweet)."""
    fmt, tweet, includes = _tweet_of(obj)
    return _v1(tweet) if fmt == V1 else _v2(tweet, includes)


# ---- v1.1 ---------------------------------------------------------------------------------------
def _v1_full(t: dict, path: str) -> tuple[str | None, dict]:
    """(full text, entities of that text): extended_tweet > full_text > text."""
    p = f"{path}." if path else ""
    ext = _obj(t, "extended_tweet", f"{p}extended_tweet")
    text = _get(ext, "full_text", str, f"{p}extended_tweet.full_text")
    if text is not None:
        return text, _obj(ext, "entities", f"{p}extended_tweet.entities")
    text = _get(t, "full_text", str, f"{p}full_text")
    if text is None:
        text = _get(t, "text", str, f"{p}text")
    return text, _obj(t, "entities", f"{p}entities")


def _v1_entities(ent: dict, path: str) -> dict[str, list]:
    tags = [_get(h, "text", str, f"{path}.hashtags[].text") for h in _objs(ent, "hashtags", f"{path}.hashtags")]
    cash = [_get(h, "text", str, f"{path}.symbols[].text") for h in _objs(ent, "symbols", f"{path}.symbols")]
    mentions = [{"user_id": _user_id(m, f"{path}.user_mentions[]"),
                 "username": _get(m, "screen_name", str, f"{path}.user_mentions[].screen_name")}
                for m in _objs(ent, "user_mentions", f"{path}.user_mentions")]
    urls = [{"url": _get(u, "url", str, f"{path}.urls[].url"),
             "expanded_url": _get(u, "expanded_url", str, f"{path}.urls[].expanded_url")}
            for u in _objs(ent, "urls", f"{path}.urls")]
    return {"hashtags": tags, "cashtags": cash, "mentions": mentions, "urls": urls}


def _v1(t: dict) -> dict[str, Any]:
    tid = t.get("id_str")
    if tid is None and isinstance(t.get("id"), (int, float)) and not isinstance(t.get("id"), bool):
        raise Bad(BAD_ID_TYPE, "id_str is missing beside a numeric id (may have lost precision)")
    tid = _id(tid, "id_str", required=True)
    try:
        return _v1_row(t, tid)
    except Bad as e:
        e.tweet_id = tid
        raise


def _v1_row(t: dict, tid: str) -> dict[str, Any]:
    user = _get(t, "user", dict, "user")
    author_id = _user_id(user, "user") if user else None
    if author_id is None:
        raise Bad(MISSING_USER, "no user object with an id")
    created_at = _time(t.get("created_at"), "created_at", _V1_TIME)
    text, ent = _v1_full(t, "")
    if text is None:
        raise Bad(NOT_A_TWEET, "no text")
    entities = _v1_entities(ent, "entities")

    rt = _get(t, "retweeted_status", dict, "retweeted_status")
    rt_id = rt_author = None
    if rt:
        rt_id = _id(rt.get("id_str"), "retweeted_status.id_str", required=False)
        rt_user = _obj(rt, "user", "retweeted_status.user")
        rt_author = _user_id(rt_user, "retweeted_status.user") if rt_user else None
        rt_name = _get(rt_user, "screen_name", str, "retweeted_status.user.screen_name")
        rt_text, rt_ent = _v1_full(rt, "retweeted_status")
        if rt_text is not None and rt_name:
            # The retweet's own text is cut to 140 characters: rebuild it from the original.
            text = f"RT @{rt_name}: {rt_text}"
            full = _v1_entities(rt_ent, "retweeted_status.entities")
            full["mentions"] = [{"user_id": rt_author, "username": rt_name}] + full["mentions"]
            entities = _merge_entities(entities, full)
    qt = _get(t, "quoted_status", dict, "quoted_status") or {}
    qt_id = _id(t.get("quoted_status_id_str"), "quoted_status_id_str", required=False) \
        or _id(qt.get("id_str"), "quoted_status.id_str", required=False)
    qt_user = _obj(qt, "user", "quoted_status.user")
    qt_author = _user_id(qt_user, "quoted_status.user") if qt_user else None
    reply_id = _id(t.get("in_reply_to_status_id_str"), "in_reply_to_status_id_str", required=False)
    reply_user = _id(t.get("in_reply_to_user_id_str"), "in_reply_to_user_id_str", required=False)

    place = _get(t, "place", dict, "place") or {}
    bbox = _v1_bbox(_obj(place, "bounding_box", "place.bounding_box"))
    lat, lon = _v1_point(t)
    source = _get(t, "source", str, "source")
    return {
        "tweet_id": int(tid),
        "created_at": created_at,
        "text": text,
        "lang": _get(t, "lang", str, "lang"),
        "source_client": _HTML_TAG.sub("", source).strip() if source else None,
        "possibly_sensitive": _get(t, "possibly_sensitive", bool, "possibly_sensitive"),
        "tweet_type": _tweet_type(rt_id or bool(rt), reply_id or reply_user, qt_id),
        "conversation_id": None,
        "reply_to_tweet_id": _int_id(reply_id),
        "retweeted_tweet_id": _int_id(rt_id),
        "quoted_tweet_id": _int_id(qt_id),
        "retweet_count": _get(t, "retweet_count", int, "retweet_count"),
        "reply_count": _get(t, "reply_count", int, "reply_count"),
        "like_count": _get(t, "favorite_count", int, "favorite_count"),
        "quote_count": _get(t, "quote_count", int, "quote_count"),
        "impression_count": None,
        **_tags(entities),
        "author_id": author_id,
        "author_username": _get(user, "screen_name", str, "user.screen_name"),
        "author_name": _get(user, "name", str, "user.name"),
        "author_description": _get(user, "description", str, "user.description"),
        "author_url": _get(user, "url", str, "user.url"),
        "author_profile_image_url": _get(user, "profile_image_url_https", str, "user.profile_image_url_https"),
        "author_created_at": _get(user, "created_at", str, "user.created_at"),
        "author_location": _get(user, "location", str, "user.location"),
        "author_verified": _get(user, "verified", bool, "user.verified"),
        "author_followers_count": _get(user, "followers_count", int, "user.followers_count"),
        "author_following_count": _get(user, "friends_count", int, "user.friends_count"),
        "author_tweet_count": _get(user, "statuses_count", int, "user.statuses_count"),
        "author_listed_count": _get(user, "listed_count", int, "user.listed_count"),
        **_links_and_place(entities, reply_user, rt_author, qt_author, _place(place, "place", bbox), lat, lon, V1),
        **_edit_chain(tid, None),  # v1.1 has no edits: a chain of one
    }


def _v1_bbox(bb: dict) -> list[float] | None:
    """[west, south, east, north] of a GeoJSON polygon."""
    coords = _get(bb, "coordinates", list, "place.bounding_box.coordinates")
    ring = coords[0] if coords and isinstance(coords[0], list) else None
    return _bbox_of_points(ring, "place.bounding_box.coordinates[0]") if ring else None


def _bbox_of_points(points: list, path: str) -> list[float]:
    lons, lats = [], []
    for p in points:
        if not (isinstance(p, list) and len(p) == 2 and all(_is_num(x) for x in p)):
            raise Bad(BAD_TYPE, f"{path} holds a {_jtype(p)} that is not a [lon, lat] pair")
        lons.append(float(p[0]))
        lats.append(float(p[1]))
    return [min(lons), min(lats), max(lons), max(lats)]


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _point(value: Any, path: str) -> tuple[float, float] | tuple[None, None]:
    """(lat, lon) of a GeoJSON Point {coordinates: [lon, lat]}."""
    if not isinstance(value, dict):
        return None, None
    c = value.get("coordinates")
    if c is None:
        return None, None
    if not (isinstance(c, list) and len(c) == 2 and all(_is_num(x) for x in c)):
        raise Bad(BAD_TYPE, f"{path}.coordinates is not a [lon, lat] pair")
    return float(c[1]), float(c[0])


def _v1_point(t: dict) -> tuple[float, float] | tuple[None, None]:
    lat, lon = _point(_get(t, "coordinates", dict, "coordinates"), "coordinates")
    if lat is None:  # the deprecated `geo` field is [lat, lon]
        lon_lat = _point(_get(t, "geo", dict, "geo"), "geo")
        lat, lon = (lon_lat[1], lon_lat[0]) if lon_lat[0] is not None else (None, None)
    return lat, lon


# ---- v2 -----------------------------------------------------------------------------------------
class _V2Index:
    """Users, tweets and places a v2 tweet references, from `includes` or inlined by twarc (flat)."""

    def __init__(self, tweet: dict, includes: dict):
        self.users: dict[str, dict] = {}
        self.users_by_name: dict[str, dict] = {}
        self.tweets: dict[str, dict] = {}
        self.places: dict[str, dict] = {}
        for u in _objs(includes, "users", "includes.users"):
            self._user(u)
        for t in _objs(includes, "tweets", "includes.tweets"):
            if isinstance(t.get("id"), str):
                self.tweets[t["id"]] = t
        for p in _objs(includes, "places", "includes.places"):
            if isinstance(p.get("id"), str):
                self.places[p["id"]] = p
        # twarc flat: expansions merged into the tweet itself
        for key in ("author", "in_reply_to_user"):
            if isinstance(tweet.get(key), dict):
                self._user(tweet[key])
        for ref in _objs(tweet, "referenced_tweets", "referenced_tweets"):
            if "text" in ref and isinstance(ref.get("id"), str):
                self.tweets.setdefault(ref["id"], ref)
                if isinstance(ref.get("author"), dict):
                    self._user(ref["author"])
        for m in _objs(_obj(tweet, "entities", "entities"), "mentions", "entities.mentions"):
            if "id" in m and "username" in m:
                self._user(m)
        geo = _obj(tweet, "geo", "geo")
        if isinstance(geo.get("place_id"), str) and ("full_name" in geo or "country_code" in geo):
            self.places.setdefault(geo["place_id"], geo)

    def _user(self, u: dict) -> None:
        if isinstance(u.get("id"), str):
            self.users.setdefault(u["id"], u)
        if isinstance(u.get("username"), str):
            self.users_by_name.setdefault(u["username"].lower(), u)


def _v2_full(t: dict, path: str) -> tuple[str | None, dict]:
    """(full text, its entities): note_tweet (long posts) > text."""
    p = f"{path}." if path else ""
    note = _obj(t, "note_tweet", f"{p}note_tweet")
    text = _get(note, "text", str, f"{p}note_tweet.text")
    if text is not None:
        return text, _obj(note, "entities", f"{p}note_tweet.entities")
    return _get(t, "text", str, f"{p}text"), _obj(t, "entities", f"{p}entities")


def _v2_entities(ent: dict, path: str, idx: _V2Index) -> dict[str, list]:
    tags = [_get(h, "tag", str, f"{path}.hashtags[].tag") for h in _objs(ent, "hashtags", f"{path}.hashtags")]
    cash = [_get(h, "tag", str, f"{path}.cashtags[].tag") for h in _objs(ent, "cashtags", f"{path}.cashtags")]
    mentions = []
    for m in _objs(ent, "mentions", f"{path}.mentions"):
        name = _get(m, "username", str, f"{path}.mentions[].username")
        uid = _id(m.get("id"), f"{path}.mentions[].id", required=False)
        if uid is None and name and name.lower() in idx.users_by_name:
            uid = _id(idx.users_by_name[name.lower()].get("id"), "includes.users[].id", required=False)
        mentions.append({"user_id": uid, "username": name})
    urls = [{"url": _get(u, "url", str, f"{path}.urls[].url"),
             "expanded_url": _get(u, "expanded_url", str, f"{path}.urls[].expanded_url")}
            for u in _objs(ent, "urls", f"{path}.urls")]
    return {"hashtags": tags, "cashtags": cash, "mentions": mentions, "urls": urls}


def _v2(t: dict, includes: dict) -> dict[str, Any]:
    tid = _id(t.get("id"), "id", required=True)
    try:
        return _v2_row(t, includes, tid)
    except Bad as e:
        e.tweet_id = tid
        raise


def _v2_row(t: dict, includes: dict, tid: str) -> dict[str, Any]:
    author_id = _id(t.get("author_id"), "author_id", required=True, missing_reason=MISSING_USER)
    created_at = _time(t.get("created_at"), "created_at", None)
    idx = _V2Index(t, includes)
    text, ent = _v2_full(t, "")
    if text is None:
        raise Bad(NOT_A_TWEET, "no text")
    entities = _v2_entities(ent, "entities", idx)

    refs: dict[str, str] = {}
    for i, ref in enumerate(_objs(t, "referenced_tweets", "referenced_tweets")):
        kind = _get(ref, "type", str, f"referenced_tweets[{i}].type")
        rid = _id(ref.get("id"), f"referenced_tweets[{i}].id", required=False)
        if kind and rid:
            refs.setdefault(kind, rid)
    rt_id, qt_id, reply_id = refs.get("retweeted"), refs.get("quoted"), refs.get("replied_to")
    rt_author = qt_author = None
    if rt_id:
        rt = idx.tweets.get(rt_id, {})
        rt_author = _id(rt.get("author_id"), "includes.tweets[].author_id", required=False)
        rt_name = _get(idx.users.get(rt_author or "", {}), "username", str, "includes.users[].username")
        rt_text, rt_ent = _v2_full(rt, "includes.tweets[]") if rt else (None, {})
        if rt_text is not None and rt_name:
            # A retweet's own text is cut to 140 characters: rebuild it from the original.
            text = f"RT @{rt_name}: {rt_text}"
            full = _v2_entities(rt_ent, "includes.tweets[].entities", idx)
            full["mentions"] = [{"user_id": rt_author, "username": rt_name}] + full["mentions"]
            entities = _merge_entities(entities, full)
    if qt_id:
        qt_author = _id(idx.tweets.get(qt_id, {}).get("author_id"), "includes.tweets[].author_id", required=False)
    reply_user = _id(t.get("in_reply_to_user_id"), "in_reply_to_user_id", required=False)

    user = idx.users.get(author_id, {})
    metrics = _obj(user, "public_metrics", "author.public_metrics")
    tm = _obj(t, "public_metrics", "public_metrics")
    geo = _obj(t, "geo", "geo")
    place_id = _get(geo, "place_id", str, "geo.place_id")
    place = dict(idx.places.get(place_id, {})) if place_id else {}
    if place_id:
        place.setdefault("id", place_id)
    pgeo = _obj(place, "geo", "place.geo")
    bbox = _get(pgeo, "bbox", list, "place.geo.bbox")
    if bbox is not None and not (len(bbox) == 4 and all(_is_num(x) for x in bbox)):
        raise Bad(BAD_TYPE, "place.geo.bbox is not [west, south, east, north]")
    lat, lon = _point(_get(geo, "coordinates", dict, "geo.coordinates"), "geo.coordinates")
    conversation = _id(t.get("conversation_id"), "conversation_id", required=False)
    return {
        "tweet_id": int(tid),
        "created_at": created_at,
        "text": text,
        "lang": _get(t, "lang", str, "lang"),
        "source_client": _get(t, "source", str, "source"),
        "possibly_sensitive": _get(t, "possibly_sensitive", bool, "possibly_sensitive"),
        "tweet_type": _tweet_type(rt_id, reply_id or reply_user, qt_id),
        "conversation_id": _int_id(conversation),
        "reply_to_tweet_id": _int_id(reply_id),
        "retweeted_tweet_id": _int_id(rt_id),
        "quoted_tweet_id": _int_id(qt_id),
        "retweet_count": _get(tm, "retweet_count", int, "public_metrics.retweet_count"),
        "reply_count": _get(tm, "reply_count", int, "public_metrics.reply_count"),
        "like_count": _get(tm, "like_count", int, "public_metrics.like_count"),
        "quote_count": _get(tm, "quote_count", int, "public_metrics.quote_count"),
        "impression_count": _get(tm, "impression_count", int, "public_metrics.impression_count"),
        **_tags(entities),
        "author_id": author_id,
        "author_username": _get(user, "username", str, "author.username"),
        "author_name": _get(user, "name", str, "author.name"),
        "author_description": _get(user, "description", str, "author.description"),
        "author_url": _get(user, "url", str, "author.url"),
        "author_profile_image_url": _get(user, "profile_image_url", str, "author.profile_image_url"),
        "author_created_at": _get(user, "created_at", str, "author.created_at"),
        "author_location": _get(user, "location", str, "author.location"),
        "author_verified": _get(user, "verified", bool, "author.verified"),
        "author_followers_count": _get(metrics, "followers_count", int, "author.public_metrics.followers_count"),
        "author_following_count": _get(metrics, "following_count", int, "author.public_metrics.following_count"),
        "author_tweet_count": _get(metrics, "tweet_count", int, "author.public_metrics.tweet_count"),
        "author_listed_count": _get(metrics, "listed_count", int, "author.public_metrics.listed_count"),
        **_links_and_place(entities, reply_user, rt_author, qt_author,
                           _place(place, "place", [float(x) for x in bbox] if bbox else None), lat, lon, V2),
        **_edit_chain(tid, _get(t, "edit_history_tweet_ids", list, "edit_history_tweet_ids")),
    }


# ---- shared -------------------------------------------------------------------------------------
def _merge_entities(own: dict[str, list], full: dict[str, list]) -> dict[str, list]:
    """Entities of a rebuilt retweet text: the original's, then any of the retweet's own not seen."""
    return {k: full[k] + [e for e in own[k] if e not in full[k]] for k in own}


def _tags(entities: dict[str, list]) -> dict[str, list]:
    return {"hashtags": _distinct(h.lower() for h in entities["hashtags"] if h),
            "cashtags": _distinct(c.upper() for c in entities["cashtags"] if c)}


def _links_and_place(entities: dict[str, list], reply_user: str | None, rt_author: str | None,
                     qt_author: str | None, place: dict[str, Any], lat: float | None, lon: float | None,
                     fmt: str) -> dict[str, Any]:
    """The row's last columns, in BRONZE order, the same for both formats: who it points at, where, which parser."""
    return {"mentions": entities["mentions"], "reply_to_user_id": reply_user, "retweeted_author_id": rt_author,
            "quoted_author_id": qt_author, "urls": entities["urls"], **place, "geo_lat": lat, "geo_lon": lon,
            "source_format": fmt}


def _edit_chain(tid: str, history: list | None) -> dict[str, int]:
    """The bronze row's edit columns from a v2 tweet's edit_history_tweet_ids (oldest..newest, its own
    id among them). Every version of an edited tweet is a tweet of its own; the chain's key is its
    first id, the original tweet's, which no later edit changes (docs/modeling.md, "Edited tweets").
    No history (v1.1, v2 before edits existed) is a chain of one: the tweet itself."""
    if not history or (len(history) == 1 and history[0] == tid):  # never edited: most tweets, ~3 µs saved
        return {"edit_root_id": int(tid), "edit_version": 0, "edit_versions": 1}
    ids = [_id(x, f"edit_history_tweet_ids[{i}]", required=True) for i, x in enumerate(history)]
    # own id absent (never seen from X): the version after the ones listed
    version = ids.index(tid) if tid in ids else len(ids)
    return {"edit_root_id": int(ids[0]), "edit_version": version, "edit_versions": max(len(ids), version + 1)}


def _tweet_type(retweeted: Any, reply: Any, quoted: Any) -> str:
    """One label per tweet; a reply that quotes is a reply (the ids keep both relations)."""
    if retweeted:
        return "retweet"
    if reply:
        return "reply"
    if quoted:
        return "quote"
    return "original"


def _place(p: dict, path: str, bbox: list[float] | None) -> dict[str, Any]:
    cc = _get(p, "country_code", str, f"{path}.country_code")
    return {
        "place_id": _get(p, "id", str, f"{path}.id"),
        "place_name": _get(p, "name", str, f"{path}.name"),
        "place_full_name": _get(p, "full_name", str, f"{path}.full_name"),
        "place_type": _get(p, "place_type", str, f"{path}.place_type"),
        "country": cc.upper() if cc else None,
        "country_name": _get(p, "country", str, f"{path}.country"),
        "place_bbox": bbox,
    }


# ---- the entry point ----------------------------------------------------------------------------
_DEFAULT_PII: pii_mod.Pii | None = None


def _default_pii() -> pii_mod.Pii:
    global _DEFAULT_PII
    if _DEFAULT_PII is None:
        _DEFAULT_PII = pii_mod.from_env()
    return _DEFAULT_PII


def to_bronze(json_text: str | bytes, ingest_meta: dict[str, Any],
              pii: pii_mod.Pii | None = None) -> tuple[dict[str, Any] | None, Reject | None]:
    """(bronze row, None) or (None, Reject). Never raises for bad input.

    ingest_meta: ingest_date ('YYYY-MM-DD'), ingest_hour ('HH'), source_file, kafka_partition,
    kafka_offset (see meta_for_line). pii: the classification and key; default from the
    environment (LAKE_PII_KEY, else the lake's secret store).
    """
    try:
        raw = extract(json_text)
    except Bad as e:
        return None, e.reject()
    row = (pii or _default_pii()).protect(raw)
    row["created_date"] = row["created_at"].date()
    for k in META_COLUMNS:
        row[k] = ingest_meta.get(k)
    return row, None


def reject_row(reject: Reject, json_text: str | bytes, ingest_meta: dict[str, Any]) -> dict[str, Any]:
    """The bronze.tweets_rejected row: reason and where the record is in raw, never its content."""
    size = len(json_text.encode("utf-8") if isinstance(json_text, str) else json_text)
    return {"reason": reject.reason, "detail": reject.detail, "tweet_id": reject.tweet_id,
            "payload_bytes": size, **{k: ingest_meta.get(k) for k in META_COLUMNS}}


def meta_for_file(path: str) -> dict[str, Any]:
    """Ingest metadata shared by every line of a raw-sink file (from its path and name)."""
    path = unquote(path)  # Spark's file_path is a URI: '+' may come as %2B
    name = path.rsplit("/", 1)[-1]
    m = SINK_FILE.match(name)
    d = _PARTITION_DIR.search(path)
    return {"ingest_date": d["date"] if d else None, "ingest_hour": d["hour"] if d else None,
            "source_file": name, "kafka_partition": int(m["partition"]) if m else None,
            "first_offset": int(m["first"]) if m else None}
