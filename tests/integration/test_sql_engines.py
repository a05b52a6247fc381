"""A Hive table written by Spark is the same table in Trino, PyHive and Beeline."""
from __future__ import annotations

import pytest

from lake.demos import smoke
from lake.runtime import clients


@pytest.fixture
def smoke_table(lake, sandbox):
    smoke.spark_table(lake, sandbox.schema, rows=300, master="local[2]")
    return sandbox.schema


def test_same_rows_in_trino_pyhive_and_beeline(lake, smoke_table):
    sql = "SELECT id, name, amount FROM {t} ORDER BY id"
    via_trino = clients.trino(lake, sql.format(t=f"hive.{smoke_table}.smoke"))
    via_pyhive = clients.hive(lake, sql.format(t=f"{smoke_table}.smoke"))
    via_beeline = clients.beeline(lake, sql.format(t=f"{smoke_table}.smoke"))
    assert len(via_trino) == 300
    assert via_trino == via_pyhive
    assert [(int(a), b, float(c)) for a, b, c in via_beeline] == via_trino


def test_trino_lists_the_schema_and_tpch_works(lake, smoke_table):
    schemas = {r[0] for r in clients.trino(lake, "SHOW SCHEMAS FROM hive")}
    assert smoke_table in schemas
    assert clients.trino(lake, "SELECT count(*) FROM tpch.tiny.nation", catalog="tpch") == [(25,)]
