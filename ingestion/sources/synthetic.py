"""A seeded, streaming synthetic firehose of #Santander-style tweets in v2 (twarc flat) or v1.1 form.

Same (count, seed, days, format, anchor) -> byte-identical payloads: all
randomness comes from `random.Random(seed)` plus per-user generators seeded from
(seed, user index); no set/hash ordering, no wall clock. Memory stays bounded for
any count: users are rebuilt on demand (LRU-cached) and only a short ring of
recent tweets is kept as retweet/reply/quote targets. The distributions live in
synthetic_vocab.py and are documented in docs/ingestion.md.
"""
from __future__ import annotations

import math
import unicodedata
from bisect import bisect
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from itertools import accumulate
from random import Random
from typing import Iterator

from ingestion.sources import snowflake
from ingestion.sources import synthetic_vocab as vocab
from ingestion.records import V1, V2, Record
from ingestion.sources.synthetic_render import V1Renderer, V2Renderer, display_url, tco

DEFAULT_ANCHOR = datetime(2024, 1, 1, tzinfo=timezone.utc)
DEFAULT_DAYS = 7
MAX_TEXT = 280
ZIPF_OFFSET = 3.0  # Zipf-Mandelbrot q: P(rank) ~ 1/(rank + q); q > 0 tames the very top
USER_CACHE = 1 << 15
TARGET_RING = 256  # recent originals per language that retweets, replies and quotes pick from
_DAY_MS = 86_400_000
_USER_EPOCH_MS = snowflake.TWEPOCH_MS + _DAY_MS
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True, slots=True)
class Truth:
    """Test hook: what the generator intended. Never part of any payload."""

    sentiment: str
    kind: str


def user_pool_size(count: int) -> int:
    """Distinct possible authors: one per 5 tweets, between 50 and 1,000,000."""
    return max(50, min(count // 5, 1_000_000))


def generate(count: int, seed: int = 0, days: int = DEFAULT_DAYS, fmt: str = V2,
             anchor: datetime = DEFAULT_ANCHOR) -> Iterator[Record]:
    """Yield `count` Records whose created_at lies in [anchor - days, anchor)."""
    return (t.record for t in _Firehose(count, seed, days, fmt, anchor).run())


def generate_with_truth(count: int, seed: int = 0, days: int = DEFAULT_DAYS, fmt: str = V2,
                        anchor: datetime = DEFAULT_ANCHOR) -> Iterator[tuple[Record, Truth]]:
    """Like generate(), paired with the intended sentiment and tweet kind (for tests only)."""
    return ((t.record, Truth(t.sentiment, t.kind)) for t in _Firehose(count, seed, days, fmt, anchor).run())


class _User:
    __slots__ = ("idx", "id", "id_str", "username", "name", "email_local", "created_ms", "followers",
                 "following", "statuses", "listed", "favourites", "verified", "geo_enabled", "home",
                 "location", "bio", "avatar", "json", "mention_tail")


class _Tweet:
    __slots__ = ("id", "sid", "ms", "user", "lang", "kind", "text", "spans", "sentiment", "metrics",
                 "target", "source", "geo", "conversation", "json", "record")


class _TextBuilder:
    """Appends pieces up to MAX_TEXT characters, recording entity spans in code points."""

    __slots__ = ("parts", "pos", "spans")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.spans: list[tuple] = []

    def add(self, piece: str) -> bool:
        if self.pos + len(piece) > MAX_TEXT:
            return False
        self.parts.append(piece)
        self.pos += len(piece)
        return True

    def entity(self, kind: str, lead: str, token: str, value) -> bool:
        if self.pos + len(lead) + len(token) > MAX_TEXT:
            return False
        self.add(lead)
        start = self.pos
        self.add(token)
        self.spans.append((kind, start, self.pos, value))
        return True

    def url(self, link: str, expanded: str) -> bool:
        return self.entity("url", " ", link, (link, expanded, display_url(expanded)))

    def text(self) -> str:
        return "".join(self.parts)


def _b36(value: int) -> str:
    out = _B36[value % 36]
    value //= 36
    while value:
        value, digit = divmod(value, 36)
        out = _B36[digit] + out
    return out


@lru_cache(maxsize=None)
def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower().replace(" ", "")


def _cumulative(weights) -> list[float]:
    return list(accumulate(weights))


class _Firehose:
    def __init__(self, count: int, seed: int, days: int, fmt: str, anchor: datetime) -> None:
        if fmt not in (V1, V2):
            raise ValueError(f"format must be 'v1' or 'v2', got {fmt!r}")
        if not isinstance(seed, int) or not isinstance(count, int) or count < 0:
            raise ValueError("count must be a non-negative int and seed an int")
        if not isinstance(days, int) or days < 1:
            raise ValueError(f"days must be a positive whole number, got {days!r}")
        if anchor.tzinfo is None:
            anchor = anchor.replace(tzinfo=timezone.utc)
        self.count, self.seed, self.days, self.fmt = count, seed, days, fmt
        self.end_ms = int(anchor.timestamp() * 1000)
        self.start_ms = self.end_ms - days * _DAY_MS
        if self.start_ms <= _USER_EPOCH_MS:
            raise ValueError("anchor - days must be after 2010-11-05 (snowflake ids start there)")
        self.rng = Random(seed)
        self.worker = seed % (snowflake.MAX_WORKER + 1)
        self.renderer = V2Renderer() if fmt == V2 else V1Renderer()
        self._day_segments()
        self._pools()
        self.user = lru_cache(maxsize=USER_CACHE)(self._make_user)
        self.rings = {lang: deque(maxlen=TARGET_RING) for lang in vocab.LANGUAGES}

    # ---- time: stratified samples of the daily-rhythm intensity, so times only increase
    def _day_segments(self) -> None:
        """Cut the span's first 24 h at UTC hour boundaries; weight = language-weighted rhythm."""
        def weight(lang: str, utc_hour: int) -> float:
            return vocab.LANGUAGE_SHARES[lang] * vocab.HOURLY_RHYTHM[(utc_hour + vocab.UTC_OFFSET_HOURS[lang]) % 24]

        self.seg_start, self.seg_weight, self.seg_hour = [], [], []
        masses = []
        offset = 0
        while offset < _DAY_MS:
            absolute = self.start_ms + offset
            hour = (absolute // 3_600_000) % 24
            length = min(3_600_000 - absolute % 3_600_000, _DAY_MS - offset)
            w = sum(weight(lang, hour) for lang in vocab.LANGUAGES)
            self.seg_start.append(offset)
            self.seg_hour.append(hour)
            self.seg_weight.append(w)
            masses.append(w * length)
            offset += length
        self.seg_cum = _cumulative(masses)
        self.day_mass = self.seg_cum[-1]
        self.lang_cum = [_cumulative(weight(lang, hour) for lang in vocab.LANGUAGES) for hour in range(24)]

    def _time(self, i: int) -> tuple[int, int]:
        """(ms, UTC hour) of tweet i: the (i + U)/count quantile of the span's intensity."""
        x = (i + self.rng.random()) * self.days / self.count
        day = int(x)
        mass = (x - day) * self.day_mass
        seg = bisect(self.seg_cum, mass)
        before = self.seg_cum[seg - 1] if seg else 0.0
        offset = self.seg_start[seg] + (mass - before) / self.seg_weight[seg]
        return self.start_ms + day * _DAY_MS + int(offset), self.seg_hour[seg]

    # ---- users: one pool per language, ranked by popularity
    def _pools(self) -> None:
        total = user_pool_size(self.count)
        self.pool_n = {lang: max(5, round(total * vocab.LANGUAGE_SHARES[lang])) for lang in vocab.LANGUAGES}
        self.pool_base = dict(zip(vocab.LANGUAGES, accumulate([0] + [self.pool_n[g] for g in vocab.LANGUAGES])))
        self.pool_log = {lang: math.log((n + ZIPF_OFFSET) / ZIPF_OFFSET) for lang, n in self.pool_n.items()}

    def _author_rank(self, lang: str) -> int:
        """Zipf-Mandelbrot rank by inverting the CDF of 1/(x + q) on [0, n): O(1), no tables."""
        rank = int(ZIPF_OFFSET * math.exp(self.rng.random() * self.pool_log[lang]) - ZIPF_OFFSET)
        return min(rank, self.pool_n[lang] - 1)

    def _make_user(self, lang: str, rank: int) -> _User:
        """Everything about a user follows from (seed, lang, rank), whatever the cache holds."""
        u = _User()
        u.idx = self.pool_base[lang] + rank
        urng = Random(self.seed * 16_777_259 + u.idx)
        first, last = urng.choice(vocab.FIRST_NAMES[lang]), urng.choice(vocab.LAST_NAMES[lang])
        base = (_ascii(first) + _ascii(last), _ascii(first) + "_" + _ascii(last), _ascii(first),
                _ascii(last))[urng.randrange(4)]
        suffix = _b36(u.idx)  # unique per user, so usernames never collide
        u.username = base[:15 - len(suffix)] + suffix
        u.name = f"{first} {last}" if urng.random() < 0.85 else first
        u.email_local = f"{_ascii(first)}.{_ascii(last)}{urng.randrange(10, 99)}"
        u.created_ms = urng.randrange(_USER_EPOCH_MS, max(_USER_EPOCH_MS + 1, self.start_ms - _DAY_MS))
        u.id = snowflake.make_id(u.created_ms, (u.idx >> 12) & snowflake.MAX_WORKER, u.idx & snowflake.MAX_SEQUENCE)
        u.id_str = str(u.id)
        # Audience follows popularity rank: ~200k for the top account, ~50 at rank 100k.
        u.followers = int(50 * (100_000 / (rank + ZIPF_OFFSET)) ** 0.8 * urng.lognormvariate(0, 0.6))
        u.following = int(urng.lognormvariate(5.6, 1.0))
        u.statuses = int(urng.lognormvariate(7.0, 1.3) * (1 + 30 / (rank + ZIPF_OFFSET)))
        u.listed = int(u.followers / 120 * urng.random())
        u.favourites = int(u.statuses * urng.random())
        u.verified = (u.followers > 200_000 and urng.random() < 0.6) or urng.random() < 0.002
        u.geo_enabled = urng.random() < 0.3
        u.home = urng.choices(vocab.HOME_PLACE_INDEX[lang], cum_weights=vocab.HOME_PLACE_CUM[lang])[0]
        u.location = self._location(urng, lang, u.home)
        u.bio = urng.choice(vocab.BIOS[lang])
        u.avatar = f"https://pbs.twimg.com/profile_images/{u.id + 1}/{_b36(u.id)[:8]}_normal.jpg"
        self.renderer.user(u)
        return u

    @staticmethod
    def _location(urng: Random, lang: str, home: int) -> str:
        """Free text as people type it: a city alias, a country, a joke, or nothing."""
        kind = bisect(vocab.LOCATION_KIND_CUM, urng.random() * vocab.LOCATION_KIND_CUM[-1])
        if kind == 0:
            return urng.choice(vocab.PLACES[home][5])
        if kind == 1:
            return urng.choice(vocab.COUNTRY_LOCATIONS[vocab.PLACES[home][3]])
        if kind == 2:
            return urng.choice(vocab.NOISE_LOCATIONS[lang])
        return ""

    # ---- the stream
    def run(self) -> Iterator[_Tweet]:
        rnd = self.rng.random
        kind_cum = _cumulative(vocab.TWEET_KIND_SHARES)
        sentiment_cum = _cumulative(vocab.SENTIMENT_SHARES)
        source_names = [s[0] for s in vocab.SOURCES]
        source_cum = _cumulative(s[2] for s in vocab.SOURCES)
        langs, render, fmt = vocab.LANGUAGES, self.renderer.tweet, self.fmt
        origin = f"synthetic:seed={self.seed}:"
        last_ms, seq = -1, 0
        for i in range(self.count):
            ms, hour = self._time(i)
            if ms <= last_ms:  # same millisecond: next sequence number, as snowflake does
                ms, seq = last_ms, seq + 1
                if seq > snowflake.MAX_SEQUENCE:
                    ms, seq = ms + 1, 0
            else:
                seq = 0
            last_ms = ms
            t = _Tweet()
            t.id = snowflake.make_id(ms, self.worker, seq)
            t.sid, t.ms = str(t.id), ms
            cum = self.lang_cum[hour]
            t.lang = lang = langs[bisect(cum, rnd() * cum[-1])]
            kind = vocab.TWEET_KINDS[bisect(kind_cum, rnd() * kind_cum[-1])]
            t.target = target = self._pick_target(lang) if kind != "original" else None
            t.kind = kind = kind if target is not None else "original"
            t.user = self.user(lang, self._author_rank(lang))
            t.source = source_names[bisect(source_cum, rnd() * source_cum[-1])]
            if kind == "retweet":
                t.sentiment, t.metrics = target.sentiment, target.metrics
                t.text, t.spans = self._retweet_text(target)
            else:
                t.sentiment = vocab.SENTIMENTS[bisect(sentiment_cum, rnd() * sentiment_cum[-1])]
                t.text, t.spans = self._compose(t)
                t.metrics = self._metrics(t.user.followers)
            t.conversation = target.conversation if kind == "reply" else t.sid
            t.geo = self._geo(lang, t.user) if kind != "retweet" and rnd() < vocab.GEOTAGGED_SHARE else None
            t.json = render(t)
            if kind == "original":
                self.rings[lang].append(t)
            t.target = None  # keep the ring one level deep: no chains of old tweets in memory
            t.record = Record(t.sid, t.json.encode("ascii"), fmt, origin + str(i))
            yield t

    def _pick_target(self, lang: str) -> _Tweet | None:
        """Two random recent originals in `lang`; the more-followed author wins (popular tweets travel)."""
        ring = self.rings[lang]
        if not ring:
            return None
        a = ring[int(self.rng.random() * len(ring))]
        b = ring[int(self.rng.random() * len(ring))]
        return a if a.user.followers >= b.user.followers else b

    def _metrics(self, followers: int) -> tuple[int, int, int, int]:
        """(retweets, replies, likes, quotes), growing with the author's audience."""
        rnd = self.rng.random
        reach = followers * rnd() * rnd()
        return int(reach * 0.002), int(reach * 0.0008), int(reach * 0.01), int(reach * 0.0003)

    def _geo(self, lang: str, user: _User) -> tuple[int, tuple[float, float] | None]:
        """(place index, exact (lon, lat) or None): mostly the author's home city."""
        rnd = self.rng.random
        if rnd() < 0.8:
            place = user.home
        else:
            homes = vocab.HOME_PLACE_INDEX[lang]
            place = homes[int(rnd() * len(homes))]
        point = None
        if rnd() < vocab.EXACT_POINT_SHARE:
            w, s, e, n = vocab.PLACES[place][4]
            point = (round(w + (e - w) * rnd(), 6), round(s + (n - s) * rnd(), 6))
        return place, point

    # ---- text: sentiment phrases + entities
    def _compose(self, t: _Tweet) -> tuple[str, list]:
        rng, lang, kind, target = self.rng, t.lang, t.kind, t.target
        rnd = rng.random

        def choice(options):  # Random.choice without its rejection sampling: ~2x faster, still seeded
            return options[int(rnd() * len(options))]

        out = _TextBuilder()
        if kind == "reply":
            out.entity("mention", "", "@" + target.user.username, target.user)
            out.add(" ")
        if lang == "und":
            emojis = vocab.LEXICON["und"].get(t.sentiment, vocab.NEUTRAL_EMOJIS)
            out.add(choice(emojis) + choice(emojis))
        else:
            words = vocab.PHRASES[lang]
            filler = choice(words["fillers"]) + " " if rnd() < vocab.FILLER_SHARE else ""
            out.add(f"{filler}{choice(words['subjects'])} {choice(words[t.sentiment])}. "
                    f"{choice(words[t.sentiment + '_closers'])}")
            if kind != "reply" and rnd() < vocab.MENTION_SHARE:
                other = self.user(lang, self._author_rank(lang))
                if other.idx != t.user.idx:
                    out.entity("mention", " " + words["cc"] + " ", "@" + other.username, other)
            if rnd() < vocab.EMAIL_SHARE:
                domain = choice(vocab.EMAIL_DOMAINS[lang])
                out.add(" " + choice(words["email"]).format(f"{t.user.email_local}@{domain}"))
            if rnd() < vocab.PHONE_SHARE:
                out.add(" " + choice(words["phone"]).format(self._phone(lang)))
        n_tags = 1 + int(rnd() * 2) if lang == "und" else bisect(vocab.HASHTAG_COUNT_CUM, rnd() * 100)
        seen: list[str] = []
        for tag in rng.choices(vocab.HASHTAG_TAGS[lang], cum_weights=vocab.HASHTAG_CUM[lang], k=n_tags):
            if tag not in seen:
                seen.append(tag)
                out.entity("hashtag", " ", "#" + tag, tag)
        if rnd() < vocab.URL_SHARE:
            out.url(tco(t.id, len(out.spans)), f"{choice(vocab.URL_BASES[lang])}{t.id % 1_000_003}")
        if kind == "quote":
            out.url(tco(t.id, len(out.spans)), f"https://twitter.com/{target.user.username}/status/{target.sid}")
        return out.text(), out.spans

    def _phone(self, lang: str) -> str:
        """Phone numbers in the formats people write them (for PII masking tests)."""
        r = self.rng.randrange
        if lang == "es":
            return (f"+34 6{r(10, 99)} {r(100, 999)} {r(100, 999)}" if r(2)
                    else f"6{r(10, 99)} {r(10, 99)} {r(10, 99)} {r(10, 99)}")
        if lang == "en":
            return f"+44 7{r(100, 999)} {r(100000, 999999)}" if r(2) else f"07{r(100, 999)} {r(100000, 999999)}"
        ddd = (11, 21, 31, 41, 51, 61, 71, 81)[r(8)]
        return (f"+55 {ddd} 9{r(1000, 9999)}-{r(1000, 9999)}" if r(2)
                else f"({ddd}) 9{r(1000, 9999)}-{r(1000, 9999)}")

    @staticmethod
    def _retweet_text(target: _Tweet) -> tuple[str, list]:
        """`RT @author: text`, cut to 140 characters with an ellipsis as the API does."""
        prefix = f"RT @{target.user.username}: "
        text = prefix + target.text
        if len(text) > 140:
            text = text[:139] + "…"
        limit = len(text) - (1 if text.endswith("…") else 0)
        shift = len(prefix)
        spans = [("mention", 3, 4 + len(target.user.username), target.user)]
        spans += [(k, s + shift, e + shift, v) for k, s, e, v in target.spans if e + shift <= limit]
        return text, spans
