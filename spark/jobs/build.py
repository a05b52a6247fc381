"""`make build` in one Spark application: raw -> bronze -> silver -> gold, each layer followed by its
quality gates, for every ingest date asked for.

    build.py --dates 2026-01-01,2026-01-02 | --pending
             [--layers bronze,silver,gold] [--prefix it_x_] [--run-id ID]

One application, not one per layer: each YARN application costs ~20 s of start-up (AM, executor,
Python workers, metastore client) before it reads a row, and a build paid it three times. The
driver also runs what happens between the Spark steps, through Trino: the silver publish into the
bucketed table and each layer's gates (lake/pipeline/layers.py). It prints one line per step for
lake/pipeline/build.py: `BRONZE_RESULT`, `SILVER_RESULT`, `GOLD_RESULT`, `GATES <layer>` (JSON), and
`BUILD_RESULT` with each stage's wall time. A failed gate stops the build: exit 6 after the
GATES line, later layers untouched.

Bronze and silver run the columnar transforms (spark/transforms/columnar.py) over Arrow batches,
the code the speed layer runs. The per-row path (pickled RDD rows) was compared with it by
`make bench-build` (benchmarks/results/build-20261206T204844Z) and then deleted.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # spark-submit puts only this file's folder on sys.path
    sys.path.insert(0, str(REPO))

from pyspark.sql import functions as F  # noqa: E402

from lake.pipeline.layers import LAYERS  # noqa: E402
from spark.jobs import build_bronze, build_gold, build_silver, common  # noqa: E402
from spark.jobs import comply_bronze as comply_step  # noqa: E402
from spark.transforms import edits  # noqa: E402
from spark.transforms import pii as pii_mod  # noqa: E402

GATE_FAILED_EXIT = 6


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = ap.add_mutually_exclusive_group(required=True)
    which.add_argument("--dates", type=common.day_list, help="comma-separated ingest dates")
    which.add_argument("--pending", action="store_true", help="every ingest date with a raw file bronze has not loaded")
    which.add_argument("--comply", metavar="FILE", help="`make comply`'s raw files (JSON): remove from bronze what the "
                       "ledger names, in place (spark/jobs/comply_bronze.py), then silver and gold of those dates")
    ap.add_argument("--layers", default=",".join(LAYERS), help="comma-separated subset of bronze,silver,gold")
    ap.add_argument("--prefix", default="", help="schema prefix: <prefix>raw, <prefix>bronze, ... (tests)")
    ap.add_argument("--run-id", default=None, help="the build's id in ops.quality_checks (default: a new one)")
    args = ap.parse_args(argv)
    args.layers = [x.strip() for x in args.layers.split(",") if x.strip()]
    unknown = set(args.layers) - set(LAYERS)
    if unknown:
        ap.error(f"unknown layer(s) {', '.join(sorted(unknown))}; choose from {', '.join(LAYERS)}")
    if (args.pending or args.comply) and "bronze" not in args.layers:
        ap.error("--pending and --comply need the bronze layer")
    return args


class Stages:
    """Wall seconds of each named step, in order (BUILD_RESULT's `stages`)."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        print(f"== {name} ({time.monotonic() - self.t0:.0f}s)", flush=True)
        t = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = round(time.monotonic() - t, 2)


def created_dates_of(spark, bronze_db: str, ingest_dates: list[str]) -> list[str]:
    """Created dates of the bronze rows that came from these ingest dates (when bronze is not rebuilt)."""
    rows = spark.table(f"{bronze_db}.tweets").where(F.col("ingest_date").isin(ingest_dates)) \
        .select("created_date").distinct().collect()
    return sorted(str(r[0]) for r in rows)


def run_gates(s, dbs, run_id: str, layer: str, ingest_dates, created_dates) -> bool:
    """A layer's gates through Trino, recorded; prints `GATES <layer> [...]`; True when all passed."""
    from lake.pipeline import layers

    found = layers.gates(s, dbs, run_id, layer, ingest_dates, created_dates)
    for g in found:
        print(g.line(), flush=True)
    common.emit(f"GATES {layer}", [{"layer": g.layer, "name": g.name, "description": g.description,
                                   "target": g.target, "observed": g.observed, "expected": g.expected}
                                  for g in found])
    return all(g.passed for g in found)


def main(argv: list[str] | None = None) -> int:
    from lake import settings
    from lake.pipeline import layers, quality

    args = parse_args(argv)
    s = settings.get()
    dbs = layers.Databases(args.prefix)
    run_id = args.run_id or quality.new_run_id()
    pii = pii_mod.from_env() if "bronze" in args.layers and not args.comply else None  # key on the driver only
    stage = Stages()
    result: dict = {"run_id": run_id, "layers": args.layers}
    with stage("start: Spark application"):
        spark = common.session(f"lake-build-{args.prefix}{'-'.join(args.layers)}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            spark.sparkContext.addPyFile(str(common.code_zip(Path(tmp))))
            ingest_dates = sorted(args.dates or [])
            created: list[str] = []
            if "bronze" in args.layers:
                with stage("bronze: comply, in place" if args.comply else "bronze: raw -> bronze.tweets"):
                    res = comply_bronze(spark, args, dbs) if args.comply else bronze(spark, args, dbs, pii)
                common.emit("BRONZE_RESULT", res)
                if not res["reconciles"]:
                    raise SystemExit("build: bronze does not reconcile with raw (see BRONZE_RESULT)")
                ingest_dates, created = res["ingest_dates"], res["created_dates"]
                with stage("bronze: quality gates"):
                    ok = run_gates(s, dbs, run_id, "bronze", ingest_dates, created)
                if not ok:
                    return GATE_FAILED_EXIT
            else:
                created = created_dates_of(spark, dbs.bronze, ingest_dates)
            found = None
            if created and ("silver" in args.layers or "gold" in args.layers):
                # an edited tweet's other versions may sit in other created dates: silver rebuilds those
                # too, and gold must follow it even when it runs in an application of its own (lake_batch)
                with stage("silver: edit chains"):
                    found = build_silver.edit_chains(spark.table(f"{dbs.bronze}.tweets"))
                created = edits.dates_to_rebuild(found[0], created)
            result.update(ingest_dates=ingest_dates, created_dates=created)
            if "silver" in args.layers:
                with stage("silver: bronze -> silver (stage, tweet_hashtags)"):
                    res = build_silver.build(spark, created, dbs.bronze, dbs.silver, found) if created else \
                        {"created_dates": [], "created_dates_written": [], "bronze_rows": 0, "silver_rows": 0,
                         "reconciles": True}
                common.emit("SILVER_RESULT", res)
                if not res["reconciles"]:
                    raise SystemExit("build: silver rows do not match bronze rows (see SILVER_RESULT)")
                written = res.get("created_dates_written", [])
                with stage("silver: publish bucketed silver.tweets (Trino)"):
                    result["publish_statements"] = layers.publish_silver(
                        s, dbs, written, sorted(set(created) - set(written)))
                spark.catalog.refreshTable(f"{dbs.silver}.tweets")
                with stage("silver: quality gates"):
                    ok = run_gates(s, dbs, run_id, "silver", ingest_dates, created)
                if not ok:
                    return GATE_FAILED_EXIT
            if "gold" in args.layers:
                with stage("gold: star schema and marts"):
                    res = build_gold.build(spark, created, dbs.silver, dbs.gold)
                common.emit("GOLD_RESULT", res)
                with stage("gold: quality gates"):
                    ok = run_gates(s, dbs, run_id, "gold", ingest_dates, res["created_dates"])
                if not ok:
                    return GATE_FAILED_EXIT
    finally:
        result["stages"] = stage.seconds
        result["steps"] = dict(common.TIMINGS)
        result["seconds"] = round(time.monotonic() - stage.t0, 1)
        common.emit("BUILD_RESULT", result)
        spark.stop()
    return 0


def comply_bronze(spark, args, dbs) -> dict:
    import json

    common.require_tables(spark, "build", tuple(f"{dbs.bronze}.{n}" for n in build_bronze.BRONZE_TABLES), "bronze")
    with open(args.comply) as fh:
        files = json.load(fh)["files"]
    return comply_step.apply(spark, dbs.bronze, f"{dbs.ops}.compliance_events", files)


def bronze(spark, args, dbs, pii) -> dict:
    common.require_tables(spark, "build", (f"{dbs.raw}.tweets", *(f"{dbs.bronze}.{n}" for n in build_bronze.BRONZE_TABLES)),
                          "raw / bronze")
    location = build_bronze.table_location(spark, f"{dbs.raw}.tweets")
    if args.pending:
        files = build_bronze.raw_files(spark, location)
        dates = build_bronze.pending_dates(spark, files, f"{dbs.bronze}.tweets_loaded_files")
    else:
        dates, files = sorted(args.dates), {}
        for d in dates:
            files.update(build_bronze.raw_files(spark, location, d))
    if not dates:
        return {"ingest_dates": [], "raw_files": 0, "raw_records": 0, "bronze_rows": 0, "duplicates": 0,
                "rejects": 0, "rejects_by_reason": {}, "reconciles": True, "created_dates": []}
    return build_bronze.build(spark, dates, files, dbs.bronze, pii, ledger=f"{dbs.ops}.compliance_events")


if __name__ == "__main__":
    sys.exit(main())
