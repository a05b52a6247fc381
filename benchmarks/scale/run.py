"""`make bench-scale`: the query benchmark on 1 Trino worker and on 2, side by side in one run (issue #24).

    python -m benchmarks.scale.run [--scale medium] [--layouts a,b] [--queries q1,q2]

1. the query benchmark's tables at SCALE (benchmarks/cases.yaml), built or reused as `make bench` does;
2. phase "1": every query on every layout, warm-up and timed rounds, on the lake as it runs (the coordinator
   is its only worker);
3. phase "2": one more Trino worker joins (lake.bench.scale.LocalWorker: the trino-worker role's service on
   this host) and the same rounds run again; which nodes ran each query's splits comes from Trino's own
   task list (lake.bench.query.trino_run.task_nodes);
4. every answer on 2 workers compared with the one on 1: any difference fails the run.
Results: benchmarks/results/scale-<stamp>/{results.json,report.md,workers.png} (and scale-latest).
"""
from __future__ import annotations

import argparse
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

import yaml

from benchmarks.query.run import resolve_params, run_trino
from lake.bench import machine, scale
from lake.bench.query import cases, layouts
from lake.bench.query.trino_run import Trino
from lake.bench.report import publish
from lake.runtime import clients
from lake.settings import ROOT

RESULTS_ROOT = ROOT / "benchmarks" / "results"
CASES = Path(__file__).with_name("cases.yaml")


def _log(msg: str) -> None:
    print(f"bench-scale: {msg}", flush=True)


def active_nodes(s) -> list[str]:
    return sorted(r[0] for r in clients.trino(s, "SELECT node_id FROM system.runtime.nodes WHERE state = 'active'"))


def main(argv: list[str] | None = None) -> int:
    from lake import settings

    doc = yaml.safe_load(CASES.read_text())
    ap = argparse.ArgumentParser(prog="make bench-scale", description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default=doc["scale"])
    ap.add_argument("--layouts", default=",".join(doc["layouts"]))
    ap.add_argument("--queries", default=",".join(doc.get("queries") or []))
    ap.add_argument("--results", default=str(RESULTS_ROOT))
    args = ap.parse_args(argv)
    try:
        case = cases.load(args.scale, layouts=[x for x in args.layouts.split(",") if x],
                          queries=[x for x in args.queries.split(",") if x])
    except cases.CaseError as e:
        print(f"make bench-scale: error: {e}", file=sys.stderr)
        return 2
    s = settings.get()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = Path(args.results) / f"scale-{stamp}"
    started = time.monotonic()
    res = {"suite": "scale", "scale": case.scale, "command": f"make bench-scale SCALE={case.scale}",
           "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"), "case": case.as_dict(),
           "phases": doc["phases"], "worker": dict(doc["worker"]), "machine": {}, "nodes": {}, "runs": [],
           "answers": {}, "answer_problems": [], "error": None}
    try:
        tr = Trino(s)
    except Exception as e:  # noqa: BLE001 - one line for a stack that is down
        print(f"make bench-scale: error: cannot reach Trino at {s.trino_url} ({e}); start the stack with `make up`",
              file=sys.stderr)
        return 1
    try:
        res["machine"] = machine.describe(None)
        res["machine"]["load_average_before"] = machine.load_average()
        _log(f"SCALE={case.scale}: {case.rows:,} tweets, layouts {', '.join(case.layouts)}, {len(case.queries)} "
             f"queries, phases {res['phases']} worker(s)")
        base = layouts.ensure_base(s, case, tr, log=_log)
        for layout in case.layouts.values():
            layouts.build_layout(s, case, tr, layout, base["rows"], log=_log)
        params = resolve_params(tr, case)
        res["params"] = params
        for n in res["phases"]:
            if n == 1:
                res["nodes"]["1"] = active_nodes(s)
                run_trino(tr, case, params, res, engine=scale.engine(1))
            elif n == 2:
                t0 = time.monotonic()
                with scale.LocalWorker(s, port=int(doc["worker"]["port"]), heap_mb=doc["worker"].get("heap_mb")) as w:
                    res["worker"]["start_seconds"] = round(time.monotonic() - t0, 1)
                    res["nodes"]["2"] = active_nodes(s)
                    _log(f"a second Trino worker joined in {res['worker']['start_seconds']} s: "
                         f"nodes {', '.join(res['nodes']['2'])}")
                    run_trino(tr, case, params, res, engine=scale.engine(2))
                    res["worker"]["rss_mb_after"] = w.rss_mb()
            else:
                raise ValueError(f"phases: {n} workers is not something this host can run (1 or 2)")
        res["answer_problems"] = scale.differing_answers(res)
        res["comparison"] = scale.compare(res)
    except Exception as e:  # noqa: BLE001 - stored whole, then reported
        res["error"] = traceback.format_exc()
        print(f"make bench-scale: error: {e}", file=sys.stderr)
    finally:
        tr.close()
    res["machine"]["load_average_after"] = machine.load_average()
    res["finished_utc"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    res["wall_seconds"] = round(time.monotonic() - started, 1)
    if not res["error"]:
        res["chart"] = scale.chart(res, out_dir)
    publish(out_dir, res, scale.report(res), "scale-latest")
    for p in res["answer_problems"]:
        print(f"make bench-scale: error: {p} answers differently on 2 workers", file=sys.stderr)
    return 1 if res["error"] or res["answer_problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
