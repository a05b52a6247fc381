"""Serialize synthetic users and tweets as v2 (twarc flat) or v1.1 (streaming) JSON.

Speed matters (>= 20k tweets/s target), so each user, place and tweet is encoded
once and reused as a JSON fragment: an author is spliced into every tweet they
write, a tweet into every retweet/reply/quote of it, and tweet bodies are filled
into templates. Strings go through the json module's own escaper and everything
else is digits, literals or fixed ASCII, so every payload equals
`json.dumps(json.loads(p), separators=(",", ":"))` (tests check this).
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

from ingestion.sources import synthetic_vocab as vocab

_q = json.encoder.encode_basestring_ascii  # a quoted, escaped JSON string, exactly as _enc writes it


def _compact_encoder():
    """json.dumps(obj, separators=(",", ":")) without its per-call setup (half the cost on small dicts)."""
    if json.encoder.c_make_encoder is None:  # pure-Python json build: same output, just slower
        return json.JSONEncoder(separators=(",", ":"), check_circular=False).encode
    chunks = json.encoder.c_make_encoder(None, None, _q, None, ":", ",", False, False, True)
    return lambda obj: "".join(chunks(obj, 0))


_enc = _compact_encoder()
_DAY_MS = 86_400_000
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_HOURS = [f"{h:02d}:" for h in range(24)]
_MINUTES_SECONDS = [f"{m:02d}:{s:02d}" for m in range(60) for s in range(60)]
_REF_TYPES = {"retweet": "retweeted", "reply": "replied_to", "quote": "quoted"}
V1_TRUNCATE_AT = 115  # v1 compat text: 115 chars + "… " + 23-char t.co link = 140


def b62(value: int, width: int) -> str:
    out = []
    for _ in range(width):
        value, digit = divmod(value, 62)
        out.append(_B62[digit])
    return "".join(out)


def tco(tweet_id: int, n: int) -> str:
    """A stable fake t.co link for the n-th link of a tweet (no randomness consumed)."""
    mixed = (tweet_id * 0x9E3779B97F4A7C15 + (n + 1) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    return "https://t.co/" + b62(mixed, 10)


def display_url(url: str) -> str:
    bare = url.split("://", 1)[-1]
    return bare if len(bare) <= 26 else bare[:25] + "…"


def place_id(full_name: str) -> str:
    """16 hex digits like Twitter's place ids, stable across runs and machines."""
    return hashlib.sha1(full_name.encode("utf-8")).hexdigest()[:16]


class _Clock:
    """created_at strings; the date part is cached per UTC day because tweets arrive in time order."""

    def __init__(self) -> None:
        self._day = -1
        self._iso_date = self._v1_head = self._year = ""

    def _load(self, ms: int) -> None:
        day = ms // _DAY_MS
        if day != self._day:
            d = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(days=day)
            self._day, self._iso_date, self._year = day, d.strftime("%Y-%m-%dT"), str(d.year)
            self._v1_head = f"{_WEEKDAYS[d.weekday()]} {_MONTHS[d.month - 1]} {d.day:02d} "

    @staticmethod
    def _hms(ms: int) -> str:
        s = (ms % _DAY_MS) // 1000
        return _HOURS[s // 3600] + _MINUTES_SECONDS[s % 3600]

    def iso(self, ms: int) -> str:
        self._load(ms)
        return f"{self._iso_date}{self._hms(ms)}.000Z"

    def v1(self, ms: int) -> str:
        self._load(ms)
        return f"{self._v1_head}{self._hms(ms)} +0000 {self._year}"


def iso_time(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def v1_time(ms: int) -> str:
    t = datetime.fromtimestamp(ms // 1000, timezone.utc)
    return f"{_WEEKDAYS[t.weekday()]} {_MONTHS[t.month - 1]} {t.day:02d} {t:%H:%M:%S} +0000 {t.year}"


class V2Renderer:
    """Twitter API v2 tweets with expansions inlined the way `twarc2 flatten` writes them."""

    def __init__(self) -> None:
        self.clock = _Clock()
        self.places = [self._place(p) for p in vocab.PLACES]
        self.place_ids = [place_id(p[1]) for p in vocab.PLACES]

    @staticmethod
    def _place(p: tuple) -> str:
        name, full_name, country, cc, (w, s, e, n), _aliases = p
        return _enc({"id": place_id(full_name), "full_name": full_name, "name": name, "country": country,
                     "country_code": cc, "place_type": "city",
                     "geo": {"type": "Feature", "bbox": [w, s, e, n], "properties": {}}})

    def user(self, u) -> None:
        obj = {"id": u.id_str, "username": u.username, "name": u.name, "created_at": iso_time(u.created_ms),
               "description": u.bio}
        if u.location:
            obj["location"] = u.location  # the API omits an empty location
        obj.update({"verified": u.verified, "protected": False, "url": "", "profile_image_url": u.avatar,
                    "public_metrics": {"followers_count": u.followers, "following_count": u.following,
                                       "tweet_count": u.statuses, "listed_count": u.listed}})
        u.json = _enc(obj)
        # twarc merges the user into a mention after its username and id: reuse the rest.
        u.mention_tail = u.json[len(f'{{"id":"{u.id_str}","username":"{u.username}",'):]

    def tweet(self, t) -> str:
        rt, rp, lk, qt = t.metrics
        head = (f'{{"id":"{t.sid}","text":{_q(t.text)},"created_at":"{self.clock.iso(t.ms)}",'
                f'"author_id":"{t.user.id_str}","conversation_id":"{t.conversation}","lang":"{t.lang}",'
                f'"source":{_q(t.source)},"possibly_sensitive":false,"reply_settings":"everyone",'
                f'"edit_history_tweet_ids":["{t.sid}"],"public_metrics":{{"retweet_count":{rt},'
                f'"reply_count":{rp},"like_count":{lk},"quote_count":{qt}}}}}')
        out = [head[:-1]]
        if t.spans:
            out.append(',"entities":' + self._entities(t.spans))
        target = t.target
        if target is not None:
            out.append(f',"referenced_tweets":[{{"type":"{_REF_TYPES[t.kind]}",{target.json[1:]}]')
            if t.kind == "reply":
                out.append(f',"in_reply_to_user_id":"{target.user.id_str}"')
        if t.geo is not None:
            place, point = t.geo
            coordinates = f'"coordinates":{_enc({"type": "Point", "coordinates": list(point)})},' if point else ""
            out.append(f',"geo":{{"place_id":"{self.place_ids[place]}",{coordinates}'
                       f'{self.places[place][1:]}')
        out.append(',"author":' + t.user.json)
        if t.kind == "reply":
            out.append(',"in_reply_to_user":' + target.user.json)
        out.append("}")
        return "".join(out)

    @staticmethod
    def _entities(spans: list) -> str:
        hashtags, mentions, urls = [], [], []
        for kind, start, end, value in spans:
            if kind == "hashtag":
                hashtags.append(f'{{"start":{start},"end":{end},"tag":{_q(value)}}}')
            elif kind == "mention":
                mentions.append(f'{{"start":{start},"end":{end},"username":"{value.username}",'
                                f'"id":"{value.id_str}",{value.mention_tail}')
            else:
                link, expanded, display = value
                urls.append(f'{{"start":{start},"end":{end},"url":"{link}","expanded_url":{_q(expanded)},'
                            f'"display_url":{_q(display)}}}')
        parts = []
        if hashtags:
            parts.append('"hashtags":[' + ",".join(hashtags) + "]")
        if mentions:
            parts.append('"mentions":[' + ",".join(mentions) + "]")
        if urls:
            parts.append('"urls":[' + ",".join(urls) + "]")
        return "{" + ",".join(parts) + "}"


class V1Renderer:
    """Twitter API v1.1 streaming ("original format") tweets, compat mode with extended_tweet."""

    def __init__(self) -> None:
        self.clock = _Clock()
        self.places = [self._place(p) for p in vocab.PLACES]
        self.sources = {name: _q(f'<a href="{url}" rel="nofollow">{name}</a>') for name, url, _ in vocab.SOURCES}

    @staticmethod
    def _place(p: tuple) -> str:
        name, full_name, country, cc, (w, s, e, n), _aliases = p
        pid = place_id(full_name)
        return _enc({"id": pid, "url": f"https://api.twitter.com/1.1/geo/id/{pid}.json", "place_type": "city",
                     "name": name, "full_name": full_name, "country_code": cc, "country": country,
                     "bounding_box": {"type": "Polygon", "coordinates": [[[w, s], [w, n], [e, n], [e, s]]]},
                     "attributes": {}})

    def user(self, u) -> None:
        u.json = _enc({
            "id": u.id, "id_str": u.id_str, "name": u.name, "screen_name": u.username,
            "location": u.location or None, "url": None, "description": u.bio, "translator_type": "none",
            "protected": False, "verified": u.verified, "followers_count": u.followers,
            "friends_count": u.following, "listed_count": u.listed, "favourites_count": u.favourites,
            "statuses_count": u.statuses, "created_at": v1_time(u.created_ms), "utc_offset": None,
            "time_zone": None, "geo_enabled": u.geo_enabled, "lang": None, "contributors_enabled": False,
            "is_translator": False, "profile_image_url_https": u.avatar, "default_profile": True,
            "default_profile_image": False, "following": None, "follow_request_sent": None,
            "notifications": None})
        u.mention_tail = ""

    def tweet(self, t) -> str:
        full, spans = t.text, t.spans
        text, top_spans, truncated = full, spans, False
        if len(full) > 140 and t.kind != "retweet":
            status_url = f"https://twitter.com/i/web/status/{t.sid}"
            link = tco(t.id, 99)
            text = f"{full[:V1_TRUNCATE_AT]}… {link}"
            top_spans = [s for s in spans if s[2] <= V1_TRUNCATE_AT]
            top_spans.append(("url", V1_TRUNCATE_AT + 2, 140, (link, status_url, display_url(status_url))))
            truncated = True
        target = t.target
        reply_to = target if t.kind == "reply" else None
        display_start = len(reply_to.user.username) + 2 if reply_to is not None else 0
        out = [f'{{"created_at":"{self.clock.v1(t.ms)}","id":{t.id},"id_str":"{t.sid}","text":{_q(text)}']
        if reply_to is not None or truncated:
            out.append(f',"display_text_range":[{display_start},{140 if truncated else len(full)}]')
        out.append(f',"source":{self.sources[t.source]},"truncated":{"true" if truncated else "false"}')
        if reply_to is not None:
            u = reply_to.user
            out.append(f',"in_reply_to_status_id":{reply_to.id},"in_reply_to_status_id_str":"{reply_to.sid}",'
                       f'"in_reply_to_user_id":{u.id},"in_reply_to_user_id_str":"{u.id_str}",'
                       f'"in_reply_to_screen_name":"{u.username}"')
        else:
            out.append(',"in_reply_to_status_id":null,"in_reply_to_status_id_str":null,"in_reply_to_user_id":null,'
                       '"in_reply_to_user_id_str":null,"in_reply_to_screen_name":null')
        out.append(',"user":' + t.user.json)
        if t.geo is not None:
            place, point = t.geo
            if point:
                lon, lat = point
                out.append(f',"geo":{{"type":"Point","coordinates":[{lat!r},{lon!r}]}}'
                           f',"coordinates":{{"type":"Point","coordinates":[{lon!r},{lat!r}]}}')
            else:
                out.append(',"geo":null,"coordinates":null')
            out.append(',"place":' + self.places[place])
        else:
            out.append(',"geo":null,"coordinates":null,"place":null')
        out.append(',"contributors":null')
        if t.kind == "quote":
            permalink = f"https://twitter.com/{target.user.username}/status/{target.sid}"
            out.append(f',"quoted_status_id":{target.id},"quoted_status_id_str":"{target.sid}"'
                       f',"quoted_status":{target.json},"quoted_status_permalink":{{"url":"{tco(t.id, 98)}",'
                       f'"expanded":{_q(permalink)},"display":{_q(display_url(permalink))}}}')
        elif t.kind == "retweet":
            out.append(',"retweeted_status":' + target.json)
        out.append(f',"is_quote_status":{"true" if t.kind == "quote" else "false"}')
        if truncated:
            out.append(f',"extended_tweet":{{"full_text":{_q(full)},"display_text_range":[{display_start},'
                       f'{len(full)}],"entities":{self._entities(spans)}}}')
        rt, rp, lk, qt = t.metrics
        out.append(f',"quote_count":{qt},"reply_count":{rp},"retweet_count":{rt},"favorite_count":{lk},'
                   f'"entities":{self._entities(top_spans)},"favorited":false,"retweeted":false,'
                   f'"filter_level":"low","lang":"{t.lang}","timestamp_ms":"{t.ms}"}}')
        return "".join(out)

    @staticmethod
    def _entities(spans: list) -> str:
        hashtags, urls, mentions = [], [], []
        for kind, start, end, value in spans:
            if kind == "hashtag":
                hashtags.append(f'{{"text":{_q(value)},"indices":[{start},{end}]}}')
            elif kind == "mention":
                mentions.append(f'{{"screen_name":"{value.username}","name":{_q(value.name)},"id":{value.id},'
                                f'"id_str":"{value.id_str}","indices":[{start},{end}]}}')
            else:
                link, expanded, display = value
                urls.append(f'{{"url":"{link}","expanded_url":{_q(expanded)},"display_url":{_q(display)},'
                            f'"indices":[{start},{end}]}}')
        return (f'{{"hashtags":[{",".join(hashtags)}],"urls":[{",".join(urls)}],'
                f'"user_mentions":[{",".join(mentions)}],"symbols":[]}}')
