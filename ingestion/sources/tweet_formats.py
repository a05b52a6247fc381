"""Recognise Twitter payload shapes and check the few fields the lake keys on.

Only what downstream layers cannot live without is checked (a usable id and an
author); everything else is landed unchanged so bronze can evolve its parsing.
"""
from __future__ import annotations

import re
from typing import Any

from ingestion import records as r

V1_TWEET = "v1_tweet"
V2_TWEET = "v2_tweet"
V2_PAGE = "v2_page"
ACTIVITY_STREAMS = "activity_streams"
OTHER = "other"

# Keys only v1.1 tweets carry; v2 tweets (even twarc-flattened) have none of them.
_V1_MARKERS = ("id_str", "user", "in_reply_to_status_id", "favorited", "retweeted",
               "is_quote_status", "truncated")
_TEXT_KEYS = ("text", "full_text")
_DECIMAL_ID = re.compile(r"[1-9][0-9]{0,18}\Z")  # canonical: no sign, no leading zeros
_MAX_ID = 2**63 - 1  # bronze stores tweet_id as bigint


class InvalidTweet(Exception):
    """A tweet-shaped object that cannot be keyed; carries the reason code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def looks_like_tweet(obj: Any) -> bool:
    return isinstance(obj, dict) and any(k in obj for k in _TEXT_KEYS)


def classify(obj: Any) -> str:
    """Which shape a decoded top-level JSON value has (see module constants)."""
    if not isinstance(obj, dict):
        return OTHER
    if ("actor" in obj and "verb" in obj) or obj.get("objectType") == "activity":
        return ACTIVITY_STREAMS
    if "data" in obj:
        return V2_PAGE
    if not looks_like_tweet(obj):
        return OTHER
    if any(k in obj for k in _V1_MARKERS):
        return V1_TWEET
    return V2_TWEET


def _checked_id(value: str, field: str) -> str:
    if not _DECIMAL_ID.match(value) or int(value) > _MAX_ID:
        raise InvalidTweet(r.BAD_ID, f"{field} {value[:40]!r} is not a decimal 64-bit tweet id")
    return value


def v1_key(tweet: dict) -> str:
    """The key of a v1.1 tweet: its `id_str`. A bare numeric `id` is refused, not trusted.

    JSON numbers above 2**53 are silently rounded by many producers (JavaScript,
    float parsers); the shared `original_format_missing_field.json` shows exactly
    that (`id` ...200 vs `id_str` ...160), so only the string is authoritative.
    """
    id_str = tweet.get("id_str")
    if id_str is None:
        if isinstance(tweet.get("id"), (int, float)) and not isinstance(tweet.get("id"), bool):
            raise InvalidTweet(r.BAD_ID_TYPE, "v1 tweet has a numeric id but no id_str (may have lost precision)")
        raise InvalidTweet(r.MISSING_ID, "v1 tweet has no id_str")
    if not isinstance(id_str, str):
        raise InvalidTweet(r.BAD_ID_TYPE, f"v1 id_str is a JSON {type(id_str).__name__}, not a string")
    key = _checked_id(id_str, "v1 id_str")
    user = tweet.get("user")
    if not isinstance(user, dict) or not ("id_str" in user or "id" in user):
        raise InvalidTweet(r.MISSING_USER, "v1 tweet has no user object with an id")
    return key


def v2_key(tweet: dict) -> str:
    """The key of a v2 tweet: its `id`, which the v2 API always sends as a string."""
    tid = tweet.get("id")
    if tid is None:
        raise InvalidTweet(r.MISSING_ID, "v2 tweet has no id")
    if not isinstance(tid, str):
        raise InvalidTweet(r.BAD_ID_TYPE, f"v2 id is a JSON {type(tid).__name__}; v2 ids are strings")
    key = _checked_id(tid, "v2 id")
    author = tweet.get("author_id")
    if not isinstance(author, str) or not author:
        raise InvalidTweet(r.MISSING_USER, "v2 tweet has no author_id")
    return key


def page_entries(page: dict) -> list | None:
    """The `data` entries of a v2 page that holds tweets, or None when it holds none.

    A page whose `data` is one tweet (filtered-stream message) yields None as well:
    that line is already a single-tweet message and is kept unchanged.
    """
    data = page.get("data")
    if isinstance(data, list) and any(looks_like_tweet(e) for e in data):
        return data
    return None


def is_stream_message(page: dict) -> bool:
    return looks_like_tweet(page.get("data"))


class PageIncludes:
    """Index of one page's `includes` so each tweet can take only what it references."""

    def __init__(self, page: dict) -> None:
        includes = page.get("includes")
        self.includes = includes if isinstance(includes, dict) else {}
        self.errors = _dicts(page.get("errors"))
        self.extra = {k: page[k] for k in ("matching_rules", "__twarc") if k in page}
        self.user_id_by_name: dict[str, str] = {}
        self.tweets: dict[str, dict] = {}
        for user in self._entries("users"):
            if isinstance(user.get("username"), str) and isinstance(user.get("id"), str):
                self.user_id_by_name[user["username"].lower()] = user["id"]
        for tweet in self._entries("tweets"):
            if isinstance(tweet.get("id"), str):
                self.tweets[tweet["id"]] = tweet

    def _entries(self, kind: str) -> list[dict]:
        return _dicts(self.includes.get(kind))

    def _refs(self, tweet: dict, wanted: dict[str, set], follow_tweets: bool) -> None:
        users = wanted["users"]
        for field in ("author_id", "in_reply_to_user_id"):
            if isinstance(tweet.get(field), str):
                users.add(tweet[field])
        for mention in _dicts(_dict(tweet.get("entities")).get("mentions")):
            if isinstance(mention.get("id"), str):
                users.add(mention["id"])
            name = mention.get("username")
            if isinstance(name, str):
                wanted["usernames"].add(name.lower())
                if name.lower() in self.user_id_by_name:
                    users.add(self.user_id_by_name[name.lower()])
        place_id = _dict(tweet.get("geo")).get("place_id")
        if isinstance(place_id, str):
            wanted["places"].add(place_id)
        attachments = _dict(tweet.get("attachments"))
        wanted["media"].update(_strings(attachments.get("media_keys")))
        wanted["polls"].update(_strings(attachments.get("poll_ids")))
        if follow_tweets:
            ref_ids = [ref["id"] for ref in _dicts(tweet.get("referenced_tweets")) if isinstance(ref.get("id"), str)]
            for ref_id in ref_ids + _strings(tweet.get("edit_history_tweet_ids")):
                wanted["tweets"].add(ref_id)
                if ref_id in self.tweets:
                    self._refs(self.tweets[ref_id], wanted, follow_tweets=False)

    def message_for(self, tweet: dict) -> dict:
        """`{"data": tweet, "includes": {...referenced only}, "errors"?, "matching_rules"?, "__twarc"?}`.

        Referenced = the tweet's author, reply-to user, mentioned users, place, media,
        polls, referenced tweets and edit-history versions, plus the same (but not
        their own referenced tweets) for each such tweet found in the page: exactly
        one level, as the v2 expansions deliver. Include lists keep the page's order.
        """
        wanted: dict[str, set] = {"users": set(), "tweets": set(), "places": set(), "media": set(),
                                  "polls": set(), "usernames": set()}
        self._refs(tweet, wanted, follow_tweets=True)
        id_field = {"media": "media_key"}
        chosen = {}
        for kind, entries in self.includes.items():
            ids = wanted.get(kind)
            if not ids or not isinstance(entries, list):
                continue
            field = id_field.get(kind, "id")
            picked = [e for e in _dicts(entries) if isinstance(e.get(field), str) and e[field] in ids]
            if picked:
                chosen[kind] = picked
        message: dict[str, Any] = {"data": tweet}
        if chosen:
            message["includes"] = chosen
        if self.errors:
            # Keep the page's errors that explain a missing include of this tweet,
            # e.g. "User has been suspended: [name]" for a mentioned user.
            related = set().union(*wanted.values()) | {tweet.get("id")}
            errors = [e for e in self.errors
                      if any(isinstance(e.get(f), str) and e[f].lower() in related
                             for f in ("resource_id", "value"))]
            if errors:
                message["errors"] = errors
        message.update(self.extra)
        return message


# Payloads are untrusted: these read optional containers without ever raising.
def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


# ---- containers of tweets and the X account archive --------------------------------------------------
def search_statuses(obj: Any) -> list | None:
    """The tweets of a v1.1 search response `{"statuses": [...], "search_metadata": {...}}`."""
    if isinstance(obj, dict) and isinstance(obj.get("statuses"), list):
        return obj["statuses"]
    return None


def lookup_map(obj: Any) -> dict | None:
    """v1.1 statuses/lookup with map=true: `{"id": {"<id>": tweet or null, ...}}`."""
    if isinstance(obj, dict) and len(obj) == 1 and isinstance(obj.get("id"), dict) \
            and all(v is None or isinstance(v, dict) for v in obj["id"].values()):
        return obj["id"]
    return None


def archive_tweet(obj: Any) -> dict | None:
    """The tweet of an X account archive entry `{"tweet": {...}}` (tweets.js), else None."""
    if isinstance(obj, dict) and len(obj) == 1 and looks_like_tweet(obj.get("tweet")):
        return obj["tweet"]
    return None


_ARCHIVE_COUNTS = ("favorite_count", "retweet_count", "reply_count", "quote_count")
_DECIMAL = re.compile(r"-?[0-9]{1,18}\Z")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?\Z")


def from_archive(tweet: dict, user: dict) -> dict:
    """An archive tweet as the v1.1 tweet it was exported from: the account as its `user`, and the
    numbers the archive writes as strings ("favorite_count": "3", coordinates ["40.4", "-3.7"])
    as JSON numbers again. Everything else (text with its &amp; escapes, entities, ids) unchanged."""
    out = dict(tweet)
    out.setdefault("user", user)
    for key in _ARCHIVE_COUNTS:
        if isinstance(out.get(key), str) and _DECIMAL.match(out[key]):
            out[key] = int(out[key])
    for key in ("coordinates", "geo"):
        point = out.get(key)
        if isinstance(point, dict) and isinstance(point.get("coordinates"), list) \
                and all(isinstance(c, str) and _NUMBER.match(c) for c in point["coordinates"]):
            out[key] = {**point, "coordinates": [float(c) for c in point["coordinates"]]}
    return out
