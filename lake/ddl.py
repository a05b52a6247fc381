"""Applies the .sql files under hive/ddl/<layer>/ through the Spark Thrift Server.

SQL lives in files, one per table and layer, parameterised with ${NAME}
(hive-testbench style) and idempotent (IF NOT EXISTS); nothing is assembled
in Python strings.
"""
from __future__ import annotations

import re
from pathlib import Path

from lake import clients, config
from lake.settings import Settings


def ddl_params(s: Settings, **overrides: str) -> dict[str, str]:
    params = {"RAW_DB": "raw", "RAW_ROOT": f"{s.hdfs_uri}/lake/raw/tweets", "WAREHOUSE_DIR": s.warehouse_dir,
              "BRONZE_DB": "bronze"}
    return {**params, **overrides}


def statements(path: Path, params: dict[str, str]) -> list[str]:
    text = config.render_text(path.read_text(), params, origin=str(path))
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [stmt.strip() for stmt in re.split(r";\s*(?:\n|$)", text) if stmt.strip()]


def apply_layer(s: Settings, layer: str, **overrides: str) -> str:
    files = sorted((s.root / "hive" / "ddl" / layer).glob("*.sql"))
    for f in files:
        for stmt in statements(f, ddl_params(s, **overrides)):
            clients.hive(s, stmt)
    return f"{layer} DDL applied ({len(files)} file(s))"
