"""Rewrites the small files of a Hive table's partitions into files of a target size, atomically.

    compact.py --table schema.table [--partitions 'd=2024-01-01,d=2024-01-02'] [--target-mb 128]
               [--min-files 1] [--codec zstd] [--grace-seconds 30] [--dry-run]

For each chosen partition (or the whole table when it has none) whose files are more than
max(min-files, ceil(bytes / target)):
  1. list its files, read exactly those (ORC or Parquet) and write them, coalesced, into a
     new directory <table root>/_compacted/<partition>/v<stamp> (hidden from Hive, Spark and
     Trino listings by the leading underscore);
  2. check the new files hold the same rows: count and a checksum over every column, both
     read back, and the old file list unchanged (nothing was added meanwhile); else drop the
     new directory and leave the partition as it was;
  3. swap: one metastore call repoints the partition (ALTER TABLE ... PARTITION ... SET
     LOCATION) or the table (ALTER TABLE ... SET LOCATION). A reader gets either the old
     location or the new one, both complete;
  4. after --grace-seconds (for queries that planned against the old location to finish
     reading it), delete the old files, and their directory once empty.
A partition already compact is left alone, so a rerun does nothing. Bucketed tables are
refused (a rewrite would break their bucket files). Prints `COMPACT_RESULT {json}`.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # spark-submit puts only this file's folder on sys.path
    sys.path.insert(0, str(REPO))

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from lake.runtime import spark as lake_spark  # noqa: E402

FORMATS = {"orc": "orc", "parquet": "parquet"}
HIDDEN = ("_", ".")


class CompactError(SystemExit):
    def __init__(self, msg: str):
        super().__init__(f"compact: {msg}")


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--table", required=True, help="schema.table")
    ap.add_argument("--partitions", default="", help="comma-separated partition names (k=v/k2=v2); default all")
    ap.add_argument("--target-mb", type=float, default=128.0)
    ap.add_argument("--min-files", type=int, default=1, help="at least this many files per partition")
    ap.add_argument("--codec", default="zstd")
    ap.add_argument("--grace-seconds", type=float, default=30.0)
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args(argv)
    if args.target_mb <= 0 or args.min_files < 1 or args.grace_seconds < 0:
        ap.error("--target-mb must be > 0, --min-files >= 1, --grace-seconds >= 0")
    return args


def planned_files(total_bytes: int, target_mb: float, min_files: int) -> int:
    return max(min_files, math.ceil(total_bytes / (target_mb * 2**20)))


def describe(spark: SparkSession, table: str, partition: dict | None = None) -> dict[str, str]:
    spec = ""
    if partition:
        spec = " PARTITION (" + ", ".join(f"`{k}` = '{v}'" for k, v in partition.items()) + ")"
    out = {}
    for r in spark.sql(f"DESCRIBE FORMATTED {table}{spec}").collect():
        key = (r.col_name or "").strip()
        if key and key not in out:
            out[key] = (r.data_type or "").strip()
    return out


def partition_spec(name: str) -> dict[str, str]:
    from urllib.parse import unquote

    return dict((unquote(k), unquote(v)) for k, v in (kv.split("=", 1) for kv in name.split("/")))


class Fs:
    def __init__(self, spark: SparkSession, any_path: str):
        jvm = spark.sparkContext._jvm
        self.Path = jvm.org.apache.hadoop.fs.Path
        self.fs = self.Path(any_path).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def files(self, directory: str) -> dict[str, int]:
        """Data files directly in the directory (what Trino and Hive read), name -> bytes."""
        p = self.Path(directory)
        if not self.fs.exists(p):
            return {}
        return {st.getPath().toString(): st.getLen() for st in self.fs.listStatus(p)
                if st.isFile() and not st.getPath().getName().startswith(HIDDEN)}

    def delete(self, path: str, recursive: bool = False) -> None:
        self.fs.delete(self.Path(path), recursive)

    def is_empty_dir(self, path: str) -> bool:
        p = self.Path(path)
        return self.fs.exists(p) and len(self.fs.listStatus(p)) == 0


def _checksum(df):
    cols = [F.col(f"`{c}`") for c in df.columns]
    row = df.select(F.count(F.lit(1)).alias("n"), F.sum(F.xxhash64(*cols).cast("decimal(38,0)")).alias("h")).first()
    return int(row.n), str(row.h)


def main(argv=None) -> dict:
    args = parse_args(argv)
    t0 = time.monotonic()
    spark = lake_spark.session(f"lake-compact-{args.table}")
    try:
        result = run(spark, args)
    finally:
        spark.stop()
    result["seconds"] = round(time.monotonic() - t0, 1)
    print("COMPACT_RESULT " + json.dumps(result, sort_keys=True), flush=True)
    return result


def run(spark: SparkSession, args) -> dict:
    table = args.table
    if "." not in table or not spark.catalog.tableExists(table):
        raise CompactError(f"table {table!r} does not exist (give it as schema.table)")
    meta = describe(spark, table)
    if meta.get("Num Buckets") not in (None, "", "-1", "0"):
        raise CompactError(f"{table} is bucketed ({meta['Num Buckets']} buckets): rewriting would break its bucket "
                           "files; not compacted")
    fmt = next((f for k, f in FORMATS.items() if k in (meta.get("InputFormat", "") + meta.get("Provider", "")).lower()),
               None)
    if fmt is None:
        raise CompactError(f"{table} is stored as {meta.get('InputFormat') or meta.get('Provider')}: only ORC and "
                           "Parquet tables can be compacted")
    columns = spark.catalog.listColumns(table)
    part_cols = [c.name for c in columns if c.isPartition]
    data_cols = [c.name for c in columns if not c.isPartition]
    schema = spark.table(table).select(*[F.col(f"`{c}`") for c in data_cols]).schema
    root = meta["Location"].split("/_compacted/")[0].rstrip("/")
    fs = Fs(spark, root)

    if part_cols:
        names = [r[0] for r in spark.sql(f"SHOW PARTITIONS {table}").collect()]
        wanted = [p.strip() for p in args.partitions.split(",") if p.strip()]
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            raise CompactError(f"{table} has no partition(s) {', '.join(unknown)}")
        units = [(n, partition_spec(n)) for n in (wanted or names)]
    else:
        if args.partitions.strip():
            raise CompactError(f"{table} is not partitioned; leave PARTITIONS empty")
        units = [("", None)]

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:6]
    report, swapped = [], []
    for name, spec in units:
        loc = (describe(spark, table, spec)["Location"] if spec else meta["Location"]).rstrip("/")
        old = fs.files(loc)
        total = sum(old.values())
        n_out = planned_files(total, args.target_mb, args.min_files)
        unit = {"partition": name or None, "location": loc, "files_before": len(old), "bytes_before": total,
                "planned_files": n_out}
        if len(old) <= n_out:
            unit.update(action="already compact", files_after=len(old), bytes_after=total)
            report.append(unit)
            continue
        if args.dry_run:
            unit.update(action="would compact", files_after=len(old), bytes_after=total)
            report.append(unit)
            continue
        new = f"{root}/_compacted/{name + '/' if name else ''}v{stamp}"
        src = spark.read.schema(schema).format(fmt).load(sorted(old))
        src.coalesce(n_out).write.format(fmt).option("compression", args.codec).save(new)
        expect = _checksum(src)
        got = _checksum(spark.read.schema(schema).format(fmt).load(new))
        now = fs.files(loc)
        if got != expect or now != old:
            fs.delete(new, recursive=True)
            why = "rows differ after the rewrite" if got != expect else "files changed while compacting"
            raise CompactError(f"{table} {name or ''}: {why}; nothing swapped for it, its new files removed")
        if spec:
            part = ", ".join(f"`{k}` = '{v}'" for k, v in spec.items())
            spark.sql(f"ALTER TABLE {table} PARTITION ({part}) SET LOCATION '{new}'")
        else:
            spark.sql(f"ALTER TABLE {table} SET LOCATION '{new}'")
        written = fs.files(new)
        unit.update(action="compacted", new_location=new, files_after=len(written),
                    bytes_after=sum(written.values()), rows=expect[0])
        report.append(unit)
        swapped.append((loc, old, new))

    if swapped and args.grace_seconds:
        time.sleep(args.grace_seconds)  # readers that planned on the old location finish with it
    for loc, old, new in swapped:
        for path in old:
            fs.delete(path)
        if loc != root and not new.startswith(loc + "/") and fs.is_empty_dir(loc):
            fs.delete(loc)
    spark.catalog.refreshTable(table)
    return {"table": table, "format": fmt, "target_mb": args.target_mb, "min_files": args.min_files,
            "dry_run": args.dry_run, "partitions": report,
            "rewritten": sum(1 for u in report if u["action"] == "compacted"),
            "files_before": sum(u["files_before"] for u in report), "files_after": sum(u["files_after"] for u in report),
            "bytes_before": sum(u["bytes_before"] for u in report), "bytes_after": sum(u["bytes_after"] for u in report)}


if __name__ == "__main__":
    main()
