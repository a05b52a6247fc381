"""Runs SQL on Trino and reads back the query's own statistics (REST /v1/query/<id>)."""
from __future__ import annotations

import time

from lake.runtime import clients
from lake.settings import Settings

SCAN_OPERATORS = ("TableScanOperator", "ScanFilterAndProjectOperator")


class Trino:
    """One connection for the run, as the lake's service login (it builds the bench_* layouts);
    `session` holds SET SESSION properties for the next statements."""

    def __init__(self, s: Settings):
        self.s, self.login = s, clients.trino_login(s)
        self.conn = clients.trino_connect(s, "hive", login=self.login, request_timeout=3600)
        # The REST API takes the same login; a query's owner may always read its own statistics.
        self.http = clients.trino_http_session(s)
        self.http.auth = (self.login.user, self.login.password)

    def close(self) -> None:
        self.conn.close()
        self.http.close()

    def _run(self, sql: str) -> tuple[list[tuple], str]:
        cur = self.conn.cursor()
        try:
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()], cur.stats["queryId"]
        finally:
            cur.close()

    def execute(self, sql: str, session: dict[str, str] | None = None) -> tuple[list[tuple], str]:
        """(rows, query id). Session properties (SET SESSION) apply to this statement only."""
        for k, v in (session or {}).items():
            self._run(f"SET SESSION {k} = {v}")
        try:
            return self._run(sql)
        finally:
            for k in session or {}:
                self._run(f"RESET SESSION {k}")

    def query_info(self, query_id: str, timeout: float = 30) -> dict:
        """The finished query's JSON; it may take a moment to reach its final state."""
        url = f"{self.s.trino_url}/v1/query/{query_id}"
        deadline = time.monotonic() + timeout
        while True:
            r = self.http.get(url, headers={"X-Trino-User": self.login.user}, timeout=30)
            r.raise_for_status()
            info = r.json()
            if info.get("finalQueryInfo") or info.get("state") in ("FINISHED", "FAILED") and \
                    info["queryStats"].get("endTime"):
                return info
            if time.monotonic() > deadline:
                raise TimeoutError(f"Trino query {query_id} has no final statistics after {timeout:.0f} s "
                                   f"(see var/log/trino.log)")
            time.sleep(0.1)

    def measured(self, sql: str, session: dict[str, str] | None = None) -> tuple[list[tuple], dict]:
        rows, qid = self.execute(sql, session)
        return rows, figures(self.query_info(qid))


def _millis(text: str) -> float:
    units = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3, "d": 86400e3}
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * units[unit]
    raise ValueError(f"not a Trino duration: {text!r}")


def figures(info: dict) -> dict:
    """What the protocol records of one query, from Trino's own statistics.

    Splits: drivers of the table-scan operators (one split per file, or per block-sized piece
    of a large file). Trino does not report the number of files a query opened; splits stand
    in for it (docs/benchmarks.md)."""
    qs = info["queryStats"]
    scans = [o for o in qs.get("operatorSummaries", []) if o.get("operatorType") in SCAN_OPERATORS]
    return {
        "query_id": info["queryId"],
        "wall_ms": _millis(qs["elapsedTime"]),
        "cpu_ms": _millis(qs["totalCpuTime"]),
        "input_bytes": parse_size(qs["physicalInputDataSize"]),
        "input_rows": qs.get("physicalInputPositions", qs.get("rawInputPositions")),
        "splits": sum(int(o.get("totalDrivers", 0)) for o in scans),
        "peak_memory_bytes": parse_size(qs["peakUserMemoryReservation"]),
        "nodes": task_nodes(info),
    }


def task_nodes(info: dict) -> dict[str, dict[str, int]]:
    """node id -> its tasks and drivers (a source stage's driver is one split) over every stage of the query:
    which Trino workers did the work (make bench-scale checks that two workers both ran splits). Walks the
    JSON rather than naming the stage tree's keys, which moved between Trino releases (outputStage/subStages,
    then stages.stages)."""
    nodes: dict[str, dict[str, int]] = {}

    def walk(x) -> None:
        if isinstance(x, dict):
            status = x.get("taskStatus")
            if isinstance(status, dict) and status.get("nodeId"):
                n = nodes.setdefault(status["nodeId"], {"tasks": 0, "drivers": 0})
                n["tasks"] += 1
                n["drivers"] += int((x.get("stats") or {}).get("totalDrivers", 0))
                return
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(info.get("stages") or info.get("outputStage") or {})
    return nodes


def parse_size(text: str) -> int:
    """Trino's succinct data sizes ('0B', '12.5kB', '3.10MB') in bytes."""
    units = {"B": 1, "kB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4, "PB": 1024**5}
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit):
            return round(float(text[: -len(unit)]) * units[unit])
    raise ValueError(f"not a Trino data size: {text!r}")

