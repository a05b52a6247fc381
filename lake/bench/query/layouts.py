"""Builds what the benchmark queries: the base table (Spark generator job), two small dims, and
each layout (Trino CTAS, or a Spark job where Trino cannot write it). Never timed.

Idempotent: a layout is reused when bench_<scale>_base.built_layouts records it as complete
with the same spec and row count, and rebuilt from scratch (DROP + create) otherwise, so a run
killed halfway leaves nothing that a later run would trust.
"""
from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

from lake.bench.query.cases import Case, Layout
from lake.bench.query.trino_run import Trino
from lake.runtime import hdfs_client
from lake.pipeline.compact import NO_UI
from lake.errors import LakeError
from lake.settings import ROOT, Settings

REPO = ROOT
GENERATE_JOB = REPO / "spark" / "jobs" / "bench_generate.py"
LAYOUT_JOB = REPO / "spark" / "jobs" / "bench_layout.py"
TABLE = "tweets"
MAX_PARTITIONS_PER_STATEMENT = 100  # Trino's hive.max-partitions-per-writers default


def _q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def table_exists(tr: Trino, schema: str, table: str = TABLE) -> bool:
    rows, _ = tr.execute(f"SELECT count(*) FROM hive.information_schema.tables "
                         f"WHERE table_schema = {_q(schema)} AND table_name = {_q(table)}")
    return rows[0][0] > 0


def ensure_base(s: Settings, case: Case, tr: Trino, log=print) -> dict:
    """The base table (rows as the bronze build would make them) and the dims, built once per scale."""
    from lake.runtime import spark as lake_spark

    base, d = case.base_schema, case.data
    marker = f"{case.rows}/{d['seed']}/{d['days']}/{d['anchor']}"
    info = {"schema": base, "status": "reused"}
    props = table_properties(tr, base) if table_exists(tr, base) else {}
    if props.get("bench.complete") != marker:
        log(f"generating {case.rows:,} synthetic tweets into {base}.{TABLE} (Spark job, not timed)")
        out = lake_spark.submit(s, GENERATE_JOB, [
            "--table", f"{base}.{TABLE}", "--rows", str(case.rows), "--chunks", str(case.chunks),
            "--seed", str(d["seed"]), "--days", str(d["days"]), "--anchor", str(d["anchor"]),
            "--format", str(d["format"]), "--files", str(max(2, case.chunks // 2))], timeout=7200,
            extra_conf=NO_UI)
        line = next(ln for ln in out.splitlines() if ln.startswith("BENCH_GENERATE "))
        info.update(json.loads(line.split(" ", 1)[1]))
        props = table_properties(tr, base)
    info["payload_bytes"] = int(props.get("bench.payload_bytes") or 0) or None
    info["rows"] = tr.execute(f"SELECT count(*) FROM hive.{base}.{TABLE}")[0][0][0]
    tr.execute(f"CREATE TABLE IF NOT EXISTS hive.{base}.built_layouts (layout varchar, spec varchar, "
               f"row_count bigint, seconds double, built_at varchar) WITH (format = 'ORC')")
    for sql in ((REPO / "benchmarks" / "queries" / "dims" / f).read_text() for f in ("dim_authors.sql", "dim_dates.sql")):
        from lake.bench.query.cases import render

        tr.execute(render(sql, {"catalog": "hive", "base": base}))
    return info


def table_properties(tr: Trino, schema: str, table: str = TABLE) -> dict:
    """The Hive table parameters (Trino's "<table>$properties" table: one column per key)."""
    cur = tr.conn.cursor()
    try:
        cur.execute(f'SELECT * FROM hive.{schema}."{table}$properties"')
        rows = cur.fetchall()
        return dict(zip([c[0] for c in cur.description], rows[0])) if rows else {}
    finally:
        cur.close()


def columns(tr: Trino, schema: str, table: str = TABLE) -> list[str]:
    rows, _ = tr.execute(f"SELECT column_name FROM hive.information_schema.columns WHERE table_schema = "
                         f"{_q(schema)} AND table_name = {_q(table)} ORDER BY ordinal_position")
    return [r[0] for r in rows]


def spec_of(layout: Layout, case: Case) -> str:
    spec = dict(layout.__dict__)
    if layout.small_files:
        spec["files"] = case.small_files
    return json.dumps(spec, sort_keys=True)


def recorded(tr: Trino, case: Case, name: str) -> dict | None:
    rows, _ = tr.execute(f"SELECT spec, row_count, seconds FROM hive.{case.base_schema}.built_layouts "
                         f"WHERE layout = {_q(name)} ORDER BY built_at DESC LIMIT 1")
    return {"spec": rows[0][0], "rows": rows[0][1], "seconds": rows[0][2]} if rows else None


def with_clause(layout: Layout) -> str:
    props = [f"format = {_q(layout.format)}"]
    if layout.partitioned_by:
        props.append("partitioned_by = ARRAY[" + ", ".join(_q(c) for c in layout.partitioned_by) + "]")
    if layout.bucketed_by:
        props.append("bucketed_by = ARRAY[" + ", ".join(_q(c) for c in layout.bucketed_by) + "]")
        props.append(f"bucket_count = {layout.bucket_count}")
    return ", ".join(props)


def select_list(layout: Layout, cols: list[str]) -> str:
    """Every base column, the layout's partition columns last (Hive's rule)."""
    ordered = [c for c in cols if c not in layout.partitioned_by] + list(layout.partitioned_by)
    return ", ".join(f'"{c}"' for c in ordered)


def files_for(total_bytes: int, target_mb: float, min_files: int) -> int:
    """Output files: target-sized, but at least min_files (so each core gets work)."""
    return max(min_files, math.ceil(total_bytes / (target_mb * 2**20)))


# What a bucketed layout's ORC writers may buffer in all, well inside Trino's 1 GB per-node query memory.
WRITER_BUDGET_MB = 256


def write_session(layout: Layout) -> dict[str, str]:
    """Trino session properties (values as SQL literals) for a Trino-written layout's CREATE TABLE AS."""
    session = {"hive.compression_codec": _q(layout.codec)}
    if not layout.statistics:
        session["hive.collect_column_statistics_on_write"] = "false"
    if layout.bucketed_by:
        # One ORC writer per bucket is open at once, each buffering up to a stripe (64 MB by default) plus
        # its dictionaries (16 MB): at SCALE=medium 16 of them passed Trino's 1 GB per-node query memory
        # (EXCEEDED_LOCAL_MEMORY_LIMIT, 2026-11-23), and 64 writers with 16 MB stripes still did. So the
        # writers share a fixed budget: 256 MB / buckets each for the stripe (16 MB at 16 buckets, 4 MB at
        # 64) and as much for dictionaries. A medium bucket file is 2-9 MB, one stripe either way.
        # The minimum stripe (32 MB by default) must come down too: Trino refuses max < min.
        per_writer_mb = max(1, min(16, WRITER_BUDGET_MB // int(layout.bucket_count)))
        session["hive.orc_optimized_writer_min_stripe_size"] = f"'{max(1, per_writer_mb // 2)}MB'"
        session["hive.orc_optimized_writer_max_stripe_size"] = f"'{per_writer_mb}MB'"
        session["hive.orc_optimized_writer_max_dictionary_memory"] = f"'{per_writer_mb}MB'"
    return session


def build_layout(s: Settings, case: Case, tr: Trino, layout: Layout, base_rows: int, log=print) -> dict:
    schema, base = case.schema(layout.name), case.base_schema
    spec = spec_of(layout, case)
    rec = recorded(tr, case, layout.name)
    if rec and rec["spec"] == spec and rec["rows"] == base_rows and table_exists(tr, schema):
        return {"status": "reused", "build_seconds": rec["seconds"]}
    t0 = time.monotonic()
    log(f"building layout {layout.name} -> {schema}.{TABLE} (not timed)")
    tr.execute(f"CREATE SCHEMA IF NOT EXISTS hive.{schema}")
    # A compacted table lives under <root>/_compacted/<n>: its DROP removes that folder and
    # leaves <root>, where the CREATE below would fail (HIVE_PATH_ALREADY_EXISTS). The build
    # owns the table's folder (the default managed location unless the metastore says otherwise).
    root = (location(s, schema) if table_exists(tr, schema)
            else f"/lake/warehouse/{schema}.db/{TABLE}").split("/_compacted/")[0]
    tr.execute(f"DROP TABLE IF EXISTS hive.{schema}.{TABLE}")
    hdfs_client.client(s).delete(root, recursive=True)
    cols = columns(tr, base)
    session = write_session(layout)
    target = f"hive.{schema}.{TABLE}"
    select = f"SELECT {select_list(layout, cols)} FROM hive.{base}.{TABLE}"
    if layout.writer == "spark":
        tr.execute(f"CREATE TABLE {target} WITH ({with_clause(layout)}) AS {select} WITH NO DATA", session)
        files = case.small_files if layout.small_files else files_for(
            base_bytes(s, tr, case), case.compaction["target_mb"], case.compaction["min_files_per_core"] * cores())
        _spark_layout(s, case, layout, files)
        if layout.compact:
            from lake.pipeline import compact

            result = compact.compact(s, f"{schema}.{TABLE}", target_mb=case.compaction["target_mb"],
                                     min_files=case.compaction["min_files_per_core"] * cores(), grace_seconds=0)
            log(f"  compacted {schema}.{TABLE}: {result['files_before']} -> {result['files_after']} files")
    elif "created_hour" in layout.partitioned_by:
        # One statement may write at most 100 partitions: a day (24 hours) at a time.
        tr.execute(f"CREATE TABLE {target} WITH ({with_clause(layout)}) AS {select} WITH NO DATA", session)
        days = [r[0] for r in tr.execute(f"SELECT DISTINCT created_date FROM hive.{base}.{TABLE} ORDER BY 1")[0]]
        for day in days:
            tr.execute(f"INSERT INTO {target} {select} WHERE created_date = DATE '{day.isoformat()}'", session)
    else:
        tr.execute(f"CREATE TABLE {target} WITH ({with_clause(layout)}) AS {select}", session)
    if layout.statistics:
        tr.execute(f"ANALYZE {target}")
    else:
        tr.execute(f"CALL hive.system.drop_stats(schema_name => {_q(schema)}, table_name => {_q(TABLE)})")
    rows = tr.execute(f"SELECT count(*) FROM {target}")[0][0][0]
    if rows != base_rows:
        raise LakeError(f"layout {layout.name}: {rows} rows after the build, the base has {base_rows}")
    seconds = round(time.monotonic() - t0, 1)
    tr.execute(f"INSERT INTO hive.{base}.built_layouts VALUES ({_q(layout.name)}, {_q(spec)}, {rows}, "
               f"{seconds}, {_q(time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()))})")
    return {"status": "built", "build_seconds": seconds}


def cores() -> int:
    return os.cpu_count() or 1


def _spark_layout(s: Settings, case: Case, layout: Layout, files: int) -> None:
    from lake.runtime import spark as lake_spark

    args = ["--source", f"{case.base_schema}.{TABLE}", "--target", f"{case.schema(layout.name)}.{TABLE}",
            "--files", str(files)]
    if layout.sort:
        args += ["--sort", layout.sort]
    if layout.stripes_per_file:
        args += ["--stripes-per-file", str(layout.stripes_per_file)]
    lake_spark.submit(s, LAYOUT_JOB, args, timeout=7200, extra_conf=NO_UI)


def location(s: Settings, schema: str, table: str = TABLE) -> str:
    """The table's HDFS location (path only), from the metastore through the Thrift Server."""
    from lake.runtime import clients

    for row in clients.hive(s, f"DESCRIBE FORMATTED {schema}.{table}"):
        if (row[0] or "").strip() == "Location":
            loc = row[1].strip()
            return "/" + loc.split("://", 1)[1].split("/", 1)[1] if "://" in loc else loc
    raise LakeError(f"{schema}.{table} has no location in the metastore")


def storage(s: Settings, schema: str, table: str = TABLE) -> dict:
    """Bytes and files under the table's directory (the data every engine reads)."""
    loc = location(s, schema, table)
    root = loc.split("/_compacted/")[0]  # a compacted table keeps its files under <root>/_compacted
    summary = hdfs_client.client(s).content(root)
    return {"location": loc, "bytes": summary["length"], "files": summary["fileCount"]}


def base_bytes(s: Settings, tr: Trino, case: Case) -> int:
    """What the hub layout holds on disk, if built (else the base table): sizes the sorted layout's files."""
    for schema in (case.schema("orc_zstd"), case.base_schema):
        if table_exists(tr, schema):
            return storage(s, schema)["bytes"]
    return 0


def drop_scale(s: Settings, tr: Trino, scale: str, log=print) -> list[str]:
    """Drop every bench_<scale>_* schema with its tables and HDFS directories (the tiny test's cleanup)."""
    prefix = f"bench_{scale}_"
    rows, _ = tr.execute(f"SELECT schema_name FROM hive.information_schema.schemata "
                         f"WHERE schema_name LIKE {_q(prefix.replace('_', chr(92) + '_') + '%')} ESCAPE '\\'")
    dropped = []
    for (schema,) in rows:
        locations = []
        for (table,) in tr.execute(f"SELECT table_name FROM hive.information_schema.tables "
                                   f"WHERE table_schema = {_q(schema)}")[0]:
            try:
                locations.append(location(s, schema, table).split("/_compacted/")[0])
            except LakeError:
                pass
            tr.execute(f"DROP TABLE IF EXISTS hive.{schema}.{table}")
        tr.execute(f"DROP SCHEMA IF EXISTS hive.{schema}")
        client = hdfs_client.client(s)
        for loc in locations:  # a managed table's drop removes its data; anything left goes here
            client.delete(loc, recursive=True)
        log(f"dropped {schema}")
        dropped.append(schema)
    return dropped
