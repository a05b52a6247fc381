"""The speed layer's pure parts: same rows as the batch path, same reject reasons, same ingest slot
as the raw sink, and tables/view whose columns are silver's."""
from __future__ import annotations

import re
from collections import namedtuple
from datetime import datetime, timezone

import pytest

from ingestion.sink import raw_sink as sink
from ingestion.sources import synthetic
from spark.jobs import stream_speed
from spark.transforms import parse, pii, silver
from spark.transforms.schema import REJECTED_SCHEMA, SILVER_SCHEMA, SILVER_TABLE_SCHEMA

ROOT = stream_speed.REPO
Rec = namedtuple("Rec", "topic partition offset value ts_ms")
KEY = pii.Pii("unit-test-key-0123456789abcdef")


def ddl_columns(path) -> list[str]:
    body = path.read_text().split("CREATE TABLE", 1)[1].split("(", 1)[1].split("\n)", 1)[0]
    return [m.group(1) for m in re.finditer(r"^\s+(\w+)\s+[A-Z]", body, re.M)]


def test_ingest_slot_is_the_raw_sinks():
    for ms in (0, 1_700_000_000_123, 1_795_435_199_999, 1_795_435_200_000):
        meta = stream_speed.ingest_meta("tweets.raw", 3, 42, ms)
        assert (meta["ingest_date"], meta["ingest_hour"]) == sink.ingest_slot(ms)
        assert meta["kafka_partition"] == 3 and meta["kafka_offset"] == 42 and meta["source_file"] == "kafka:tweets.raw"


def test_speed_rows_are_the_batch_paths_rows():
    records = [r.payload for r in synthetic.generate(40, seed=3)]
    ts = int(datetime(2026, 1, 2, 13, 5, tzinfo=timezone.utc).timestamp() * 1000)
    out = list(stream_speed.convert_partition(KEY)(Rec("t", 1, i, v, ts) for i, v in enumerate(records)))
    assert len(out) == len(records) and all(r is None for _, r in out)
    cols = stream_speed.SPEED_SCHEMA.fieldNames()
    for i, (row, _) in enumerate(out):
        meta = {"ingest_date": "2026-01-02", "ingest_hour": "13", "source_file": "kafka:t",
                "kafka_partition": 1, "kafka_offset": i}
        bronze, rej = parse.to_bronze(records[i], meta, KEY)
        assert rej is None
        got = dict(zip(cols, row))
        assert got == {**silver.enrich(bronze), "edit_root_id": bronze["tweet_id"], "edit_count": 0}  # the very same function



@pytest.mark.parametrize("value,reason", [
    (b"not json {", parse.INVALID_JSON), (b"", parse.INVALID_JSON), (b"\xff\xfe", parse.INVALID_JSON),
    (b'{"foo": 1}', parse.NOT_A_TWEET), (b"[1, 2]", parse.NOT_A_TWEET),
    (b'{"id": 5, "author_id": "9", "text": "x"}', parse.BAD_ID_TYPE),
    (b'{"id": "127", "author_id": "9", "text": "x"}', parse.MISSING_CREATED_AT),
    (None, parse.INVALID_JSON),
])
def test_bad_records_get_the_batch_layers_reasons(value, reason):
    (row, rej), = stream_speed.convert_partition(KEY)([Rec("t", 0, 7, value, 0)])
    assert row is None
    got = dict(zip(REJECTED_SCHEMA.fieldNames(), rej))
    assert got["reason"] == reason and got["reason"] in parse.REASONS
    assert got["kafka_offset"] == 7 and got["source_file"] == "kafka:t" and got["ingest_date"] == "1970-01-01"


class _Acc:
    """The add() of a Spark accumulator, for calling a mapInArrow function outside Spark."""

    def __init__(self, zero):
        self.value = zero

    def add(self, v):
        self.value = self.value + v


def test_arrow_hand_off_carries_the_same_rows_and_rejects():
    pa = pytest.importorskip("pyarrow")
    payloads = [r.payload for r in synthetic.generate(30, seed=5)]
    values = payloads[:10] + [b"not json {", None] + payloads[10:] + [b'{"foo": 1}']
    ts = int(datetime(2026, 1, 2, 13, 5, tzinfo=timezone.utc).timestamp() * 1000)
    recs = [Rec("t", 2, i, v, ts) for i, v in enumerate(values)]
    kafka = pa.schema([("topic", pa.string()), ("partition", pa.int32()), ("offset", pa.int64()),
                       ("value", pa.binary()), ("ts_ms", pa.int64())])
    batches = [pa.RecordBatch.from_pylist([r._asdict() for r in part], schema=kafka)
               for part in (recs[:7], recs[7:], [])]
    rejects, rows = _Acc([]), _Acc(0)
    out = list(stream_speed.arrow_rows(KEY, rejects, rows)(iter(batches)))
    # Spark checks each batch against the declared schema: names and types must be SPEED_SCHEMA's
    from pyspark.sql.pandas.types import to_arrow_schema
    assert all(b.schema.equals(to_arrow_schema(stream_speed.SPEED_SCHEMA)) for b in out)
    got = [r for b in out for r in b.to_pylist()]
    expected = [dict(zip(stream_speed.SPEED_SCHEMA.fieldNames(), row))
                for row, rej in stream_speed.convert_partition(KEY)(recs) if rej is None]
    assert len(got) == len(payloads) == rows.value
    assert got == expected  # created_at is tz-aware UTC on both sides, created_date a date
    reasons = {r[REJECTED_SCHEMA.fieldNames().index("kafka_offset")]: r[0] for r in rejects.value}
    assert reasons == {10: parse.INVALID_JSON, 11: parse.INVALID_JSON, len(values) - 1: parse.NOT_A_TWEET}


def test_speed_table_has_silvers_columns_partitioned_by_ingest_date():
    cols = ddl_columns(ROOT / "hive/ddl/speed/tweets.sql")
    # silver's columns, then silver.tweets' edit chain columns, appended (an older speed table takes them)
    assert cols == [c for c in SILVER_SCHEMA.fieldNames() if c != "ingest_date"] + ["edit_root_id", "edit_count"]
    assert stream_speed.SPEED_SCHEMA.fieldNames() == cols + ["ingest_date"]
    for c in ("edit_root_id", "edit_count"):
        assert stream_speed.SPEED_SCHEMA[c].dataType == SILVER_TABLE_SCHEMA[c].dataType
    assert "PARTITIONED BY (ingest_date STRING" in (ROOT / "hive/ddl/speed/tweets.sql").read_text()
    rej = ddl_columns(ROOT / "hive/ddl/speed/tweets_rejected.sql")
    assert rej == [c for c in REJECTED_SCHEMA.fieldNames() if c != "ingest_date"]


def test_serving_view_selects_silver_tables_columns_in_order_from_both_layers():
    sql = (ROOT / "hive/ddl/serving/tweets.sql").read_text()
    selects = re.findall(r"SELECT\n((?:  [^\n]+,\n)+)  '(batch|speed)' AS served_from", sql)
    assert [layer for _, layer in selects] == ["batch", "speed"]
    for cols, _ in selects:
        # a column or `expression AS column` (the speed rows' chain key and count: NULL in older rows)
        names = [c.strip().rstrip(",").split(" AS ")[-1] for c in cols.splitlines()]
        assert names == SILVER_TABLE_SCHEMA.fieldNames()


def test_batch_files_are_named_by_batch_id():
    assert stream_speed.batch_name(7) == "b000000000007"
    assert stream_speed.batch_name(123456789012) == "b123456789012"


def test_airflow_pins_are_exact_and_hold_the_providers():
    from lake import airflow_env

    reqs = airflow_env.requirements()
    names = {r.split("==")[0].lower() for r in reqs}
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][A-Za-z0-9.]*", r) for r in reqs)
    for needed in ("apache-airflow", "apache-airflow-providers-apache-spark", "apache-airflow-providers-trino",
                   "apache-airflow-providers-apache-hdfs", "psycopg2-binary"):
        assert needed in names
    assert not {"gssapi", "krb5"} & names  # source-only builds, not needed without Kerberos


def test_airflow_binds_loopback_on_its_own_port(tmp_path, monkeypatch):
    from lake import airflow_env, settings

    s = settings.load({"LAKE_ENV": "native", "LAKE_VAR_DIR": str(tmp_path)})
    # Airflow's Trino connection reads the `airflow` login that `make up` generates before Airflow starts
    monkeypatch.setenv("LAKE_TRINO_PASSWORD_AIRFLOW", "pw")
    env = airflow_env.environment(s, base={"PATH": "/usr/bin"})
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1" and env["AIRFLOW__API__PORT"] == "8090" != str(s.ports["trino"])
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://airflow:")
    assert f":{s.ports['postgres']}/airflow" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
