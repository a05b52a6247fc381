"""`make compact`: rewrite the small files of chosen partitions into target-sized files, atomically.

    python -m lake.pipeline.compact --table schema.table [--partitions 'd=2024-01-01,...'] [--target-mb 128]

Also a library call for schedulers (an Airflow task compacting the speed layer's files):

    from lake import settings
    from lake.pipeline import compact
    result = compact.compact(settings.get(), "speed.tweets", partitions=["created_date=2024-01-01"])
    result["files_before"], result["files_after"]

The work is the Spark job spark/jobs/compact.py (its docstring has the algorithm): new files
go to a new directory, are checked against the old ones, and one metastore call per partition
swaps the location; old files are deleted after a grace period. Safe to rerun: compact
partitions are left alone. Compact only partitions nobody writes to any more (the job refuses
to swap a partition whose file list changed while it ran, but cannot lock out writers).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lake.errors import LakeError
from lake.settings import Settings

JOB = Path(__file__).resolve().parents[2] / "spark" / "jobs" / "compact.py"
# Batch jobs need no web UI; an enabled one takes the next free port from 4040 up, which
# long-running lake services (Thrift Server 4040, others after it) expect to own.
NO_UI = {"spark.ui.enabled": "false"}


def compact(s: Settings, table: str, partitions: list[str] | None = None, target_mb: float = 128,
            min_files: int = 1, grace_seconds: float = 30, codec: str = "zstd", dry_run: bool = False,
            master: str | None = None, timeout: float = 7200) -> dict:
    """Compact `table` (schema.table); returns the job's report: files/bytes before and after,
    and per partition what was done. Raises LakeError with one line on bad input."""
    from lake.runtime import spark

    args = ["--table", table, "--target-mb", str(target_mb), "--min-files", str(min_files),
            "--codec", codec, "--grace-seconds", str(grace_seconds)]
    if partitions:
        args += ["--partitions", ",".join(partitions)]
    if dry_run:
        args.append("--dry-run")
    try:
        out = spark.submit(s, JOB, args, master=master, name=f"lake-compact-{table}", timeout=timeout,
                           extra_conf=NO_UI)
    except LakeError as e:
        reason = next((ln.strip() for ln in (e.details or "").splitlines()[::-1] if ln.strip().startswith("compact: ")), None)
        raise LakeError(reason) if reason else e
    line = next((ln for ln in out.splitlines() if ln.startswith("COMPACT_RESULT ")), None)
    if line is None:
        raise LakeError(f"compact job for {table} printed no COMPACT_RESULT line")
    return json.loads(line.split(" ", 1)[1])


def summary(r: dict) -> str:
    mib = 2**20
    return (f"compact {r['table']}: {r['rewritten']} of {len(r['partitions'])} partition(s) rewritten"
            f"{' (dry run)' if r['dry_run'] else ''}; files {r['files_before']} -> {r['files_after']}, "
            f"{r['bytes_before'] / mib:.1f} MiB -> {r['bytes_after'] / mib:.1f} MiB ({r.get('seconds', '?')} s)")


def main(argv: list[str] | None = None) -> int:
    from lake import settings

    ap = argparse.ArgumentParser(prog="make compact", description=__doc__.split("\n\n")[0])
    ap.add_argument("--table", default="", help="schema.table (Hive catalog), e.g. speed.tweets")
    ap.add_argument("--partitions", default="", help="comma-separated partition names k=v[/k2=v2]; default all")
    ap.add_argument("--target-mb", type=float, default=128)
    ap.add_argument("--min-files", type=int, default=1)
    ap.add_argument("--grace-seconds", type=float, default=30)
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--json", action="store_true", help="print the whole report as JSON")
    args = ap.parse_args(argv)
    if not args.table or args.table.count(".") != 1:
        print("make compact: error: give the table as TABLE=schema.table", file=sys.stderr)
        return 2
    try:
        r = compact(settings.get(), args.table, [p for p in args.partitions.split(",") if p.strip()],
                    args.target_mb, args.min_files, args.grace_seconds, dry_run=args.dry_run)
    except LakeError as e:
        print(f"make compact: error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 1
    for u in r["partitions"]:
        print(f"  {u['partition'] or '(table)'}: {u['action']}, files {u['files_before']} -> {u['files_after']}")
    print(json.dumps(r, indent=2) if args.json else summary(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
