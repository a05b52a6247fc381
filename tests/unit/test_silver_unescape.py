"""Silver's text is the text as typed: Twitter's &amp; &lt; &gt; escapes undone (raw and bronze keep them)."""
from __future__ import annotations

import datetime as dt
import html

import pyarrow as pa
import pytest

from spark.enrich import textnorm, words
from spark.transforms import columnar, silver
from spark.transforms.schema import BRONZE_SCHEMA

CASES = {
    "Santander &amp; Bizum": "Santander & Bizum",
    "1 &lt; 2 &gt; 0": "1 < 2 > 0",
    "&amp;lt; is how you write &lt;": "&lt; is how you write <",  # one level, as html.unescape
    "東京 &amp; 😀 مرحبا &gt; שלום": "東京 & 😀 مرحبا > שלום",
    "R&paragraph AT&T &copy": "R&paragraph AT&T &copy",  # never escaped by Twitter: left alone
    "no entities": "no entities",
    "": "",
}


@pytest.mark.parametrize("escaped, typed", CASES.items())
def test_unescape_text(escaped, typed):
    assert textnorm.unescape_text(escaped) == typed
    assert columnar.unescaped(pa.chunked_array([[escaped, None]])).to_pylist() == [typed, None]


@pytest.mark.parametrize("typed", ["a & b < c > d", "&amp; typed literally", "x &lt;3", "&&;;&amp"])
def test_on_text_twitter_escaped_it_equals_html_unescape(typed):
    escaped = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # what the API sends
    assert textnorm.unescape_text(escaped) == html.unescape(escaped) == typed


def test_silver_text_sentiment_and_word_cloud_see_the_ampersand():
    row = {f: None for f in BRONZE_SCHEMA.fieldNames()}
    row.update(tweet_id=1, text="Pão &amp; café &lt;3 maravilhoso", lang="pt", tweet_type="original",
               author_key="u_x", source_format="v1", ingest_date="2024-01-01", ingest_hour="00", source_file="f",
               created_at=dt.datetime(2024, 1, 1), created_date=dt.date(2024, 1, 1))
    batch = columnar.silver_batch(pa.Table.from_pylist([row], schema=columnar.arrow_schema("BRONZE_SCHEMA")))
    (got,) = batch.to_pylist()
    assert got["text"] == silver.enrich(row)["text"] == "Pão & café <3 maravilhoso"
    assert got["sentiment_score"] == silver.enrich(row)["sentiment_score"]
    # the word cloud reads silver's text: no "amp"/"lt" words (its stop words also drop them, for older rows)
    assert words.tokens(got["text"], "pt") == ["pão", "café", "maravilhoso"]
