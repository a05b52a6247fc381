"""A lake made by an older release gets the columns a table's .sql file now declares: lake.ddl adds them
(ALTER TABLE ADD COLUMNS) when the layer's DDL is applied, as `make build` does every run, and the rows
already there read the new column as NULL."""
from __future__ import annotations

import uuid

import pytest

from lake.pipeline import ddl
from lake.runtime import clients

pytestmark = pytest.mark.integration


@pytest.fixture
def schemas(lake):
    tag = uuid.uuid4().hex[:10]
    names = {"SILVER_DB": f"it_{tag}_silver", "GOLD_DB": f"it_{tag}_gold"}
    yield names
    for db in names.values():
        clients.hive(lake, f"DROP DATABASE IF EXISTS {db} CASCADE")


def test_applying_the_ddl_adds_the_columns_an_old_table_lacks(lake, schemas):
    silver = schemas["SILVER_DB"]
    clients.hive(lake, f"CREATE DATABASE IF NOT EXISTS {silver}")
    # silver.tweet_hashtags as the release before the display form made it, with a row in it
    clients.hive(lake, f"CREATE TABLE {silver}.tweet_hashtags (tweet_id BIGINT, hashtag STRING, created_at TIMESTAMP, "
                       "author_key STRING, lang STRING, country STRING, sentiment_label STRING, engagement BIGINT) "
                       "PARTITIONED BY (created_date DATE) STORED AS ORC")
    clients.hive(lake, f"INSERT INTO {silver}.tweet_hashtags PARTITION (created_date='2024-01-01') "
                       "VALUES (1, 'atencao', TIMESTAMP '2024-01-01 10:00:00', 'u_1', 'pt', 'BR', 'neutral', 3)")
    out = ddl.apply_layer(lake, "silver", **schemas)
    assert f"{silver}.tweet_hashtags.hashtag_display" in out
    described = [r[0] for r in clients.hive(lake, f"DESCRIBE {silver}.tweet_hashtags")]
    assert described[:10] == ["tweet_id", "hashtag", "created_at", "author_key", "lang", "country",
                              "sentiment_label", "engagement", "hashtag_display", "created_date"]
    # old rows read NULL; a row written in the new column order lands where it should
    clients.hive(lake, f"INSERT INTO {silver}.tweet_hashtags PARTITION (created_date='2024-01-01') "
                       "VALUES (2, 'atencao', TIMESTAMP '2024-01-01 11:00:00', 'u_2', 'pt', 'BR', 'positive', 1, 'Atenção')")
    rows = clients.trino(lake, f"SELECT tweet_id, hashtag_display FROM hive.{silver}.tweet_hashtags ORDER BY tweet_id")
    assert rows == [(1, None), (2, "Atenção")]
    # applying again changes nothing
    assert "columns added" not in ddl.apply_layer(lake, "silver", **schemas)
