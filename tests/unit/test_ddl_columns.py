"""lake.ddl's additive column evolution reads the column list of every shipped CREATE TABLE, and the
writers insert by position in that order."""
from __future__ import annotations

from pathlib import Path

import pytest

from lake import settings
from lake.pipeline import ddl

ROOT = Path(__file__).resolve().parents[2]


def creates():
    s = settings.get()
    for f in sorted((ROOT / "hive" / "ddl").rglob("*.sql")):
        if ddl.engine(f) == "spark":
            for stmt in ddl.statements(f, ddl.ddl_params(s)):
                if "CREATE TABLE" in stmt.upper():
                    yield f, stmt


def test_every_spark_create_table_has_its_columns_read():
    found = {}
    for f, stmt in creates():
        parsed = ddl.declared_columns(stmt)
        assert parsed, f"{f}: CREATE TABLE not understood by ddl.declared_columns"
        table, columns = parsed
        assert columns and all(" " in d for _, d in columns), f
        found[table] = [c for c, _ in columns]
    assert found["silver.tweet_hashtags"][-1] == "hashtag_display"
    # each definition is one column's, nothing of the statement after the list
    _, cols = ddl.declared_columns(next(s for f, s in creates() if f.name == "tweet_hashtags.sql"))
    assert cols[-1][1].startswith("hashtag_display STRING") and cols[-1][1].endswith("kept)'")
    assert all(")" not in d.replace("(NFKC", "").replace("kept)", "") for _, d in cols)
    assert "place_bbox" in found["bronze.tweets"] and "mentions" in found["bronze.tweets"]


def test_commas_inside_types_and_comments_do_not_split_a_column():
    stmt = ("CREATE TABLE IF NOT EXISTS db.t (\n a STRUCT<x: INT, y: ARRAY<STRING>> COMMENT 'one, two',\n"
            " b MAP<STRING, INT>,\n `c` STRING COMMENT 'it''s (fine)'\n) COMMENT 'a, b' PARTITIONED BY (d DATE) STORED AS ORC")
    table, cols = ddl.declared_columns(stmt)
    assert table == "db.t" and [c for c, _ in cols] == ["a", "b", "c"]
    assert cols[0][1] == "a STRUCT<x: INT, y: ARRAY<STRING>> COMMENT 'one, two'"
    assert ddl.declared_columns("CREATE DATABASE IF NOT EXISTS x") is None


@pytest.mark.parametrize("table,writer", [("silver.tweet_hashtags", "spark.jobs.build_silver:HASHTAG_COLUMNS")])
def test_positional_writers_follow_the_declared_order(table, writer):
    import importlib

    module, name = writer.split(":")
    columns = getattr(importlib.import_module(module), name)
    declared = dict((t, [c for c, _ in cols]) for t, cols in (ddl.declared_columns(s) for _, s in creates()))
    assert columns[:-1] == declared[table]  # the partition column comes last


def test_a_column_missing_from_an_older_table_is_added_by_the_engine_that_made_it(monkeypatch):
    """Spark-made tables through Hive (ALTER TABLE ADD COLUMNS), Trino-made ones (hive.<schema>.<table>,
    the bucketed silver.tweets) through Trino (ALTER TABLE ADD COLUMN); columns present are left alone."""
    from lake.runtime import clients

    s = settings.get()
    stmts = [next(st for st in ddl.statements(ROOT / "hive/ddl/silver/tweets.sql", ddl.ddl_params(s)) if "CREATE TABLE" in st),
             next(st for st in ddl.statements(ROOT / "hive/ddl/bronze/tweets.sql", ddl.ddl_params(s)) if "CREATE TABLE" in st)]
    have = {"silver.tweets": [c for c, _ in ddl.declared_columns(stmts[0])[1] if c != "edit_count"],
            "bronze.tweets": [c for c, _ in ddl.declared_columns(stmts[1])[1] if not c.startswith("edit_")]}
    ran = []

    def trino(_s, sql):
        if sql.startswith("SELECT"):
            return [(t.split(".")[0], t.split(".")[1], c) for t, cols in have.items() for c in cols]
        ran.append(("trino", sql))
        return []

    monkeypatch.setattr(clients, "trino", trino)
    monkeypatch.setattr(clients, "hive", lambda _s, sql: ran.append(("hive", sql)) or [])
    added = ddl.add_missing_columns(s, stmts)
    assert added == ["silver.tweets.edit_count", "bronze.tweets.edit_root_id", "bronze.tweets.edit_version",
                     "bronze.tweets.edit_versions"]
    assert ran[0][0] == "trino" and ran[0][1].startswith("ALTER TABLE hive.silver.tweets ADD COLUMN edit_count ")
    assert [e for e, _ in ran[1:]] == ["hive"] * 3
    assert ran[1][1].startswith("ALTER TABLE bronze.tweets ADD COLUMNS (edit_root_id ")
