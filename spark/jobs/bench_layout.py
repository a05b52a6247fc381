"""Writes a query-benchmark layout that Trino cannot write: many small files, or files sorted by a column.

    bench_layout.py --source bench_small_base.tweets --target bench_small_orc_zstd_small_files.tweets --files 2000
    bench_layout.py --source ... --target bench_small_orc_zstd_sorted.tweets --files 4 --sort created_at

The target table exists already (created empty by Trino with the layout's format, so both
engines agree on it); this job overwrites its data. --sort range-partitions the rows on the
column into --files files and sorts each: every file covers its own slice of the range, which
min/max statistics can skip. Without --sort, rows are spread evenly over --files files, as
streaming micro-batches leave them (a few tasks, each rolling a new file every N rows).
--stripes-per-file cuts each ORC file into that many stripes (orc.stripe.row.count), the unit
whose statistics let Trino skip bytes inside a file.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # spark-submit puts only this file's folder on sys.path
    sys.path.insert(0, str(REPO))


from lake.runtime import spark as lake_spark  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--files", type=int, required=True)
    ap.add_argument("--sort", help="column to range-partition and sort by")
    ap.add_argument("--stripes-per-file", type=int, default=0, help="ORC stripes per file (0: the writer's default)")
    args = ap.parse_args(argv)
    if args.files < 1:
        ap.error("--files must be at least 1")
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    t0 = time.monotonic()
    spark = lake_spark.session(f"lake-bench-layout-{args.target}")
    try:
        src = spark.table(args.source)
        rows = src.count()
        target_cols = spark.table(args.target).columns
        df = src.select(*target_cols)
        if args.stripes_per_file > 0:
            # Session SQL conf reaches the ORC writer's Hadoop conf (Spark copies it per write).
            stripe_rows = max(1, math.ceil(rows / args.files / args.stripes_per_file))
            spark.conf.set("orc.stripe.row.count", str(stripe_rows))
        if args.sort:
            df = df.repartitionByRange(args.files, args.sort).sortWithinPartitions(args.sort)
        else:
            writers = min(args.files, 8)
            spark.conf.set("spark.sql.files.maxRecordsPerFile", str(max(1, math.ceil(rows / args.files))))
            df = df.repartition(writers)
        df.write.insertInto(args.target, overwrite=True)
        written = spark.table(args.target).count()
    finally:
        spark.stop()
    result = {"target": args.target, "rows": rows, "written": written, "files_requested": args.files,
              "stripes_per_file": args.stripes_per_file,
              "seconds": round(time.monotonic() - t0, 1)}
    print("BENCH_LAYOUT " + json.dumps(result, sort_keys=True), flush=True)
    if written != rows:
        raise SystemExit(f"bench_layout: wrote {written} rows into {args.target}, the source has {rows}")
    return result


if __name__ == "__main__":
    main()
