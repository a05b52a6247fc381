"""Which raw ingest dates the batch layer still has to build, asked without Spark.

A date is pending when its raw partition (the sink's ingest_date= folder) differs from what bronze
has loaded (bronze.tweets_loaded_files): a new date, a late file, or a file rewritten with another
size. This is the rule of the build's `--pending` (spark/jobs/build_bronze.py pending_dates), asked
through WebHDFS and Trino in a second or two, so a scheduled lake_batch run with nothing to do
finishes in seconds instead of starting a Spark application to find out.

Per date it compares the folder's content summary (file count, bytes: one WebHDFS call) with the
loaded files' count and bytes (one Trino query for all dates). Files reach the folder only by
rename once complete (ingestion/sink/roll.py), so a half-written file is never counted.
"""
from __future__ import annotations

import argparse
import json
import re
import sys

from lake.errors import LakeError, report
from lake.settings import RAW_ROOT, Settings

_DATE_DIR = re.compile(r"^ingest_date=(\d{4}-\d{2}-\d{2})$")


def unloaded_dates(raw: dict[str, tuple[int, int]], loaded: dict[str, tuple[int, int]]) -> list[str]:
    """Dates whose raw (files, bytes) differ from bronze's loaded (files, bytes); empty dates never pend."""
    return sorted(d for d, (files, size) in raw.items() if files and loaded.get(d) != (files, size))


def raw_by_date(s: Settings, raw_root: str = RAW_ROOT) -> dict[str, tuple[int, int]]:
    """ingest date -> (files, bytes) under the raw root, from WebHDFS."""
    from hdfs.util import HdfsError

    from lake.runtime import hdfs_client

    c = hdfs_client.client(s)
    try:
        names = c.list(raw_root)
    except HdfsError as e:
        if "does not exist" in str(e):
            return {}
        raise LakeError(f"HDFS: cannot list {raw_root}: {str(e).splitlines()[0]}") from None
    out = {}
    for name in names:
        m = _DATE_DIR.match(name)
        if m:
            summary = c.content(f"{raw_root}/{name}")
            out[m.group(1)] = (int(summary["fileCount"]), int(summary["length"]))
    return out


def loaded_by_date(s: Settings, bronze_db: str = "bronze") -> dict[str, tuple[int, int]]:
    """ingest date -> (files, bytes) bronze has loaded; {} before the first build created the table."""
    from lake.runtime import clients

    exists = clients.trino(s, f"SELECT count(*) FROM hive.information_schema.tables "
                              f"WHERE table_schema = '{bronze_db}' AND table_name = 'tweets_loaded_files'")
    if not exists or not exists[0][0]:
        return {}
    rows = clients.trino(s, f"SELECT ingest_date, count(*), sum(file_bytes) FROM hive.{bronze_db}.tweets_loaded_files "
                            f"GROUP BY ingest_date")
    return {str(d): (int(n), int(b)) for d, n, b in rows}


def plan(s: Settings, prefix: str = "", raw_root: str = RAW_ROOT, through: str | None = None) -> dict[str, list[str]]:
    """{"pending": dates to build, "raw": every date with raw files}, both up to `through` when given."""
    raw = {d: v for d, v in raw_by_date(s, raw_root).items() if through is None or d <= through}
    return {"pending": unloaded_dates(raw, loaded_by_date(s, f"{prefix}bronze")),
            "raw": sorted(d for d, (files, _) in raw.items() if files)}


def pending_dates(s: Settings, prefix: str = "", raw_root: str = RAW_ROOT, through: str | None = None) -> list[str]:
    return plan(s, prefix, raw_root, through)["pending"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lake.pipeline.pending",
                                 description='raw ingest dates bronze has not loaded (the last line: '
                                             'PLAN {"pending": [...], "raw": [...]})')
    ap.add_argument("--schema-prefix", default="")
    ap.add_argument("--raw-root", default=RAW_ROOT)
    ap.add_argument("--through", help="only dates up to this one (YYYY-MM-DD)")
    args = ap.parse_args(argv)
    from lake import settings

    try:
        if args.through:
            args.through = _check_day(args.through)
        found = plan(settings.get(), args.schema_prefix, args.raw_root, args.through)
    except LakeError as e:
        return report("pending", e)
    print(f"{len(found['pending'])} pending ingest date(s) of {len(found['raw'])} under {args.raw_root}: "
          f"{', '.join(found['pending']) or '-'}")
    print("PLAN " + json.dumps(found))
    return 0


def _check_day(day: str) -> str:
    from datetime import date

    try:
        return date.fromisoformat(day).isoformat()
    except ValueError:
        raise LakeError(f"--through {day!r} is not a date YYYY-MM-DD") from None


if __name__ == "__main__":
    sys.exit(main())
