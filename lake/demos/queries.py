"""The queries `make demo` shows at the end: each .sql file in demo/, run through Trino."""
from __future__ import annotations

from lake.runtime import clients
from lake.settings import Settings


def run(s: Settings) -> None:
    for path in sorted((s.root / "demo").glob("*.sql")):
        sql = path.read_text()
        title = next((ln.lstrip("- ").strip() for ln in sql.splitlines() if ln.startswith("--")), path.stem)
        print(f"\n== {path.name}: {title}")
        rows = clients.trino(s, sql)
        for row in rows:
            print("  " + "  ".join(f"{v!s:<24}" for v in row).rstrip())
