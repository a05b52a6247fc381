"""A one-off probe for #18's next step, not part of any suite: what would bronze's parse cost if the
JSON were decoded into typed msgspec Structs, a whole batch in one call, instead of into dicts that
parse.py then walks and type-checks field by field?

    .venv/bin/python -m benchmarks.build.parse_probe [--tweets 20000]

It decodes the synthetic firehose's v2 (twarc flat) payloads three ways, CPU-timed on one core:
1. parse.extract per payload (today: msgspec into dicts, then the shape logic);
2. one msgspec decode of the batch into typed Structs (the fields bronze reads, with their JSON types);
3. (2) plus building one Python list per bronze column from the Structs, as an Arrow conversion needs.
The Structs cover the flat v2 shape only (no retweet rebuild, no includes, no v1.1), so (3) is a
floor for that route, not a parser: docs/build-engine.md quotes it as such.
"""
from __future__ import annotations

import argparse
import time

import msgspec


class Metrics(msgspec.Struct, omit_defaults=True, gc=False):
    retweet_count: int | None = None
    reply_count: int | None = None
    like_count: int | None = None
    quote_count: int | None = None
    impression_count: int | None = None


class UserMetrics(msgspec.Struct, gc=False):
    followers_count: int | None = None
    following_count: int | None = None
    tweet_count: int | None = None
    listed_count: int | None = None


class User(msgspec.Struct, gc=False):
    id: str
    username: str | None = None
    location: str | None = None
    verified: bool | None = None
    public_metrics: UserMetrics | None = None


class Tag(msgspec.Struct, gc=False):
    tag: str


class Mention(msgspec.Struct, gc=False):
    username: str | None = None
    id: str | None = None


class Url(msgspec.Struct, gc=False):
    url: str | None = None
    expanded_url: str | None = None


class Entities(msgspec.Struct, gc=False):
    hashtags: list[Tag] = []
    cashtags: list[Tag] = []
    mentions: list[Mention] = []
    urls: list[Url] = []


class Ref(msgspec.Struct, gc=False):
    type: str
    id: str


class Tweet(msgspec.Struct, gc=False):
    id: str
    text: str
    created_at: str
    author_id: str
    conversation_id: str | None = None
    lang: str | None = None
    source: str | None = None
    possibly_sensitive: bool | None = None
    in_reply_to_user_id: str | None = None
    public_metrics: Metrics | None = None
    author: User | None = None
    entities: Entities | None = None
    referenced_tweets: list[Ref] = []


COLUMNS = {
    "tweet_id": lambda t: int(t.id), "created_at": lambda t: t.created_at, "text": lambda t: t.text,
    "lang": lambda t: t.lang, "source": lambda t: t.source, "possibly_sensitive": lambda t: t.possibly_sensitive,
    "conversation_id": lambda t: int(t.conversation_id) if t.conversation_id else None,
    "author_id": lambda t: t.author_id,
    "author_username": lambda t: t.author.username if t.author else None,
    "author_location": lambda t: t.author.location if t.author else None,
    "author_verified": lambda t: t.author.verified if t.author else None,
    "author_followers_count": lambda t: t.author.public_metrics.followers_count
    if t.author and t.author.public_metrics else None,
    "retweet_count": lambda t: t.public_metrics.retweet_count if t.public_metrics else None,
    "like_count": lambda t: t.public_metrics.like_count if t.public_metrics else None,
    "hashtags": lambda t: [h.tag.lower() for h in t.entities.hashtags] if t.entities else [],
    "mentions": lambda t: [(m.id, m.username) for m in t.entities.mentions] if t.entities else [],
    "urls": lambda t: [(u.url, u.expanded_url) for u in t.entities.urls] if t.entities else [],
    "referenced": lambda t: [(r.type, r.id) for r in t.referenced_tweets],
}


def main(argv: list[str] | None = None) -> int:
    from ingestion.sources import synthetic
    from spark.transforms import parse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tweets", type=int, default=20000)
    args = ap.parse_args(argv)
    lines = [r.payload for r in synthetic.generate(args.tweets, seed=7, days=30)]
    batch = b"[" + b",".join(lines) + b"]"
    decoder = msgspec.json.Decoder(list[Tweet])

    def cpu(fn) -> float:
        t = time.process_time()
        fn()
        return (time.process_time() - t) * 1e6 / len(lines)

    extract = cpu(lambda: [parse.extract(x) for x in lines])
    decode = cpu(lambda: decoder.decode(batch))
    tweets = decoder.decode(batch)
    build = cpu(lambda: {name: [f(t) for t in tweets] for name, f in COLUMNS.items()})
    print(f"{len(lines):,} synthetic v2 tweets, CPU µs a tweet, one core:")
    print(f"  parse.extract per payload (today)          {extract:6.1f}")
    print(f"  typed decode of the batch, one call        {decode:6.1f}")
    print(f"  + {len(COLUMNS)} column lists from the Structs       {decode + build:6.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
