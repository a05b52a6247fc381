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


def apply_file(s: Settings, path: Path, **overrides: str) -> list[str]:
    """Run one file's statements; returns them (apply_layer checks their tables' columns)."""
    run = (lambda sql: clients.trino(s, sql)) if engine(path) == "trino" else (lambda sql: clients.hive(s, sql))
    stmts = statements(path, ddl_params(s, **overrides))
    for stmt in stmts:
        run(stmt)
    return stmts


# ---- additive schema evolution ---------------------------------------------------------------------
# A table made by an older release keeps its columns: CREATE TABLE IF NOT EXISTS does not touch it. A
# column the .sql file now declares and the table lacks is added (ALTER TABLE ADD COLUMNS appends it after
# the existing data columns, before the partition columns; the files declare new columns last, so Spark's
# positional inserts line up). Only additions: a changed or removed column is a manual migration.
_TRINO = "hive."  # the Trino catalog of the lake's tables
_CREATE = re.compile(r"CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+([\w.]+)\s*\(", re.IGNORECASE)


def declared_columns(stmt: str) -> tuple[str, list[tuple[str, str]]] | None:
    """(table, [(column, its full definition)]) of a CREATE TABLE IF NOT EXISTS statement, else None."""
    stmt = stmt.strip()
    m = _CREATE.match(stmt)
    if not m:
        return None
    body = _until_closing(stmt[m.end():])
    if body is None:
        return None
    return m.group(1), [(d.split()[0].strip("`").lower(), d) for d in _top_level_split(body) if d]


def _outside_quotes(text: str):
    """(index, char, nesting depth) of each character outside quotes; <> and () nest (ARRAY<STRUCT<...>>,
    DECIMAL(10, 2)). The depth is counted before the character itself."""
    depth, quote = 0, None
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        else:
            yield i, ch, depth
            depth += (ch in "<(") - (ch in ">)")


def _until_closing(text: str) -> str | None:
    """text up to the ')' that closes an already open '('."""
    for i, ch, depth in _outside_quotes(text):
        if ch == ")" and depth == 0:
            return text[:i]
    return None


def _top_level_split(body: str) -> list[str]:
    """Column definitions: split on commas outside <>, () and quotes (STRUCT<a:INT, b:INT>, COMMENT 'x, y')."""
    cuts = [i for i, ch, depth in _outside_quotes(body) if ch == "," and depth == 0]
    return [body[a + 1:b].strip() for a, b in zip([-1] + cuts, cuts + [len(body)])]


def add_missing_columns(s: Settings, stmts: list[str]) -> list[str]:
    """ALTER TABLE ADD COLUMNS for every declared column an existing table lacks; returns what was added.
    The columns the tables have come from one Trino query per batch of statements (information_schema),
    not a DESCRIBE per table: the build applies its DDL every run, and this check is on its fixed cost."""
    # a Trino file names its table hive.<schema>.<table> (and lists its partition columns, which exist)
    declared = [(table[len(_TRINO):] if table.lower().startswith(_TRINO) else table, table.lower().startswith(_TRINO),
                 columns) for table, columns in filter(None, map(declared_columns, stmts))]
    if not declared:
        return []
    schemas = sorted({table.split(".")[0].lower() for table, _, _ in declared if "." in table})
    have: dict[str, set[str]] = {}
    if schemas:
        listed = ", ".join(f"'{x}'" for x in schemas)
        for schema, table, column in clients.trino(s, "SELECT table_schema, table_name, column_name FROM "
                                                      f"hive.information_schema.columns WHERE table_schema IN ({listed})"):
            have.setdefault(f"{schema}.{table}", set()).add(column)
    added = []
    for table, by_trino, columns in declared:
        existing = have.get(table.lower())
        if not existing:  # not visible to Trino (yet): nothing to compare, nothing added
            continue
        for name, definition in columns:
            if name not in existing:
                if by_trino:  # Trino's Hive connector appends it before the partition columns too
                    clients.trino(s, f"ALTER TABLE {_TRINO}{table} ADD COLUMN {definition}")
                else:
                    clients.hive(s, f"ALTER TABLE {table} ADD COLUMNS ({definition})")
                added.append(f"{table}.{name}")
    return added


def apply_layer(s: Settings, layer: str, **overrides: str) -> str:
    files = sorted((s.root / "hive" / "ddl" / layer).glob("*.sql"))
    # Spark files first: they create the schemas the Trino files may put tables in
    stmts = []
    for f in sorted(files, key=lambda f: engine(f) == "trino"):
        stmts += apply_file(s, f, **overrides)
    added = add_missing_columns(s, stmts)
    return f"{layer} DDL applied ({len(files)} file(s))" + (f"; columns added: {', '.join(added)}" if added else "")
