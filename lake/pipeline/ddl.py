"""Applies the .sql files under hive/ddl/<layer>/ through the Spark Thrift Server.

SQL lives in files, one per table and layer, parameterised with ${NAME}
(hive-testbench style) and idempotent (IF NOT EXISTS); nothing is assembled
in Python strings. A file whose first line is `-- engine: trino` runs through
Trino (catalog hive) instead: tables only Trino can write the way we want
(Hive bucketing Trino can use) and Trino views.
"""
from __future__ import annotations

import re
from pathlib import Path

from lake.runtime import clients, config
from lake.settings import RAW_ROOT, Settings


def ddl_params(s: Settings, **overrides: str) -> dict[str, str]:
    params = {"RAW_DB": "raw", "RAW_ROOT": f"{s.hdfs_uri}{RAW_ROOT}", "WAREHOUSE_DIR": s.warehouse_dir,
              "BRONZE_DB": "bronze",
              "SILVER_DB": "silver", "GOLD_DB": "gold", "OPS_DB": "ops", "SILVER_BUCKETS": "16",
              "SPEED_DB": "speed", "SERVING_DB": "serving"}
    return {**params, **overrides}


def statements(path: Path, params: dict[str, str]) -> list[str]:
    text = config.render_text(path.read_text(), params, origin=str(path))
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [stmt.strip() for stmt in re.split(r";\s*(?:\n|$)", text) if stmt.strip()]


def engine(path: Path) -> str:
    first = path.read_text().split("\n", 1)[0].strip().lower().replace(" ", "")
    return "trino" if first == "--engine:trino" else "spark"


def apply_file(s: Settings, path: Path, **overrides: str) -> None:
    run = (lambda sql: clients.trino(s, sql)) if engine(path) == "trino" else (lambda sql: clients.hive(s, sql))
    for stmt in statements(path, ddl_params(s, **overrides)):
        run(stmt)


def apply_layer(s: Settings, layer: str, **overrides: str) -> str:
    files = sorted((s.root / "hive" / "ddl" / layer).glob("*.sql"))
    # Spark files first: they create the schemas the Trino files may put tables in
    for f in sorted(files, key=lambda f: engine(f) == "trino"):
        apply_file(s, f, **overrides)
    return f"{layer} DDL applied ({len(files)} file(s))"
