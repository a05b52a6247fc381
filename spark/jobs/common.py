"""What every lake Spark job shares: date arguments, the session, the code zip for executors,
partition housekeeping and the one-line result the launcher (lake/pipeline/build.py) parses.

Jobs are started by spark-submit with only their own folder on sys.path, so each job puts
the repo root on sys.path before importing this module.
"""
from __future__ import annotations

import argparse
import json
import re
import zipfile
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
# What executors need of the repo (YARN containers do not see it): pure-Python transforms and
# enrichment with their data files. Third-party packages come from the lake's virtualenv.
SHIPPED_PACKAGES = ("spark/transforms", "spark/enrich")
SHIPPED_SUFFIXES = (".py", ".yaml", ".tsv", ".txt", ".json", ".csv")


def day(value: str) -> str:
    """argparse type: a calendar date YYYY-MM-DD."""
    if not _DAY.match(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a date YYYY-MM-DD")
    date.fromisoformat(value)
    return value


def day_list(value: str) -> list[str]:
    """argparse type: comma-separated dates (may be empty)."""
    return [day(v.strip()) for v in value.split(",") if v.strip()]


def date_range(first: str, last: str) -> list[str]:
    d, end, out = date.fromisoformat(first), date.fromisoformat(last), []
    while d <= end:
        out.append(d.isoformat())
        d += timedelta(days=1)
    return out


def code_zip(tmp: Path) -> Path:
    """spark/transforms and spark/enrich (with data files) as a zip for the executors' sys.path."""
    out = tmp / "lake_spark_code.zip"
    with zipfile.ZipFile(out, "w") as zf:
        zf.write(REPO / "spark" / "__init__.py", "spark/__init__.py")
        for pkg in SHIPPED_PACKAGES:
            for f in sorted((REPO / pkg).rglob("*")):
                if f.is_file() and f.suffix in SHIPPED_SUFFIXES and "__pycache__" not in f.parts:
                    zf.write(f, str(f.relative_to(REPO)))
    return out


BUILD_CONF = {  # the build's writes: replace exactly the partitions written, ORC with zstd
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "hive.exec.dynamic.partition.mode": "nonstrict",
    "spark.sql.orc.compression.codec": "zstd",
}


def session(app: str):
    """The build jobs' session: the lake's one factory (lake/runtime/spark.py) with the build's options."""
    from lake.runtime import spark as lake_spark

    return lake_spark.session(app, BUILD_CONF)


def require_tables(spark, job: str, tables, layer_hint: str) -> None:
    for t in tables:
        if not spark.catalog.tableExists(t):
            raise SystemExit(f"{job}: table {t} does not exist; apply the DDL first "
                             f"(lake.pipeline.ddl.apply_layer(settings, {layer_hint!r}) or `make build`)")


def drop_partitions(spark, table: str, column: str, values) -> None:
    for v in sorted(values):
        spark.sql(f"ALTER TABLE {table} DROP IF EXISTS PARTITION ({column}='{v}')")


TIMINGS: dict[str, float] = {}  # step -> wall seconds, filled by timed() (BUILD_RESULT's `steps`)


class timed:
    """with timed("bronze.parse"): ... adds the block's wall seconds to TIMINGS[name]."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        import time

        self.t = time.monotonic()
        return self

    def __exit__(self, *exc):
        import time

        TIMINGS[self.name] = round(TIMINGS.get(self.name, 0.0) + time.monotonic() - self.t, 2)
        return False


def emit(tag: str, result: dict) -> None:
    """The job's result as one line `<TAG> {json}` on stdout, for lake/pipeline/build.py."""
    print(f"{tag} " + json.dumps(result, sort_keys=True, default=str), flush=True)
