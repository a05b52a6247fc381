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

import json
import re
import sys
from pathlib import Path

from lake import arguments
from lake.errors import LakeError, UsageError, report
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


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")
_PARTITION = re.compile(r"^[^=/,]+=[^=/,]*(/[^=/,]+=[^=/,]*)*$")


def check_table(s: Settings, table: str, partitions: list[str]) -> None:
    """Before any Spark job: TABLE is an existing table of the hive catalog (asked of the metastore through
    Trino) and each of PARTITIONS is one of its partitions. UsageError lists what exists instead."""
    from lake.runtime import clients

    if not _NAME.match(table):
        raise UsageError(f"TABLE={table!r} is not a table name: give TABLE=schema.table, e.g. speed.tweets")
    schema, name = table.lower().split(".")
    for p in partitions:
        if not _PARTITION.match(p):
            raise UsageError(f"PARTITIONS: {p!r} is not a partition name: give k=v or k=v/k2=v2, comma-separated")
    found = clients.trino(s, f"SELECT table_name, table_type FROM hive.information_schema.tables "
                             f"WHERE table_schema = '{schema}'")
    kinds = dict(found)
    if name not in kinds:
        if not found:
            schemas = sorted((r[0] for r in clients.trino(s, "SHOW SCHEMAS FROM hive") if r[0] != "information_schema"),
                             key=lambda x: (x.startswith(("bench_", "it_")), x))  # the lake's own first
            raise UsageError(f"TABLE={table}: no schema {schema!r} in the hive catalog; schemas: {_few(schemas)}")
        raise UsageError(f"TABLE={table}: no table {name!r} in schema {schema}; its tables: {_few(sorted(kinds))}")
    if kinds[name] != "BASE TABLE":
        raise UsageError(f"TABLE={table} is a {kinds[name].lower()}, not a table: nothing to compact")
    if partitions:
        from trino.exceptions import TrinoUserError

        try:
            rows = clients.trino(s, f'SELECT * FROM hive."{schema}"."{name}$partitions"', catalog="hive")
            keys = _partition_keys(s, schema, name)
        except TrinoUserError:
            raise UsageError(f"TABLE={table} is not partitioned; leave PARTITIONS empty") from None
        names = {"/".join(f"{k}={v}" for k, v in zip(keys, row)) for row in rows}
        unknown = [p for p in partitions if p not in names]
        if unknown:
            raise UsageError(f"PARTITIONS: {table} has no partition {', '.join(unknown)}; "
                             f"it has {_few(sorted(names))}")


def _partition_keys(s: Settings, schema: str, name: str) -> list[str]:
    from lake.runtime import clients

    return [r[0] for r in clients.trino(s, f'SHOW COLUMNS FROM hive."{schema}"."{name}$partitions"')]


def _few(names: list[str], n: int = 8) -> str:
    return ", ".join(names[:n]) + (f" ... ({len(names)} in all)" if len(names) > n else "") if names else "none"


def summary(r: dict) -> str:
    mib = 2**20
    return (f"compact {r['table']}: {r['rewritten']} of {len(r['partitions'])} partition(s) rewritten"
            f"{' (dry run)' if r['dry_run'] else ''}; files {r['files_before']} -> {r['files_after']}, "
            f"{r['bytes_before'] / mib:.1f} MiB -> {r['bytes_after'] / mib:.1f} MiB ({r.get('seconds', '?')} s)")


def main(argv: list[str] | None = None) -> int:
    from lake import settings

    ap = arguments.Parser(prog="make compact", description=__doc__.split("\n\n")[0],
                          variables={"--table": "TABLE", "--partitions": "PARTITIONS", "--target-mb": "TARGET_MB",
                                     "--grace-seconds": "GRACE"})
    ap.add_argument("--table", default="", help="schema.table (Hive catalog), e.g. speed.tweets")
    ap.add_argument("--partitions", default="", help="comma-separated partition names k=v[/k2=v2]; default all")
    ap.add_argument("--target-mb", type=float, default=128)
    ap.add_argument("--min-files", type=int, default=1)
    ap.add_argument("--grace-seconds", type=float, default=30)
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--json", action="store_true", help="print the whole report as JSON")
    args = ap.parse_args(argv)
    from lake.runtime import faults

    s = settings.get()
    partitions = [p.strip() for p in args.partitions.split(",") if p.strip()]
    try:
        if not args.table:
            raise UsageError("give the table as TABLE=schema.table, e.g. TABLE=speed.tweets")
        arguments.number(args.target_mb, "TARGET_MB", 0, 1024 * 1024, unit="MiB", low_open=True)
        arguments.whole(args.min_files, "--min-files", 1)
        arguments.number(args.grace_seconds, "GRACE", 0, 7 * 24 * 3600, unit="seconds")
        if not _NAME.match(args.table):
            raise UsageError(f"TABLE={args.table!r} is not a table name: give TABLE=schema.table, e.g. speed.tweets")
        faults.command_log(s, "compact", prog="make compact")
        check_table(s, args.table, partitions)
        r = compact(s, args.table, partitions, args.target_mb, args.min_files, args.grace_seconds,
                    dry_run=args.dry_run)
    except LakeError as e:
        e.args = (str(e).splitlines()[0],)
        return report("make compact", e)
    for u in r["partitions"]:
        print(f"  {u['partition'] or '(table)'}: {u['action']}, files {u['files_before']} -> {u['files_after']}")
    print(json.dumps(r, indent=2) if args.json else summary(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
