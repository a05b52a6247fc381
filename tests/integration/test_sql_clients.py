"""The SQL clients one word away (issue #26): `make sql Q=...`, `bin/trino --execute`, `make beeline Q=...`
and `bin/beeline -e` return rows from the running stack; `make compact TABLE=no.such` is refused
through the metastore before any Spark job starts."""
from __future__ import annotations

import os
import re
import subprocess
import time

import pytest

from lake.runtime import clients
from lake.settings import ROOT

# A row both engines compute without touching a table, plus one that reads the warehouse's catalog.
PROBE = "SELECT 'a,b' AS x, 6 * 7 AS y"


def sh(argv: list[str], timeout: float = 300, **env) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_bin_trino_execute_returns_rows(lake):
    r = sh([str(ROOT / "bin" / "trino"), "--execute", PROBE])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '"a,b","42"'
    assert "WARNING" not in r.stderr, r.stderr  # no JLine or native-access chatter


def test_make_sql_q_runs_one_statement_in_the_hive_catalog(lake):
    expected = clients.trino(lake, "SELECT count(*) FROM information_schema.schemata")[0][0]
    r = sh(["make", "--no-print-directory", "-s", "sql", "Q=SELECT count(*) FROM information_schema.schemata"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == f'"{expected}"'


def test_bin_beeline_e_returns_rows(lake):
    r = sh([str(ROOT / "bin" / "beeline"), "--silent=true", "--outputformat=csv2", "--showHeader=false", "-e", PROBE])
    assert r.returncode == 0, r.stderr
    # Beeline's csv2 marks quoting with NUL bytes, and echoes its prompt when stdin is no terminal.
    last = r.stdout.replace("\x00", "").strip().splitlines()[-1]
    assert last.endswith("a,b,42"), r.stdout


def test_make_beeline_q_shows_a_table(lake):
    r = sh(["make", "--no-print-directory", "-s", "beeline", f"Q={PROBE}"])
    assert r.returncode == 0, r.stderr
    row = [ln for ln in r.stdout.splitlines() if "a,b" in ln]
    assert row and "42" in row[0], r.stdout


@pytest.mark.parametrize("table, words", [
    ("no.such", ["no schema 'no'", "schemas: "]),
    ("raw.no_such_table", ["no table 'no_such_table' in schema raw", "tweets"]),
])
def test_compact_missing_table_is_refused_before_spark(lake, table, words):
    t0 = time.monotonic()
    r = sh(["make", "--no-print-directory", "-s", "compact", f"TABLE={table}"], timeout=120)
    took = time.monotonic() - t0
    # GNU make's own "make: *** ... Error 2" (make[1]: under `make test`, a nested make) is not ours
    lines = [ln for ln in r.stderr.splitlines() if ln.strip() and not re.match(r"make(\[\d+\])?: \*\*\* ", ln)]
    assert "Traceback" not in r.stderr and len(lines) == 1, r.stderr
    assert lines[0].startswith(f"make compact: error: TABLE={table}: ") and all(w in lines[0] for w in words)
    assert r.returncode != 0 and "spark" not in (r.stdout + r.stderr).lower()
    assert took < 60, f"{took:.0f} s: a Spark job takes longer than the metastore check"
