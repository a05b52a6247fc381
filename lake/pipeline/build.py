"""`make build`: raw -> bronze -> silver -> gold, each step followed by its quality gates, in one
Spark application (spark/jobs/build.py) on YARN.

The logical partition of a build is the raw INGEST date (the raw sink's
ingest_date= folder: what landed that day), given as one date, a range, or
"pending" (every ingest date with raw files bronze has not loaded). Never
today's date implicitly. Bronze reports which tweet CREATED dates it touched;
silver and gold rebuild exactly those partitions. Each step overwrites only
the partitions it owns, so a rerun gives the same tables.

    bronze  raw -> bronze.tweets                       -> gates hive/quality/bronze
    silver  bronze -> silver (+ Trino publish into the bucketed table) -> gates hive/quality/silver
    gold    silver -> star schema and marts            -> gates hive/quality/gold

Gate results go to ops.quality_checks; the first layer with a failed gate stops the build
(exit 6) with one line naming the gate.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from lake.pipeline import ddl, lock, quality
from lake.runtime import spark
from lake.errors import LakeError
from lake.pipeline.layers import LAYERS, Databases
from lake.settings import Settings

__all__ = ["LAYERS", "Databases", "Report", "run"]


@dataclass
class Report:
    run_id: str
    ingest_dates: list[str] = field(default_factory=list)
    created_dates: list[str] = field(default_factory=list)
    steps: dict[str, dict] = field(default_factory=dict)
    gates: list[quality.Gate] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
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
                "steps": self.steps, "stages": self.stages, "timings": self.timings, "seconds": round(self.seconds, 1),
                "gates": [{"layer": g.layer, "name": g.name, "passed": g.passed, "observed": g.observed,
                           "expected": g.expected} for g in self.gates]}


def _job_results(out: str) -> dict[str, object]:
    """tag -> JSON of every `<TAG> {json}` line the job printed (GATES lines keyed `GATES <layer>`)."""
    found: dict[str, object] = {}
    for line in out.splitlines():
        head, _, rest = line.partition(" ")
        if head == "GATES":
            layer, _, rest = rest.partition(" ")
            head = f"GATES {layer}"
        if head.endswith("_RESULT") or head.startswith("GATES "):
            try:
                found[head] = json.loads(rest)
            except ValueError:
                continue
    return found


def apply_ddl(s: Settings, dbs: Databases) -> None:
    for layer in ("bronze", "silver", "gold", "ops"):
        ddl.apply_layer(s, layer, **dbs.params())


def sync_raw_partitions(s: Settings, dbs: Databases) -> None:
    """Register raw folders the sink landed but could not register (e.g. Thrift Server was down)."""
    from lake.runtime import clients

    clients.trino(s, f"CALL system.sync_partition_metadata('{dbs.raw}', 'tweets', 'ADD')")


def run(s: Settings, dates: list[str] | None = None, pending: bool = False, layers=LAYERS,
        dbs: Databases = Databases(), master: str | None = None, echo=print) -> Report:
    if not dates and not pending:
        raise LakeError("make build needs DATE=YYYY-MM-DD, FROM=... TO=..., or PENDING=1 (never today's date "
                        "by default)")
    unknown = set(layers) - set(LAYERS)
    if unknown:
        raise LakeError(f"unknown layer(s) {', '.join(sorted(unknown))}; choose from {', '.join(LAYERS)}")
    if pending and "bronze" not in layers:
        raise LakeError("PENDING needs the bronze layer (pending is defined by raw files bronze has not loaded)")
    with lock.build_lock(s, dbs.prefix, echo=echo):
        return _run_locked(s, dates, pending, layers, dbs, master, echo)


def _run_locked(s: Settings, dates, pending: bool, layers, dbs: Databases, master: str | None, echo,
                comply: str | None = None) -> Report:
    """`comply`: a JSON file of `make comply`'s raw files: the build's comply mode (spark/jobs/comply_bronze.py)
    instead of ingest dates; the caller holds the build lock."""
    t0 = time.monotonic()
    rep = Report(quality.new_run_id())

    echo("== DDL: bronze, silver, gold, ops tables (idempotent)")
    apply_ddl(s, dbs)
    if "bronze" in layers and not comply:
        sync_raw_partitions(s, dbs)
    which = ["--comply", comply] if comply else ["--pending"] if pending else ["--dates", ",".join(sorted(dates))]
    ordered = [x for x in LAYERS if x in layers]
    echo(f"== Spark: {', '.join(ordered)} in one application")
    rc, out = spark.submit(s, s.root / "spark" / "jobs" / "build.py",
                           [*which, "--layers", ",".join(ordered), "--prefix", dbs.prefix, "--run-id", rep.run_id],
                           master=master, name="lake-build", ok_codes=(0, 6), return_code=True)
    found = _job_results(out)
    result = found.get("BUILD_RESULT") or {}
    for layer in ordered:
        if f"{layer.upper()}_RESULT" in found:
            rep.steps[layer] = found[f"{layer.upper()}_RESULT"]
        for g in found.get(f"GATES {layer}", []):
            gate = quality.Gate(g["layer"], g["name"], g["description"], g["target"], g["observed"], g["expected"])
            rep.gates.append(gate)
            echo(gate.line())
    if "bronze" in rep.steps:
        b = rep.steps["bronze"]
        echo(f"  raw {b['raw_records']} = bronze {b['bronze_rows']} + duplicates {b['duplicates']} "
             f"+ rejects {b['rejects']} {b['rejects_by_reason'] or ''}")
    rep.ingest_dates = result.get("ingest_dates", sorted(dates or []))
    rep.created_dates = result.get("created_dates", [])
    rep.stages = result.get("stages", {})
    rep.timings = result.get("steps", {})
    rep.seconds = time.monotonic() - t0
    if rc == 6 or any(not g.passed for g in rep.gates):
        quality.enforce(rep.gates)  # raises GateFailed: exit 6 with the failed gate's line
    if not result:
        raise LakeError("spark job build.py printed no BUILD_RESULT line; see its output above or the YARN log")
    for name, secs in rep.stages.items():
        echo(f"  {secs:7.1f}s  {name}")
    echo(rep.summary())
    return rep
