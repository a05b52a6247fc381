"""`make build`: raw -> bronze -> silver -> gold, each step followed by its quality gates.

The logical partition of a build is the raw INGEST date (the raw sink's
ingest_date= folder: what landed that day), given as one date, a range, or
"pending" (every ingest date with raw files bronze has not loaded). Never
today's date implicitly. Bronze reports which tweet CREATED dates it touched;
silver and gold rebuild exactly those partitions. Each step overwrites only
the partitions it owns, so a rerun gives the same tables.

    bronze  spark/jobs/build_bronze.py (YARN)   -> gates hive/quality/bronze
    silver  spark/jobs/build_silver.py (YARN) + Trino publish into the bucketed table
                                                -> gates hive/quality/silver
    gold    spark/jobs/build_gold.py (YARN)     -> gates hive/quality/gold

Gate results go to ops.quality_checks; the first failed gate stops the build
(exit 6) with one line naming it.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from lake import clients, config, ddl, quality, spark
from lake.errors import LakeError
from lake.settings import Settings

LAYERS = ("bronze", "silver", "gold")
SILVER_PUBLISH_SESSION = {
    # replace exactly the partitions written: the build owns them
    "hive.insert_existing_partitions_behavior": "OVERWRITE",
    "hive.compression_codec": "ZSTD",
}


@dataclass(frozen=True)
class Databases:
    """Schema names of one lake; tests use a prefix so their tables never meet the user's."""
    prefix: str = ""

    def __getattr__(self, layer: str) -> str:  # dbs.bronze -> "bronze" / "it_x_bronze"
        if layer in ("raw", "bronze", "silver", "gold", "ops"):
            return f"{self.prefix}{layer}"
        raise AttributeError(layer)

    def params(self) -> dict[str, str]:
        return {f"{k.upper()}_DB": getattr(self, k) for k in ("raw", "bronze", "silver", "gold", "ops")}


@dataclass
class Report:
    run_id: str
    ingest_dates: list[str] = field(default_factory=list)
    created_dates: list[str] = field(default_factory=list)
    steps: dict[str, dict] = field(default_factory=dict)
    gates: list[quality.Gate] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """The build's last line. lake_batch's layer tasks return it, and its quality_gates task reads the
        run id from it (airflow/dags/lake_dags build_gates_filter)."""
        dates = ", ".join(self.ingest_dates) or "-"
        passed = sum(g.passed for g in self.gates)
        return (f"== build {self.run_id} done in {self.seconds:.0f}s: ingest dates {dates}; "
                f"{len(self.created_dates)} created date(s); {passed}/{len(self.gates)} gates passed")

    def as_dict(self) -> dict:
        return {"run_id": self.run_id, "ingest_dates": self.ingest_dates, "created_dates": self.created_dates,
                "steps": self.steps, "seconds": round(self.seconds, 1),
                "gates": [{"layer": g.layer, "name": g.name, "passed": g.passed, "observed": g.observed,
                           "expected": g.expected} for g in self.gates]}


def _job_result(out: str, tag: str) -> dict:
    for line in out.splitlines():
        if line.startswith(tag + " "):
            return json.loads(line[len(tag) + 1:])
    raise LakeError(f"spark job printed no {tag} line; see its output above or the YARN application log")


def _sql_file(s: Settings, rel: str, params: dict[str, str]) -> str:
    path = s.root / "hive" / rel
    text = config.render_text(path.read_text(), params, origin=str(path))
    return "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("--")).strip().rstrip(";")


def apply_ddl(s: Settings, dbs: Databases) -> None:
    for layer in ("bronze", "silver", "gold", "ops"):
        ddl.apply_layer(s, layer, **dbs.params())


def sync_raw_partitions(s: Settings, dbs: Databases) -> None:
    """Register raw folders the sink landed but could not register (e.g. Thrift Server was down)."""
    clients.trino(s, f"CALL system.sync_partition_metadata('{dbs.raw}', 'tweets', 'ADD')")


def created_dates_of(s: Settings, dbs: Databases, ingest_dates: list[str]) -> list[str]:
    """Created dates of the bronze rows that came from these ingest dates (when bronze is not rebuilt)."""
    rows = clients.trino(s, f"SELECT DISTINCT created_date FROM hive.{dbs.bronze}.tweets "
                            f"WHERE ingest_date IN ({quality.sql_dates(ingest_dates, typed=False)})")
    return sorted(str(r[0]) for r in rows)


def publish_silver(s: Settings, dbs: Databases, written: list[str], emptied: list[str]) -> None:
    from tqdm import tqdm

    params = dbs.params()
    # one day per statement: each (day, bucket) writer holds a sort buffer, so a month at once
    # would need hundreds of them in Trino's heap
    for day in tqdm(written, desc="publish silver.tweets", unit="day", disable=len(written) < 2):
        clients.trino(s, _sql_file(s, "dml/silver/publish_tweets.sql",
                                   {**params, "CREATED_DATES": quality.sql_dates([day], typed=True)}),
                      session=SILVER_PUBLISH_SESSION)
    if emptied:
        clients.trino(s, _sql_file(s, "dml/silver/drop_emptied.sql",
                                   {**params, "EMPTIED_DATES": quality.sql_dates(emptied, typed=True)}))


def run(s: Settings, dates: list[str] | None = None, pending: bool = False, layers=LAYERS,
        dbs: Databases = Databases(), master: str | None = None, echo=print) -> Report:
    if not dates and not pending:
        raise LakeError("make build needs DATE=YYYY-MM-DD, FROM=... TO=..., or PENDING=1 (never today's date "
                        "by default)")
    unknown = set(layers) - set(LAYERS)
    if unknown:
        raise LakeError(f"unknown layer(s) {', '.join(sorted(unknown))}; choose from {', '.join(LAYERS)}")
    t0 = time.monotonic()
    rep = Report(quality.new_run_id())
    params = dbs.params()
    jobs = s.root / "spark" / "jobs"

    def step(name: str):
        echo(f"== {name} ({time.monotonic() - t0:.0f}s)")

    def gates(layer: str, created: list[str]) -> None:
        found = quality.run_layer(s, layer, params, rep.ingest_dates, created)
        quality.record(s, dbs.ops, rep.run_id, found, created or rep.ingest_dates)
        rep.gates += found
        for g in found:
            echo(g.line())
        quality.enforce(found)

    step("DDL: bronze, silver, gold, ops tables (idempotent)")
    apply_ddl(s, dbs)
    if "bronze" in layers:
        step("bronze: raw -> bronze.tweets (Spark)")
        sync_raw_partitions(s, dbs)
        which = ["--pending"] if pending else ["--dates", ",".join(sorted(dates))]
        out = spark.submit(s, jobs / "build_bronze.py", [*which, "--raw-table", f"{dbs.raw}.tweets",
                                                         "--bronze-db", dbs.bronze], master=master)
        res = _job_result(out, "BRONZE_RESULT")
        rep.steps["bronze"] = res
        rep.ingest_dates, rep.created_dates = res["ingest_dates"], res["created_dates"]
        echo(f"  raw {res['raw_records']} = bronze {res['bronze_rows']} + duplicates {res['duplicates']} "
             f"+ rejects {res['rejects']} {res['rejects_by_reason'] or ''}")
        step("bronze: quality gates")
        gates("bronze", rep.created_dates)
    else:
        if pending:
            raise LakeError("PENDING needs the bronze layer (pending is defined by raw files bronze has not loaded)")
        rep.ingest_dates = sorted(dates)
        rep.created_dates = created_dates_of(s, dbs, rep.ingest_dates)
    if "silver" in layers:
        step(f"silver: enrich {len(rep.created_dates)} created date(s) (Spark)")
        out = spark.submit(s, jobs / "build_silver.py", ["--dates", ",".join(rep.created_dates),
                                                         "--bronze-db", dbs.bronze, "--silver-db", dbs.silver],
                           master=master)
        res = _job_result(out, "SILVER_RESULT")
        rep.steps["silver"] = res
        written = res.get("created_dates_written", [])
        step("silver: publish bucketed silver.tweets (Trino)")
        publish_silver(s, dbs, written, sorted(set(rep.created_dates) - set(written)))
        step("silver: quality gates")
        gates("silver", rep.created_dates)
    if "gold" in layers:
        step("gold: star schema and marts (Spark)")
        out = spark.submit(s, jobs / "build_gold.py", ["--dates", ",".join(rep.created_dates),
                                                       "--silver-db", dbs.silver, "--gold-db", dbs.gold],
                           master=master)
        res = _job_result(out, "GOLD_RESULT")
        rep.steps["gold"] = res
        step("gold: quality gates")
        gates("gold", res["created_dates"])
    rep.seconds = time.monotonic() - t0
    echo(rep.summary())
    return rep
