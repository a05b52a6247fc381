"""Data-quality gates: the queries under hive/quality/<layer>/, run through Trino after each
layer's build step, recorded in ops.quality_checks, and fatal when one fails.

Trino checks what Spark wrote: a second engine reading the tables the way users will.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from lake.runtime import clients, config
from lake.errors import LakeError
from lake.settings import Settings


@dataclass(frozen=True)
class Gate:
    layer: str
    name: str
    description: str
    target: str
    observed: int
    expected: int

    @property
    def passed(self) -> bool:
        return self.observed == self.expected

    def line(self) -> str:
        mark = "ok  " if self.passed else "FAIL"
        return f"  {mark} {self.layer}.{self.name}: observed {self.observed}, expected {self.expected} " \
               f"-- {self.description}"


class GateFailed(LakeError):
    pass


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


def sql_dates(values, typed: bool) -> str:
    """SQL list for IN (...); NULL when empty (matches nothing, so a gate over nothing compares 0 with 0)."""
    vals = sorted(set(values))
    if not vals:
        return "NULL"
    return ", ".join(f"DATE '{v}'" if typed else f"'{v}'" for v in vals)


def gate_files(s: Settings, layer: str) -> list[Path]:
    return sorted((s.root / "hive" / "quality" / layer).glob("*.sql"))


def _target(sql: str, dbs: dict[str, str]) -> str:
    """The first table the check reads, as the gate's target (for ops.quality_checks)."""
    import re

    m = re.search(r"FROM hive\.(\w+)\.(\w+)", sql)
    return f"{m.group(1)}.{m.group(2)}" if m else ""


def gate_queries(s: Settings, layer: str, params: dict[str, str], ingest_dates, created_dates) -> list[tuple]:
    """(name, description, target, sql) of each gate of a layer, rendered."""
    values = {**params, "INGEST_DATES": sql_dates(ingest_dates, typed=False),
              "CREATED_DATES": sql_dates(created_dates, typed=True)}
    out = []
    for f in gate_files(s, layer):
        raw = f.read_text()
        description = raw.splitlines()[0].lstrip("- ").strip()
        sql = config.render_text(raw, values, origin=str(f))
        sql = "\n".join(ln for ln in sql.splitlines() if not ln.lstrip().startswith("--")).strip().rstrip(";")
        out.append((f.stem, description, _target(sql, values), sql))
    return out


def run_layer(s: Settings, layer: str, params: dict[str, str], ingest_dates, created_dates) -> list[Gate]:
    """Every gate of a layer in one Trino statement (a UNION ALL of the gate queries): one round
    trip and one query plan per layer instead of one per gate."""
    queries = gate_queries(s, layer, params, ingest_dates, created_dates)
    if not queries:
        return []
    union = "\nUNION ALL\n".join(f"SELECT {i} AS gate, observed, expected FROM (\n{sql}\n) AS g{i}"
                                  for i, (_, _, _, sql) in enumerate(queries))
    found = {int(i): (int(o), int(e)) for i, o, e in clients.trino(s, union)}
    return [Gate(layer, name, description, target, *found[i])
            for i, (name, description, target, _) in enumerate(queries)]


def record(s: Settings, ops_db: str, run_id: str, gates: list[Gate], partitions) -> None:
    if not gates:
        return
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    ts = now.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    part = ",".join(sorted(str(p) for p in partitions))

    def q(v: str) -> str:
        return "'" + v.replace("'", "''") + "'"

    rows = ",\n".join(
        f"({q(run_id)}, TIMESTAMP '{ts}', {q(g.layer)}, {q(g.name)}, {q(g.target)}, {q(part)}, "
        f"{str(g.passed).upper()}, {g.observed}, {g.expected}, {q(g.description)}, DATE '{now.date()}')"
        for g in gates)
    clients.trino(s, f"INSERT INTO hive.{ops_db}.quality_checks VALUES {rows}")


def enforce(gates: list[Gate]) -> None:
    failed = [g for g in gates if not g.passed]
    if failed:
        g = failed[0]
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        raise GateFailed(f"quality gate {g.layer}.{g.name} failed: observed {g.observed}, expected {g.expected} "
                         f"-- {g.description}{more}; see hive.ops.quality_checks")
