"""Bronze row -> silver row: the one enrichment both the batch build and the speed layer apply.

    enrich(bronze_row: dict) -> dict   (keys = SILVER_SCHEMA's fields, in order)

Plain Python on one row (no Spark), deterministic, so the batch job
(spark/jobs/build_silver.py) and the streaming job run exactly the same code
and give the same answer for the same tweet.

What silver adds to bronze:
* hashtags normalised: NFKC, case-folded, Latin accents folded, distinct, order kept
  ("#Santánder", "#SANTANDER" -> "santander"), so one topic is one key; Thai vowels, Japanese
  voicing marks, Devanagari signs are never stripped (spark/enrich/textnorm.py);
* country and region resolved from the place, else from the author's free-text
  location (spark/enrich/geo.py, gazetteer shipped in PyPI wheels), with the
  source of the answer ("place" | "user_location");
* sentiment score and label for pt/es/en (spark/enrich/sentiment.py,
  lexicon + rules, VADER's method; accuracy in docs/enrichment.md);
* text unescaped: Twitter sends &, < and > as &amp;, &lt;, &gt; (raw and bronze keep them as
  received); silver's text, its sentiment and the word cloud read the characters themselves
  (textnorm.unescape_text);
* flags for retweet, reply, quote; an engagement total; the author's
  follower tier (the banding gold's SCD2 author dimension and the
  engagement-by-tier mart use).
"""
from __future__ import annotations

from spark.enrich import geo, sentiment, textnorm
from spark.transforms.schema import SILVER_SCHEMA

SILVER_FIELDS = tuple(SILVER_SCHEMA.fieldNames())

# Follower tiers: powers of ten, the banding marketing teams use for influencer reach.
TIERS = ((1_000, "nano"), (10_000, "micro"), (100_000, "mid"), (1_000_000, "macro"))
TOP_TIER = "mega"
TIER_ORDER = tuple(name for _, name in TIERS) + (TOP_TIER,)

# One key per topic (None if empty): NFKC, case-folded, Latin accents folded; the marks of every other
# script kept (docs/text-normalisation.md). lru_cached there: a few thousand distinct tags.
normalize_hashtag = textnorm.hashtag_key


def normalize_hashtags(tags) -> list[str]:
    out: list[str] = []
    for tag in tags or ():
        n = normalize_hashtag(tag)
        if n and n not in out:
            out.append(n)
    return out


def follower_tier(followers: int | None) -> str | None:
    if followers is None:
        return None
    for bound, name in TIERS:
        if followers < bound:
            return name
    return TOP_TIER


# Public interactions a tweet drew (impressions are reach, not engagement, and are v2-only).
ENGAGEMENT_COLUMNS = ("retweet_count", "reply_count", "like_count", "quote_count")


def engagement(row: dict) -> int:
    return sum(row.get(k) or 0 for k in ENGAGEMENT_COLUMNS)


def enrich(row: dict) -> dict:
    """The silver row of one bronze row (a dict with BRONZE_SCHEMA's keys): silver's rules written out
    for one row. No job runs it; it is the reference columnar.silver_batch, the one implementation the
    build and the speed layer run, is tested against column by column (tests/unit/test_columnar.py)."""
    country, region, country_source = geo.resolve(row.get("country"), row.get("place_full_name"),
                                                  row.get("author_location"))
    text = textnorm.unescape_text(row.get("text"))
    score, label = sentiment.score(text, row.get("lang"))
    kind = row.get("tweet_type")
    out = {k: row.get(k) for k in SILVER_FIELDS}  # bronze's columns pass through under the same names
    # updating keys `out` already has keeps SILVER_FIELDS' order (no second projection needed)
    out.update(
        text=text,
        hashtags=normalize_hashtags(row.get("hashtags")),
        mention_count=len(row.get("mentions") or ()),
        url_count=len(row.get("urls") or ()),
        country=country,
        region=region,
        country_source=country_source,
        sentiment_score=score,
        sentiment_label=label,
        is_retweet=kind == "retweet",
        is_reply=kind == "reply",
        is_quote=kind == "quote" or (kind == "reply" and row.get("quoted_tweet_id") is not None),
        engagement=engagement(row),
        author_tier=follower_tier(row.get("author_followers_count")),
        created_date=row.get("created_date"),
    )
    if len(out) != len(SILVER_FIELDS):  # update() added a key silver does not have: project it away
        out = {k: out[k] for k in SILVER_FIELDS}
    return out
