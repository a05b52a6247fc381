"""`make bench`: the query benchmark. Layouts x access patterns on Trino, Spark SQL and DuckDB as peers.

    python -m benchmarks.query.run --scale small

1. setup, never timed: the base table (Spark generator job), dims, every layout of the scale
   (reused when already built), bytes and files on HDFS per layout;
2. Trino: per query, rounds of (warm-up + timed) runs, each round going through every layout
   in a rotated order; figures from Trino's own query statistics;
3. peers: the same queries on the peers' layout with Spark SQL and DuckDB;
4. every answer compared (normalized) across layouts and engines: any difference fails the run;
5. results.json, report.md and charts in benchmarks/results/<stamp>/, `latest` pointing at it.
Protocol and reading guide: docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from lake.bench import machine
from lake.bench.ingest import kafka_tools
from lake.bench.report import point_latest
from lake.bench.progress import bar
from lake.bench.query import analysis, cases, layouts, report
from lake.bench.query.answers import answers_differ, normalize
from lake.bench.query.trino_run import Trino
from lake.settings import ROOT

RESULTS_ROOT = ROOT / "benchmarks" / "results"


def _log(msg: str) -> None:
    print(f"bench: {msg}", flush=True)


def rotated(items: list, k: int) -> list:
    k %= max(1, len(items))
    return items[k:] + items[:k]


def resolve_params(tr: Trino, case: cases.Case) -> dict[str, str]:
    values = {"catalog": "hive", "base": case.base_schema}
    out = {}
    for name, value in case.params.items():
        value = str(value)
        if value.lstrip().upper().startswith("SELECT"):
            rows, _ = tr.execute(cases.render(value, values))
            value = str(rows[0][0])
        out[name] = value
    return out


def queries_for(engine: str, case: cases.Case) -> dict[str, str]:
    return {q: cases.query_text(q, engine) for q in case.queries}


def run_trino(tr: Trino, case: cases.Case, params: dict, res: dict, engine: str = "trino") -> None:
    """Every query on every layout, warm-up and timed rounds, layouts rotated each round; `engine` labels the
    runs and answers (make bench-scale runs this once per Trino worker count: trino-1w, trino-2w)."""
    names = list(case.layouts)
    rounds = case.warmup_runs + case.runs
    texts = queries_for("trino", case)
    total = len(texts) * rounds * len(names)
    with bar(total=total, desc=f"{engine} runs", unit="query") as pbar:
        for q, text in texts.items():
            for rnd in range(rounds):
                for name in rotated(names, rnd):
                    sql = cases.render(text, {**params, "catalog": "hive", "schema": case.schema(name),
                                              "base": case.base_schema})
                    rows, fig = tr.measured(sql, case.trino_session)
                    res["runs"].append({"engine": engine, "layout": name, "query": q, "round": rnd,
                                        "warmup": rnd < case.warmup_runs, **fig})
                    res["answers"].setdefault(f"{engine}|{name}|{q}", [list(r) for r in normalize(rows)])
                    pbar.update()


def run_peers(s, case: cases.Case, params: dict, res: dict) -> None:
    from lake.bench.query import peers

    layout = case.peers.get("layout")
    if layout not in case.layouts or not case.peers.get("engines"):
        res["peers_skipped"] = f"the peers' layout {layout} is not built at SCALE={case.scale}"
        return
    schema = case.schema(layout)
    rounds = case.warmup_runs + case.runs
    for engine in case.peers["engines"]:
        t0 = time.monotonic()
        if engine == "duckdb":
            peer = peers.DuckDbPeer(s, peers.duckdb_tables(s, schema, case.base_schema))
            res["peer_setup"]["duckdb"] = {"copied_bytes": peer.copied_bytes,
                                           "copy_seconds": round(time.monotonic() - t0, 1),
                                           "method": "WebHDFS (hdfs package) to a local temp dir, not timed"}
        else:
            peer = peers.SparkPeer(s)
            res["peer_setup"]["spark"] = {"method": "Spark Thrift Server (PyHive), its running session"}
        res["versions"][engine] = peer.version()
        try:
            texts = queries_for(engine, case)
            with bar(total=len(texts) * rounds, desc=f"{engine} runs", unit="query") as pbar:
                for q, text in texts.items():
                    for rnd in range(rounds):
                        sql = cases.render(text, {**params, "catalog": peer.catalog, "schema": schema,
                                                  "base": case.base_schema})
                        rows, wall_ms = peer.run(sql)
                        res["runs"].append({"engine": engine, "layout": layout, "query": q, "round": rnd,
                                            "warmup": rnd < case.warmup_runs, "wall_ms": wall_ms})
                        res["answers"].setdefault(f"{engine}|{layout}|{q}", [list(r) for r in normalize(rows)])
                        pbar.update()
        finally:
            peer.close()


def check_answers(res: dict, case: cases.Case) -> list[dict]:
    """Every (engine, layout) answer of a query against Trino's answer on the reference layout."""
    problems = []
    reference = "orc_zstd" if "orc_zstd" in case.layouts else next(iter(case.layouts))
    for q in case.queries:
        answers = {k: [tuple(r) for r in v] for k, v in res["answers"].items() if k.endswith(f"|{q}")}
        ref_key = f"trino|{reference}|{q}"
        if ref_key not in answers:
            continue
        for name, diff in answers_differ(answers, ref_key).items():
            problems.append({"query": q, "answer": name, "reference": ref_key, **diff})
    return problems


def trino_version(tr: Trino) -> str:
    return str(tr.execute("SELECT node_version FROM system.runtime.nodes LIMIT 1")[0][0][0])


def main(argv: list[str] | None = None) -> int:
    from lake import settings
    from lake.runtime import jvm
    from lake import versions as lake_versions

    ap = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="small", help=f"one of {', '.join(cases.scales())}")
    ap.add_argument("--results", default=str(RESULTS_ROOT))
    ap.add_argument("--layouts", default="", help="comma-separated subset of the layouts (default: the scale's)")
    ap.add_argument("--drop", action="store_true", help="drop every bench_<scale>_* schema and its data, then exit")
    ap.add_argument("--queries", default="", help="comma-separated subset of the queries (default: the scale's)")
    args = ap.parse_args(argv)
    try:
        case = cases.load(args.scale, layouts=[x for x in args.layouts.split(",") if x],
                          queries=[x for x in args.queries.split(",") if x])
    except cases.CaseError as e:
        print(f"make bench: error: {e}", file=sys.stderr)
        return 2
    s = settings.get()
    if args.drop:
        tr = Trino(s)
        try:
            dropped = layouts.drop_scale(s, tr, case.scale, log=_log)
        finally:
            tr.close()
        _log(f"dropped {len(dropped)} schema(s) of SCALE={case.scale}")
        return 0
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = Path(args.results) / stamp
    started = time.monotonic()
    res = {"suite": "query", "scale": case.scale, "command": f"make bench SCALE={case.scale}",
           "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"), "case": case.as_dict(),
           "machine": {}, "versions": {}, "settings": {}, "base": {}, "layouts": {}, "runs": [], "answers": {},
           "peer_setup": {}, "answer_problems": [], "error": None}
    try:
        tr = Trino(s)
    except Exception as e:  # noqa: BLE001 - one line for a stack that is down
        print(f"make bench: error: cannot reach Trino at {s.trino_url} ({e}); start the stack with `make up`",
              file=sys.stderr)
        return 1
    try:
        res["machine"] = machine.describe(kafka_tools.java_version(jvm.java17_home() / "bin" / "java"))
        res["versions"]["trino_java"] = kafka_tools.java_version(jvm.trino_java())
        res["machine"]["load_average_before"] = machine.load_average()
        res["versions"].update(trino=trino_version(tr), lake=lake_versions.load())
        res["settings"] = report.trino_settings(s)
        _log(f"SCALE={case.scale}: {case.rows:,} tweets, {len(case.layouts)} layouts, {len(case.queries)} queries, "
             f"{case.warmup_runs} warm-up + {case.runs} timed runs each")
        res["base"] = layouts.ensure_base(s, case, tr, log=_log)
        for name, layout in bar(case.layouts.items(), desc="layouts", unit="layout"):
            try:
                info = layouts.build_layout(s, case, tr, layout, res["base"]["rows"], log=_log)
                info.update(layouts.storage(s, case.schema(name)))
            except Exception as e:  # noqa: BLE001 - one layout failing must not hide the others' figures
                info = {"status": "failed", "error": str(e).splitlines()[0] if str(e) else repr(e)}
                _log(f"layout {name} failed to build: {info['error']}")
            res["layouts"][name] = info
        failed = [n for n, i in res["layouts"].items() if i["status"] == "failed"]
        if failed:
            res["layouts_failed"] = failed
            case = dataclasses.replace(case, layouts={n: v for n, v in case.layouts.items() if n not in failed})
        params = resolve_params(tr, case)
        res["params"] = params
        run_trino(tr, case, params, res)
        run_peers(s, case, params, res)
        res["answer_problems"] = check_answers(res, case)
    except Exception as e:  # noqa: BLE001 - stored whole, then reported
        res["error"] = traceback.format_exc()
        print(f"make bench: error: {e}", file=sys.stderr)
    finally:
        tr.close()
    res["machine"]["load_average_after"] = machine.load_average()
    res["finished_utc"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    res["wall_seconds"] = round(time.monotonic() - started, 1)
    res["analysis"] = analysis.analyse(res, case)
    if res.get("layouts_failed"):
        print(f"make bench: error: layout(s) failed to build: {', '.join(res['layouts_failed'])} (see the report)",
              file=sys.stderr)
    report.store(out_dir, res)
    link = point_latest(out_dir, "latest")
    _log(f"report: {out_dir / 'report.md'} (also {link})")
    if res["answer_problems"]:
        for p in res["answer_problems"]:
            print(f"make bench: error: {p['answer']} answers {p['query']} differently from {p['reference']}",
                  file=sys.stderr)
        return 1
    return 1 if res["error"] or res.get("layouts_failed") else 0


if __name__ == "__main__":
    sys.exit(main())
