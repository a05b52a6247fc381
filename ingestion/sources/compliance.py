"""X compliance events (tweet and user deletions, protect/suspend, scrub-geo) in X's own formats.

Accepted, one JSON value per line, unchanged from what X sends (so real exports replay as they are):

* API v2 compliance stream lines, one kind per line:
    {"data": {"delete": {"tweet": {"id": "1", "author_id": "2"}, "event_at": "2026-...Z"}}}
    {"data": {"user_delete": {"user": {"id": "2"}, "event_at": "..."}}}        (and user_protect,
        user_suspend, user_undelete, user_unprotect, user_unsuspend)
    {"data": {"scrub_geo": {"user": {"id": "2"}, "up_to_tweet_id": "9", "event_at": "..."}}}
* API v1.1 streaming notices:
    {"delete": {"status": {"id_str": "1", "user_id_str": "2"}, "timestamp_ms": "1700000000000"}}
    {"scrub_geo": {"user_id_str": "2", "up_to_status_id_str": "9"}}

`parse` is pure: an `Event`, or `BadEvent` with a reason code (ingestion/records.py) and one line.
`events` reads files into Records (keyed by tweet id, or user id for user events; the payload is the
line as read) and Rejected units for tweets.dlq. Applying them is lake/pipeline/comply.py.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Iterator

from ingestion import records as r
from ingestion.records import Record, Rejected

DELETE = "delete"
USER_DELETE, USER_PROTECT, USER_SUSPEND = "user_delete", "user_protect", "user_suspend"
SCRUB_GEO = "scrub_geo"
USER_UNDELETE, USER_UNPROTECT, USER_UNSUSPEND = "user_undelete", "user_unprotect", "user_unsuspend"

# Applied by `make comply`: every row of the tweet, or of every tweet of the user, leaves every layer.
ACTING = (DELETE, USER_DELETE, USER_PROTECT, USER_SUSPEND)
USER_ACTING = (USER_DELETE, USER_PROTECT, USER_SUSPEND)
# Applied by `make comply` too: the place and coordinates of the user's tweets up to an id go.
SCRUBBING = (SCRUB_GEO,)
APPLIED = ACTING + SCRUBBING
# Recorded in the ledger, not acted on: deleted data is never brought back.
RECORDED_ONLY = (USER_UNDELETE, USER_UNPROTECT, USER_UNSUSPEND)
KINDS = ACTING + SCRUBBING + RECORDED_ONLY
_USER_KINDS = USER_ACTING + (SCRUB_GEO, USER_UNDELETE, USER_UNPROTECT, USER_UNSUSPEND)
_MAX_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    tweet_id: str | None      # delete
    user_id: str | None       # author of a deleted tweet when given; the user of user events
    event_at: str | None      # ISO 8601 UTC, as X gave it (v1.1 timestamp_ms converted)
    up_to_tweet_id: str | None = None  # scrub_geo
    format: str = r.V2

    @property
    def key(self) -> str:
        """The Kafka key: the tweet id of a tweet event, the user id of a user event."""
        return self.tweet_id if self.kind == DELETE else self.user_id

    @property
    def acting(self) -> bool:
        return self.kind in ACTING


class BadEvent(ValueError):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason, self.message = reason, message


def _id(value, what: str, required: bool = True) -> str | None:
    if value is None or value == "":
        if required:
            raise BadEvent(r.MISSING_ID, f"{what} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadEvent(r.BAD_ID_TYPE, f"{what} is a JSON {type(value).__name__}, expected a decimal id string")
    text = str(value)
    if not text.isdecimal() or not text.isascii() or text.startswith("0") or int(text) > _MAX_ID:
        raise BadEvent(r.BAD_ID, f"{what} is not a decimal 64-bit id")
    return text


def _obj(o, key: str) -> dict:
    v = o.get(key) if isinstance(o, dict) else None
    return v if isinstance(v, dict) else {}


def _v1_time(ms) -> str | None:
    try:
        return datetime.fromtimestamp(int(ms) / 1000, timezone.utc).isoformat(timespec="milliseconds") \
            .replace("+00:00", "Z")
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _one_kind(o: dict, where: str) -> tuple[str, object]:
    if len(o) != 1:
        kinds = ", ".join(sorted(map(str, o))) or "none"
        raise BadEvent(r.UNKNOWN_EVENT, f"{where} must hold exactly one event kind, found: {kinds[:200]}")
    return next(iter(o.items()))


def parse(obj) -> Event:
    """One decoded compliance line -> Event, or BadEvent (unknown kind, missing or bad id)."""
    if not isinstance(obj, dict):
        raise BadEvent(r.UNKNOWN_EVENT, f"a JSON {type(obj).__name__}, not a compliance event object")
    if "data" in obj:
        kind, body = _one_kind(obj["data"] if isinstance(obj["data"], dict) else {}, "data")
        if kind not in KINDS:
            raise BadEvent(r.UNKNOWN_EVENT, f"unknown compliance event kind {kind[:60]!r}")
        if not isinstance(body, dict):
            raise BadEvent(r.MISSING_ID, f"data.{kind} is not an object")
        at = body.get("event_at") if isinstance(body.get("event_at"), str) else None
        if kind == DELETE:
            tweet = _obj(body, "tweet")
            return Event(DELETE, _id(tweet.get("id"), "data.delete.tweet.id"),
                         _id(tweet.get("author_id"), "data.delete.tweet.author_id", required=False), at)
        user = _id(_obj(body, "user").get("id"), f"data.{kind}.user.id")
        up_to = _id(body.get("up_to_tweet_id"), f"data.{kind}.up_to_tweet_id") if kind == SCRUB_GEO else None
        return Event(kind, None, user, at, up_to)
    kind, body = _one_kind(obj, "the line")
    if kind == DELETE:  # v1.1 status deletion notice
        status = _obj(body, "status")
        return Event(DELETE, _id(status.get("id_str") or status.get("id"), "delete.status.id_str"),
                     _id(status.get("user_id_str") or status.get("user_id"), "delete.status.user_id_str",
                         required=False), _v1_time(_obj(obj, DELETE).get("timestamp_ms")), format=r.V1)
    if kind == SCRUB_GEO:
        body = body if isinstance(body, dict) else {}
        return Event(SCRUB_GEO, None, _id(body.get("user_id_str") or body.get("user_id"), "scrub_geo.user_id_str"),
                     _v1_time(body.get("timestamp_ms")),
                     _id(body.get("up_to_status_id_str") or body.get("up_to_status_id"), "scrub_geo.up_to_status_id_str"),
                     format=r.V1)
    raise BadEvent(r.UNKNOWN_EVENT, f"unknown compliance event kind {str(kind)[:60]!r}")


def event_time(text: str | None) -> datetime | None:
    """An event's `event_at` as a naive UTC datetime (the ledger's TIMESTAMP); None when absent or unreadable."""
    if not text:
        return None
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t.astimezone(timezone.utc).replace(tzinfo=None) if t.tzinfo else t


def parse_bytes(data: bytes) -> Event:
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        raise BadEvent(r.INVALID_JSON, "not one complete JSON value") from None
    return parse(obj)


def item(data: bytes, origin: str, raw_cap: int = r.RAW_CAP) -> Record | Rejected:
    """One line -> a Record for tweets.compliance (payload unchanged) or a Rejected for tweets.dlq."""
    try:
        ev = parse_bytes(data)
    except BadEvent as e:
        return r.reject(e.reason, e.message, origin, data, cap=raw_cap)
    return Record(ev.key, bytes(data), ev.format, origin)


def events(paths: Iterable[str] | str, raw_cap: int = r.RAW_CAP) -> Iterator[Record | Rejected]:
    """Records and Rejected of JSON Lines files (plain or gzip), read with the replay source's framing."""
    from ingestion.sources.replay import expand_paths

    return _events(expand_paths(paths), raw_cap)  # a missing file fails now (SourceError), before any produce


def _events(files: list[str], raw_cap: int) -> Iterator[Record | Rejected]:
    from ingestion.sources import framing
    from ingestion.sources.replay import DEFAULT_MAX_LINE_BYTES

    for path in files:
        for unit in framing.iter_units(path, DEFAULT_MAX_LINE_BYTES, raw_cap):
            if unit.problem:
                yield r.reject(unit.problem, unit.detail or unit.problem, unit.origin, unit.data, unit.size, raw_cap)
            else:
                yield item(unit.data, unit.origin, raw_cap)


# ---- a firehose's deletes -------------------------------------------------------------------------
# Snowflake ids carry their creation time: (id >> 22) + this epoch = milliseconds since 1970.
_SNOWFLAKE_EPOCH_MS = 1288834974657


class DeleteSample:
    """Passes a source's items through and picks about `share` of its tweets to be deleted later, the way
    a real firehose is followed by deletion notices (1-3% of tweets). The pick is a hash of the tweet id
    and the seed: the same run picks the same tweets. `events()` then gives one v2 (or v1.1, as the
    tweet) deletion line per picked tweet, an hour after it was posted."""

    def __init__(self, share: float, seed: int = 0):
        if not 0 <= share <= 1:
            raise ValueError("the delete share is a fraction between 0 and 1")
        self.threshold, self.seed = int(share * 2**32), seed
        self.picked: list[tuple[str, str | None, str]] = []   # (tweet id, author id, format)

    def _chosen(self, tweet_id: str) -> bool:
        import hashlib

        digest = hashlib.blake2b(f"{self.seed}:{tweet_id}".encode(), digest_size=4).digest()
        return int.from_bytes(digest, "big") < self.threshold

    def watch(self, items: Iterable) -> Iterator:
        for it in items:
            if isinstance(it, Record) and self._chosen(it.key):
                obj = json.loads(it.payload)
                t = obj.get("data", obj) if isinstance(obj, dict) else {}
                author = (t.get("user") or {}).get("id_str") if it.format == r.V1 else t.get("author_id")
                self.picked.append((it.key, author, it.format))
            yield it

    def events(self) -> list[bytes]:
        out = []
        for tweet_id, author, fmt in self.picked:
            at_ms = (int(tweet_id) >> 22) + _SNOWFLAKE_EPOCH_MS + 3600_000
            if fmt == r.V1:
                event = {"delete": {"status": {"id": int(tweet_id), "id_str": tweet_id, "user_id_str": author},
                                    "timestamp_ms": str(at_ms)}}
            else:
                event = {"data": {DELETE: {"tweet": {"id": tweet_id, "author_id": author}, "event_at": _v1_time(at_ms)}}}
            out.append(json.dumps(event, separators=(",", ":")).encode())
        return out
