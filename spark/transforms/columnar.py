"""The build's transforms over Arrow batches: the one implementation the batch build and the speed
layer run (spark/jobs/build.py through DataFrame.mapInArrow, spark/jobs/stream_speed.py).

    bronze_batch(lines, metas, pii) -> (bronze table, rejected table)   BRONZE_SCHEMA / REJECTED_SCHEMA
    silver_batch(bronze[, spellings])-> silver table (+ hashtag_spellings) SILVER_SCHEMA
    with_edit_columns(silver, bronze) -> + each version's edit_root_id, edit_count (the speed layer's rows)

Why batches and not rows: the per-row path (parse.to_bronze, then silver.enrich on a dict per row,
handed to Spark as pickled Rows) spent as much time moving 50 fields in and out of Python objects
as on the transforms. Here:
* silver's 40 pass-through columns never become Python objects: they are bronze's Arrow columns;
* flags, engagement, counts and follower tiers are Arrow/numpy kernels over whole columns;
* sentiment is spark/enrich/sentiment_batch.py: the per-row scorer's rules as numpy kernels over the
  batch's flat token arrays (the same scores, docs/sentiment-batch.md);
* hashtags and geo are computed once per DISTINCT value in the batch (authors repeat a location,
  tags repeat) and spread back;
* bronze's JSON parse still runs per record: v1.1 statuses and both v2 shapes through typed msgspec
  Structs (typed_parse: a tuple a tweet, turned into columns by one transposition), anything they do
  not take through parse.extract (on a decode pruned to the fields it reads); the classification
  (pseudonyms, masking) runs per column, once per distinct value (Pii.protect_columns). That parse is
  the remaining per-record Python (docs/build-engine.md has its profile).
The results are the one-record reference functions' (parse.to_bronze, silver.enrich), column for
column (tests/unit/test_columnar.py).
"""
from __future__ import annotations

import gc
import operator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from spark.enrich import geo, sentiment_batch, textnorm
from spark.transforms import parse, silver, typed_parse
from spark.transforms import pii as pii_mod
from spark.transforms.typed_row import ROW_FIELDS

@lru_cache(maxsize=None)
def arrow_schema(name: str) -> pa.Schema:
    """The Arrow schema of BRONZE/REJECTED/SILVER_SCHEMA (Spark's own conversion, so mapInArrow agrees)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    from spark.transforms import schema

    return to_arrow_schema(getattr(schema, name))


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off for one batch. A batch builds ~100 container objects a
    tweet (decoded JSON, rows, column lists), all acyclic and freed by reference counting; with the
    collector on, those allocations set off collections that re-scan everything alive, ~12 µs a tweet
    of bronze's ~62 (measured on 20,000 synthetic tweets). Restored on exit, even on error."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


# ---- bronze ---------------------------------------------------------------------------------------
def bronze_batch(lines: Iterable[str | bytes], metas: Iterable[dict[str, Any]],
                 pii: pii_mod.Pii) -> tuple[pa.Table, pa.Table]:
    """(bronze rows, rejected rows) of raw records with their ingest metadata: parse.to_bronze's rows,
    built as columns. Each record is parsed alone (parse.extract: a bad one is a reject, never the
    batch's failure); the classification then runs over whole columns (Pii.protect_columns)."""
    with _collector_paused():
        return _bronze_batch(lines, metas, pii)


def parsed_rows(lines: Iterable[str | bytes], metas: Iterable[dict[str, Any]]) -> tuple[list, list, list]:
    """(rows, their metas, rejected rows): each record's row as a tuple in typed_row.ROW_FIELDS order,
    from the typed Structs (typed_parse) or, for every other payload and every reject, parse.extract."""
    rows, kept, rejects = [], [], []
    typed = typed_parse.values
    for line, meta in zip(lines, metas):
        values = typed(line)
        if values is None:
            try:
                row = parse.extract(line)
            except parse.Bad as e:
                rejects.append(parse.reject_row(e.reject(), line, meta))
                continue
            if len(row) != len(ROW_FIELDS):  # a field extract gained would otherwise be dropped here
                raise RuntimeError(f"parse.extract's row has fields typed_row.ROW_FIELDS lacks: {sorted(row)}")
            values = _in_row_order(row)
        rows.append(values)
        kept.append(meta)
    return rows, kept, rejects


_in_row_order = operator.itemgetter(*ROW_FIELDS)


def _bronze_batch(lines, metas, pii: pii_mod.Pii) -> tuple[pa.Table, pa.Table]:
    rows, kept, rejects = parsed_rows(lines, metas)
    schema = arrow_schema("BRONZE_SCHEMA")
    rejected = pa.Table.from_pylist(rejects, schema=arrow_schema("REJECTED_SCHEMA"))
    if not rows:
        return schema.empty_table(), rejected
    # rows to columns in one transposition (C), not a look-up per row and column
    columns = pii.protect_columns(dict(zip(ROW_FIELDS, map(list, zip(*rows)))))
    columns["created_date"] = [t.date() for t in columns["created_at"]]
    for k in parse.META_COLUMNS:
        columns[k] = [m.get(k) for m in kept]
    return pa.Table.from_pydict({f.name: columns[f.name] for f in schema}, schema=schema), rejected


# ---- silver ---------------------------------------------------------------------------------------
def _per_distinct(fn, *columns: pa.ChunkedArray | pa.Array) -> list:
    """fn(*values) for every row, computed once per distinct tuple of values."""
    keys = list(zip(*(c.to_pylist() for c in columns)))
    cache: dict = {}
    out = []
    for k in keys:
        v = cache.get(k, cache)
        if v is cache:
            v = cache[k] = fn(*k)
        out.append(v)
    return out


def _hashtag_keys(column: pa.ChunkedArray) -> list[list[str]]:
    """silver.normalize_hashtags per row, once per distinct list of tags (most rows repeat a few lists)."""
    cache: dict[tuple, list[str]] = {}
    out = []
    for tags in column.to_pylist():
        key = tuple(tags) if tags else ()
        v = cache.get(key)
        if v is None:
            v = cache[key] = silver.normalize_hashtags(tags)
        out.append(v)
    return out


def _tiers(followers: pa.ChunkedArray) -> pa.Array:
    """silver.follower_tier over a column: numpy's searchsorted over the tier bounds."""
    names = np.array([name for _, name in silver.TIERS] + [silver.TOP_TIER], dtype=object)
    bounds = np.array([b for b, _ in silver.TIERS], dtype=np.int64)
    arr = pa.chunked_array(followers).combine_chunks() if isinstance(followers, pa.ChunkedArray) else followers
    values = arr.fill_null(0).to_numpy(zero_copy_only=False)
    out = names[np.searchsorted(bounds, values, side="right")]
    return pa.array(out, type=pa.string(), mask=arr.is_null().to_numpy(zero_copy_only=False))


SPELLINGS = pa.field("hashtag_spellings", pa.list_(pa.string()))


def silver_batch(bronze: pa.Table, spellings: bool = False) -> pa.Table:
    """silver.enrich over a table of bronze rows (at least the columns SILVER_SCHEMA takes from bronze).
    spellings: also SPELLINGS, each hashtag key's spelling in the tweet's text (textnorm.display_spellings),
    in the order of `hashtags`: silver.tweet_hashtags' display column, not a silver.tweets one."""
    with _collector_paused():
        text = unescaped(bronze.column("text"))
        texts = text.to_pylist()  # sentiment and the spellings both read it: once
        out = _silver_batch(bronze, text, texts)
        if spellings:
            shown = [textnorm.display_spellings(keys, text) for keys, text in zip(out.column("hashtags").to_pylist(), texts)]
            out = out.append_column(SPELLINGS, pa.array(shown, type=SPELLINGS.type))
        return out


def unescaped(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """textnorm.unescape_text over a column: one Arrow kernel per entity, in the same order."""
    for entity, char in textnorm.TWITTER_ENTITIES:
        text = pc.replace_substring(text, pattern=entity, replacement=char)
    return text


def _silver_batch(bronze: pa.Table, text: pa.ChunkedArray, texts: list) -> pa.Table:
    schema = arrow_schema("SILVER_SCHEMA")
    n = bronze.num_rows
    kind = bronze.column("tweet_type")
    tags = _hashtag_keys(bronze.column("hashtags"))
    places = _per_distinct(geo.resolve, bronze.column("country"), bronze.column("place_full_name"),
                           bronze.column("author_location"))
    compound, labels = sentiment_batch.scores(texts, bronze.column("lang").to_pylist())
    engagement = pa.array(np.zeros(n, dtype=np.int64))
    for c in silver.ENGAGEMENT_COLUMNS:
        engagement = pc.add(engagement, pc.fill_null(bronze.column(c), 0))
    computed = {
        "text": text,
        "hashtags": pa.array(tags, type=schema.field("hashtags").type),
        "mention_count": pc.fill_null(pc.list_value_length(bronze.column("mentions")), 0).cast(pa.int32()),
        "url_count": pc.fill_null(pc.list_value_length(bronze.column("urls")), 0).cast(pa.int32()),
        "country": pa.array([p[0] for p in places], type=pa.string()),
        "region": pa.array([p[1] for p in places], type=pa.string()),
        "country_source": pa.array([p[2] for p in places], type=pa.string()),
        "sentiment_score": pa.array(compound, type=pa.float64()),
        "sentiment_label": pa.array(labels, type=pa.string()),
        "is_retweet": pc.fill_null(pc.equal(kind, "retweet"), False),
        "is_reply": pc.fill_null(pc.equal(kind, "reply"), False),
        "is_quote": pc.fill_null(pc.or_(pc.equal(kind, "quote"),
                                        pc.and_(pc.equal(kind, "reply"),
                                                pc.is_valid(bronze.column("quoted_tweet_id")))), False),
        "engagement": engagement,
        "author_tier": _tiers(bronze.column("author_followers_count")),
    }
    columns = []
    for f in schema:
        col = computed[f.name] if f.name in computed else bronze.column(f.name)
        columns.append(col.cast(f.type) if col.type != f.type else col)
    return pa.Table.from_arrays(columns, schema=schema)


EDIT_FIELDS = ("edit_root_id", "edit_count")


def with_edit_columns(silver_rows: pa.Table, bronze: pa.Table) -> pa.Table:
    """silver_rows (silver_batch of `bronze`) plus each version's own edit chain columns, typed as silver's
    (SILVER_TABLE_SCHEMA): edits.of_version over whole columns. The speed layer's rows (speed.tweets): it
    streams versions one at a time, and serving.tweets keeps the newest of each chain. One Arrow kernel
    per column, no Python per row: nearly every tweet is a chain of one."""
    schema = arrow_schema("SILVER_TABLE_SCHEMA")
    root = pc.coalesce(bronze.column("edit_root_id"), bronze.column("tweet_id"))
    count = pc.subtract(pc.max_element_wise(pc.fill_null(bronze.column("edit_versions"), 1), 1), 1)
    for name, col in zip(EDIT_FIELDS, (root, count)):
        silver_rows = silver_rows.append_column(schema.field(name), col.cast(schema.field(name).type))
    return silver_rows


def batches(table: pa.Table, rows: int = 10_000) -> Iterable[pa.RecordBatch]:
    """mapInArrow's output: record batches of at most `rows` rows (Spark's own batch size)."""
    for b in table.to_batches(max_chunksize=rows):
        if b.num_rows:
            yield b


# ---- DataFrame.mapInArrow functions (module-level here, so executors import them from the shipped zip)
def bronze_arrow(pii: pii_mod.Pii):
    """Raw lines (path, value), each file's lines in order inside one task (build_bronze.parse_raw
    reads files unsplit) -> batches of (b: bronze struct, r: rejected struct). Line i of a file is
    Kafka offset first + i (parse.parse_file's rule), counted across the task's batches."""
    b_type, r_type = (pa.struct(list(arrow_schema(n))) for n in ("BRONZE_SCHEMA", "REJECTED_SCHEMA"))

    def pair(table: pa.Table, bronze_side: bool):
        for batch in batches(table):
            struct = pa.StructArray.from_arrays(batch.columns, fields=list(batch.schema))
            nulls = pa.nulls(batch.num_rows, type=r_type if bronze_side else b_type)
            yield pa.RecordBatch.from_arrays([struct, nulls] if bronze_side else [nulls, struct], names=["b", "r"])

    def run(line_batches):
        files: dict[str, tuple[dict, int | None, int]] = {}  # path -> (its metadata, first offset, lines seen)
        for batch in line_batches:
            metas = []
            for path in batch.column("path").to_pylist():
                known = files.get(path)
                if known is None:
                    base = parse.meta_for_file(path)
                    known = (base, base.pop("first_offset"), 0)
                base, first, seen = known
                metas.append({**base, "kafka_offset": first + seen if first is not None else seen})
                files[path] = (base, first, seen + 1)
            rows, rejects = bronze_batch(batch.column("value").to_pylist(), metas, pii)
            yield from pair(rows, True)
            yield from pair(rejects, False)

    return run


def silver_arrow(bronze_batches):
    """Bronze batches -> silver batches (with SPELLINGS last) through silver_batch."""
    for batch in bronze_batches:
        if batch.num_rows:
            yield from batches(silver_batch(pa.Table.from_batches([batch]), spellings=True))


def location_countries_arrow(location_batches):
    """Distinct author locations -> (author_location, location_country): gold.dim_authors' lookup."""
    for batch in location_batches:
        locs = batch.column("author_location").to_pylist()
        yield pa.RecordBatch.from_arrays(
            [pa.array(locs, type=pa.string()), pa.array([geo.resolve_location(x)[0] for x in locs], type=pa.string())],
            names=["author_location", "location_country"])


def words_arrow(tweet_batches):
    """(created_date, lang, text) -> one (created_date, lang, word) row per content word (gold.mart_top_words);
    a text repeated in the batch (retweets) is segmented once."""
    from spark.enrich import words

    for batch in tweet_batches:
        per_text = words.tokens_batch(batch.column("text").to_pylist(), batch.column("lang").to_pylist())
        counts = np.fromiter((len(w) for w in per_text), dtype=np.int64, count=len(per_text))
        if not counts.sum():
            continue
        rows = np.repeat(np.arange(len(per_text)), counts)
        yield pa.RecordBatch.from_arrays(
            [batch.column("created_date").take(pa.array(rows)), batch.column("lang").take(pa.array(rows)),
             pa.array([w for ws in per_text for w in ws], type=pa.string())],
            names=["created_date", "lang", "word"])
