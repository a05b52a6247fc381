"""The serving layer's operations: advancing the batch watermark after a build, expiring speed rows
the batch layer covers, and (re)creating the serving.tweets view. docs/serving.md is the contract.

    python -m lake.pipeline.serving advance-watermark --date 2024-01-01 [--run-id ID]
    python -m lake.pipeline.serving expire-speed [--dry-run]
    python -m lake.pipeline.serving apply-view

Every statement is a .sql file under hive/ (rendered with ${NAME}), run through Trino. The
functions take a `dbs` mapping so tests can point them at their own schemas. Stdlib only (plus
the trino client), so the Airflow DAGs call the same functions.
"""
from __future__ import annotations

import argparse
import re
import sys
from datetime import date

from lake.runtime import clients, config
from lake.errors import LakeError
from lake.settings import Settings

DEFAULT_DBS = {"SILVER_DB": "silver", "SPEED_DB": "speed", "OPS_DB": "ops", "SERVING_DB": "serving"}


def dbs_with_prefix(prefix: str = "") -> dict[str, str]:
    return {k: f"{prefix}{v}" for k, v in DEFAULT_DBS.items()}


def statements(s: Settings, rel: str, params: dict[str, str]) -> list[str]:
    """The statements of hive/<rel>, rendered (comment lines dropped, split on ';' at line ends)."""
    path = s.root / "hive" / rel
    text = config.render_text(path.read_text(), params, origin=str(path))
    text = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("--"))
    return [st.strip() for st in re.split(r";\s*(?:\n|$)", text) if st.strip()]


def _check_day(day: str) -> str:
    try:
        return date.fromisoformat(day).isoformat()
    except (TypeError, ValueError):
        raise LakeError(f"{day!r} is not a date YYYY-MM-DD") from None


def advance_watermark(s: Settings, ingest_date: str, run_id: str = "cli", dbs: dict[str, str] | None = None,
                      run=None) -> list[tuple]:
    """Record what silver covers of one ingest date; returns the date's watermark rows.
    `run(sql)` executes one statement (default: lake.clients.trino; the DAG passes a TrinoHook)."""
    dbs = {**DEFAULT_DBS, **(dbs or {})}
    run = run or (lambda sql: clients.trino(s, sql))
    day = _check_day(ingest_date)
    known = {str(r[0]) for r in run(f"SELECT DISTINCT ingest_date FROM hive.{dbs['OPS_DB']}.batch_watermarks")}
    dates = ", ".join(f"'{d}'" for d in sorted(known | {day}))
    params = {**dbs, "INGEST_DATES": dates, "RUN_ID": re.sub(r"[^\w:+.-]", "_", run_id)}
    for sql in statements(s, "dml/ops/batch_watermarks_advance.sql", params):
        run(sql)
    return run(f"SELECT ingest_hour, topic, kafka_partition, max_offset, silver_rows FROM hive.{dbs['OPS_DB']}."
               f"batch_watermarks WHERE ingest_date = '{day}' ORDER BY 1, 2, 3") or []


def expire_speed(s: Settings, dbs: dict[str, str] | None = None, dry_run: bool = False, run=None) -> list[str]:
    """Drop the speed days serving.tweets no longer serves from (hive/dml/speed/expirable_dates.sql)."""
    dbs = {**DEFAULT_DBS, **(dbs or {})}
    run = run or (lambda sql: clients.trino(s, sql))
    (query,) = statements(s, "dml/speed/expirable_dates.sql", dbs)
    days = [str(r[0]) for r in run(query)]
    if not dry_run:
        for day in days:
            for sql in statements(s, "dml/speed/expire_date.sql", {**dbs, "INGEST_DATE": day}):
                run(sql)
    return days


def apply_view(s: Settings, dbs: dict[str, str] | None = None) -> str:
    """serving.tweets over silver, speed and the watermarks (their DDL first; all idempotent)."""
    from lake.pipeline import ddl

    dbs = {**DEFAULT_DBS, **(dbs or {})}
    for layer in ("ops", "speed", "silver", "serving"):
        ddl.apply_layer(s, layer, **dbs)
    return f"{dbs['SERVING_DB']}.tweets view applied"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lake.pipeline.serving", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="verb", required=True)
    adv = sub.add_parser("advance-watermark", help="record what silver covers of one ingest date")
    adv.add_argument("--date", required=True)
    adv.add_argument("--run-id", default="cli")
    exp = sub.add_parser("expire-speed", help="drop speed days the batch layer covers")
    exp.add_argument("--dry-run", action="store_true")
    sub.add_parser("apply-view", help="create or replace serving.tweets (and the tables it reads)")
    for p in (adv, exp, sub.choices["apply-view"]):
        p.add_argument("--schema-prefix", default="", help="<prefix>silver, <prefix>speed, ... (tests)")
    args = ap.parse_args(argv)
    from lake import settings

    s = settings.get()
    dbs = dbs_with_prefix(args.schema_prefix)
    try:
        if args.verb == "advance-watermark":
            rows = advance_watermark(s, args.date, args.run_id, dbs)
            print(f"watermark {args.date}: {len(rows)} (hour, partition) slot(s), "
                  f"{sum(r[4] for r in rows)} silver rows covered")
        elif args.verb == "expire-speed":
            days = expire_speed(s, dbs, dry_run=args.dry_run)
            print(f"speed retention: {'would drop' if args.dry_run else 'dropped'} {len(days)} day(s): "
                  f"{', '.join(days) or '-'}")
        else:
            print(apply_view(s, dbs))
    except LakeError as e:
        print(f"lake.pipeline.serving: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
