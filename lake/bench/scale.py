"""`make bench-scale`: the query benchmark's case on one Trino worker and on two, side by side (issue #24).

What is compared: the lake as it runs on one host (the coordinator is its only worker) against the same
lake with one more Trino worker joined to it (`LocalWorker`: the `trino-worker` role's own service, on its
own port and var dir). On a 2-core box two workers share the same cores, so the goal is not a speed-up: it
is that every answer stays the same, that the second worker really runs splits, and what the extra node
costs (wall time, CPU, the worker's memory). The figures are each query's median over its timed rounds,
from Trino's own statistics (lake/bench/query/trino_run.py).
"""
from __future__ import annotations

import dataclasses
import math
import os
import shutil
from pathlib import Path
from statistics import median

from lake import settings as lake_settings
from lake.cluster import TRINO_WORKER
from lake.runtime import config, process
from lake.settings import Settings

ENGINE = "trino-{n}w"  # the runs' engine label per worker count


def engine(workers: int) -> str:
    return ENGINE.format(n=workers)


def medians(runs: list[dict], label: str) -> dict[tuple[str, str], dict]:
    """(layout, query) -> the median wall and CPU milliseconds of its timed runs (warm-ups left out), and the
    nodes that ran its splits in every timed run."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in runs:
        if r["engine"] == label and not r["warmup"]:
            groups.setdefault((r["layout"], r["query"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        split_nodes = [sorted(n for n, v in (r.get("nodes") or {}).items() if v.get("drivers", 0) > 0) for r in rs]
        out[key] = {"wall_ms": median(r["wall_ms"] for r in rs), "cpu_ms": median(r["cpu_ms"] for r in rs),
                    "runs": len(rs), "nodes_every_run": sorted(set.intersection(*map(set, split_nodes)))
                    if split_nodes else []}
    return out


def geomean(values: list[float]) -> float | None:
    values = [v for v in values if v and v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def compare(res: dict, one: int = 1, two: int = 2) -> dict:
    """Side by side: per (layout, query) the medians on `one` and `two` workers and their ratio (two / one),
    the geometric means of those ratios, and how many of the two-worker queries ran splits on every node."""
    a, b = medians(res["runs"], engine(one)), medians(res["runs"], engine(two))
    rows = []
    for key in sorted(set(a) & set(b)):
        rows.append({"layout": key[0], "query": key[1], "wall_ms": [a[key]["wall_ms"], b[key]["wall_ms"]],
                     "cpu_ms": [a[key]["cpu_ms"], b[key]["cpu_ms"]],
                     "wall_ratio": b[key]["wall_ms"] / a[key]["wall_ms"] if a[key]["wall_ms"] else None,
                     "cpu_ratio": b[key]["cpu_ms"] / a[key]["cpu_ms"] if a[key]["cpu_ms"] else None,
                     "nodes": b[key]["nodes_every_run"]})
    nodes = res.get("nodes", {}).get(str(two)) or []
    spread = [r for r in rows if nodes and set(nodes) <= set(r["nodes"])]
    return {"rows": rows, "wall_ratio_geomean": geomean([r["wall_ratio"] for r in rows]),
            "cpu_ratio_geomean": geomean([r["cpu_ratio"] for r in rows]),
            "queries": len(rows), "on_every_node": len(spread)}


def differing_answers(res: dict, one: int = 1, two: int = 2) -> list[str]:
    """Every (layout|query) whose answer on `two` workers is not the one on `one` worker."""
    a, b = engine(one), engine(two)
    out = []
    for key, rows in res["answers"].items():
        if key.startswith(f"{a}|"):
            other = res["answers"].get(b + key[len(a):])
            if other is not None and other != rows:
                out.append(key[len(a) + 1:])
    return sorted(out)


def _ms(v: float) -> str:
    return f"{v / 1000:.2f} s" if v >= 1000 else f"{v:.0f} ms"


def _ratio(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}x"


def report(res: dict) -> str:
    c = res.get("comparison") or compare(res)
    w = res.get("worker", {})
    lines = [f"# Query benchmark on 1 and 2 Trino workers (`{res['command']}`)", "",
             f"Run {res['started_utc']} → {res.get('finished_utc', '?')} ({res.get('wall_seconds', '?')} s); "
             f"SCALE={res['scale']}: {res['case']['rows']:,} tweets, layouts {', '.join(res['case']['layouts'])}, "
             f"{res['case']['warmup_runs']} warm-up + {res['case']['runs']} timed rounds per query and phase.", "",
             "- **1 worker**: the lake as it runs on one host; the coordinator runs every split.",
             "- **2 workers**: the same, with one more Trino worker joined (the `trino-worker` role's service on "
             f"this host, port {w.get('port', '?')}, heap {w.get('heap_mb', '?')} MB).",
             f"- Phases in order: {', '.join(str(p) for p in res.get('phases', []))} worker(s). "
             f"Host: {res.get('machine', {}).get('nproc', '?')} cores; load average before "
             f"{res.get('machine', {}).get('load_average_before', '?')}, after "
             f"{res.get('machine', {}).get('load_average_after', '?')}.", ""]
    if res.get("error"):
        lines += ["**The run failed:**", "", "```", res["error"].strip()[-3000:], "```", ""]
    diff = res.get("answer_problems") or []
    lines += ["## Verdict", "",
              "| check | result |", "|---|---|",
              f"| every answer on 2 workers equals the one on 1 | "
              f"{'yes' if not diff else 'NO: ' + ', '.join(diff)} |",
              f"| Trino nodes active with 2 workers | {', '.join(res.get('nodes', {}).get('2', [])) or '-'} |",
              f"| queries whose splits ran on both nodes in every timed round | {c['on_every_node']} of {c['queries']} |",
              f"| wall time, 2 workers / 1 (geometric mean over queries) | {_ratio(c['wall_ratio_geomean'])} |",
              f"| CPU time, 2 workers / 1 (geometric mean) | {_ratio(c['cpu_ratio_geomean'])} |",
              f"| the extra worker's memory (RSS after the phase) | "
              f"{w.get('rss_mb_after', '?')} MiB (started in {w.get('start_seconds', '?')} s) |", "",
              "## Per query (median of the timed rounds)", "",
              "| layout | query | wall 1w | wall 2w | ratio | CPU 1w | CPU 2w | ratio | nodes with splits (2w) |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in c["rows"]:
        lines.append(f"| {r['layout']} | {r['query']} | {_ms(r['wall_ms'][0])} | {_ms(r['wall_ms'][1])} | "
                     f"{_ratio(r['wall_ratio'])} | {_ms(r['cpu_ms'][0])} | {_ms(r['cpu_ms'][1])} | "
                     f"{_ratio(r['cpu_ratio'])} | {len(r['nodes'])} |")
    if res.get("chart"):
        lines += ["", f"![wall time per query, 1 vs 2 workers]({res['chart']})"]
    lines += ["", "Reading: on one 2-core host the second worker adds a JVM, exchanges between nodes over "
              "HTTPS and a second scheduler to the same cores, so a ratio above 1 is that overhead; on real "
              "hosts the second worker brings its own cores and disks (docs/scale-out.md)."]
    return "\n".join(lines) + "\n"


def chart(res: dict, out: Path) -> str | None:
    from lake.bench.report import pyplot, save_chart

    c = res.get("comparison") or compare(res)
    if not c["rows"]:
        return None
    plt = pyplot()
    labels = [f"{r['layout']} / {r['query']}" for r in c["rows"]]
    # Two panels: the wall times (log scale: JSON scans of seconds beside ORC queries of 0.1 s) and the ratio,
    # which is what the run is about.
    fig, (ax, rx) = plt.subplots(1, 2, figsize=(11, 0.32 * len(labels) + 1.5), sharey=True,
                                 gridspec_kw={"width_ratios": [3, 2]})
    ys = range(len(labels))
    ax.barh([y - 0.2 for y in ys], [r["wall_ms"][0] / 1000 for r in c["rows"]], height=0.4, label="1 worker")
    ax.barh([y + 0.2 for y in ys], [r["wall_ms"][1] / 1000 for r in c["rows"]], height=0.4, label="2 workers")
    ax.set_yticks(list(ys), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("median wall time (s, log scale)")
    ax.legend(fontsize=8)
    rx.barh(list(ys), [r["wall_ratio"] or 0 for r in c["rows"]], height=0.6, color="tab:gray")
    rx.axvline(1.0, color="black", linewidth=0.8)
    rx.set_xlabel("wall time, 2 workers / 1")
    fig.suptitle(f"Trino, 1 vs 2 workers on one host, SCALE={res['scale']}")
    fig.tight_layout()
    save_chart(fig, out / "workers.png")
    return "workers.png"


class LocalWorker:
    """One more Trino worker on this host, joined to the running lake's coordinator: the `trino-worker` role's
    own service (lake/stack/trino.py TrinoWorker), started the way `make up` starts a role, with its own var
    dir (its lib/ the installed artifacts, linked; the coordinator's TLS pair, shared secret and service login
    copied, as to a real worker host) and its own port. Stopped, and its var dir removed, on exit."""

    def __init__(self, s: Settings, port: int, heap_mb: int | None = None):
        from lake.stack.trino import TrinoWorker

        self.s = s
        self.var = s.var / "bench" / "trino-worker"
        env = {**os.environ, "LAKE_VAR_DIR": str(self.var), "LAKE_PORT_TRINO_WORKER": str(port)}
        ws = lake_settings.load(env)
        self.ws = dataclasses.replace(ws, roles=(TRINO_WORKER,),
                                      heaps_mb={**ws.heaps_mb, **({TRINO_WORKER: heap_mb} if heap_mb else {})})
        self.svc = TrinoWorker(self.ws)
        self.port = port

    def __enter__(self) -> LocalWorker:
        from lake.stack import lifecycle
        from lake.stack.trino import link_artifacts

        self.close()
        link_artifacts(self.s.lib_dir, self.ws.lib_dir)
        for target in self.svc.copied_files():
            src = self.s.var / target.relative_to(self.ws.var)
            for d in (target.parent, self.ws.secrets_dir):
                d.mkdir(parents=True, exist_ok=True)
                d.chmod(0o700)
            shutil.copyfile(src, target)
            target.chmod(0o600)
        config.render_all(self.ws)
        for d in (self.ws.data_dir, self.ws.log_dir, self.ws.run_dir):
            d.mkdir(parents=True, exist_ok=True)
        try:
            lifecycle.ensure_up(self.svc)
        except BaseException:
            self.close()
            raise
        return self

    def rss_mb(self) -> float | None:
        pid = self.svc.daemon.pid()
        return round(process.rss_mb(pid)) if pid else None

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.ws.run_dir.exists():
            self.svc.daemon.stop(timeout=45)
        shutil.rmtree(self.var, ignore_errors=True)
