"""make bench's report.md and charts/*.png, rendered from results.json (lake.bench.report writes them and the latest link)."""
from __future__ import annotations

from pathlib import Path

from lake.bench.report import pyplot, save_chart, write_report, write_results
from lake.bench.query.cases import QUERIES_DIR, access_pattern

CHART_DIR = "charts"


def trino_settings(s) -> dict:
    """The Trino settings in force (the rendered config files) that bear on the figures."""
    out = {}
    for rel in ("trino/etc/config.properties", "trino/etc/catalog/hive.properties"):
        path = s.conf_dir / rel
        if path.is_file():
            out[rel] = {k.strip(): v.strip() for k, v in (ln.split("=", 1) for ln in path.read_text().splitlines()
                                                            if "=" in ln and not ln.lstrip().startswith("#"))}
    return out


def _n(x, digits: int = 0) -> str:
    return "–" if x is None else f"{x:,.{digits}f}"


def _mib(b) -> str:
    return "–" if b is None else f"{b / 2**20:,.1f}"


def _r(x) -> str:
    return "–" if x is None else f"{x:.2f}"


def _goal_value(g: dict) -> str:
    if g["measured"] is None:
        return "not run at this scale"
    return f"{g['measured'] * 100:.1f}%" if g["unit"] == "ratio" else f"{g['measured']:.1f}x"


def _goal_target(g: dict) -> str:
    return f"{g['comparison']} {g['target'] * 100:.0f}%" if g["unit"] == "ratio" else f"{g['comparison']} {g['target']:g}x"


def _goal_context(g: dict) -> str:
    c = g.get("context") or {}
    if g["kind"] == "storage" and c.get("layout_bytes"):
        return f"{_mib(c['layout_bytes'])} MiB vs {_mib(c['baseline_bytes'])} MiB"
    if g["kind"] in ("speedup", "ratio") and c.get("layout") is not None:
        unit = {"wall_ms": "ms", "cpu_ms": "ms CPU", "input_bytes": "B read"}[c["metric"]]
        return (f"{_n(c['layout'])} vs {_n(c['baseline'])} {unit}; splits {_n(c.get('layout_splits'))} vs "
                f"{_n(c.get('baseline_splits'))}")
    if g["kind"] == "peer" and c.get("trino_geomean_ms"):
        return f"Trino {_n(c['trino_geomean_ms'])} ms vs {_n(c['engine_geomean_ms'])} ms (geometric means)"
    return ""


def charts(res: dict, out_dir: Path) -> list[str]:
    """Per factor: time and bytes read of each layout as ratios to the baseline, per query (log scale)."""
    plt = pyplot()
    made = []
    (out_dir / CHART_DIR).mkdir(parents=True, exist_ok=True)
    factors = res.get("analysis", {}).get("factors", {})
    queries = res["case"]["queries"]
    for fname, f in factors.items():
        lays = list(f["layouts"])
        if not lays:
            continue
        fig, axes = plt.subplots(1, 2, figsize=(12, 0.6 + 0.45 * len(queries) * max(1, len(lays)) / 1.5))
        for ax, metric, label in ((axes[0], "wall_ms", "time"), (axes[1], "input_bytes", "bytes read")):
            height = 0.8 / len(lays)
            for i, lay in enumerate(lays):
                vals = [f["layouts"][lay]["queries"][q][metric] or 0 for q in queries]
                ax.barh([k + i * height for k in range(len(queries))], vals, height=height, label=lay)
            ax.axvline(1.0, color="black", linewidth=0.8)
            ax.set_xscale("log")
            ax.set_yticks([k + 0.4 - height / 2 for k in range(len(queries))], queries)
            ax.set_title(f"{label} / {f['baseline']} (log; < 1 is better)")
        axes[0].legend(fontsize=8)
        fig.suptitle(f"{fname}: Trino, median of the timed runs, SCALE={res['scale']}")
        fig.tight_layout()
        name = f"{CHART_DIR}/{fname}.png"
        save_chart(fig, out_dir / name)
        made.append(name)
    stor = {k: v.get("bytes") for k, v in res.get("layouts", {}).items() if v.get("bytes")}
    if stor:
        fig, ax = plt.subplots(figsize=(8, 0.4 * len(stor) + 1))
        ax.barh(list(stor), [b / 2**20 for b in stor.values()])
        ax.set_xlabel("MiB on HDFS")
        ax.set_title(f"Bytes on disk per layout, SCALE={res['scale']}")
        fig.tight_layout()
        save_chart(fig, out_dir / f"{CHART_DIR}/storage.png")
        made.append(f"{CHART_DIR}/storage.png")
    return made


def render(res: dict, chart_files: list[str] = ()) -> str:
    a = res.get("analysis", {})
    m, case = res.get("machine", {}), res["case"]
    summ = a.get("summaries", {})
    v = res.get("versions", {})
    out = [f"# Query benchmark, {res['started_utc'][:10]} (SCALE={res['scale']})", "",
           f"`{res['command']}` — started {res['started_utc']}, finished {res.get('finished_utc', '?')} "
           f"({_n(res.get('wall_seconds'))} s wall, setup included).", ""]
    failed = res.get("error") or res.get("answer_problems") or res.get("layouts_failed")
    out += [f"**Verdict: {'FAILED' if failed else 'passed'}** — "
            + ("every layout and engine returned the same answer to every query."
               if not res.get("answer_problems") else
               f"{len(res['answer_problems'])} answer(s) differ from the reference (see below).")
            + (" The run stopped with an error (below)." if res.get("error") else ""), ""]
    out += [f"Machine: {m.get('nproc')} cores ({m.get('cpu_model') or 'unknown CPU'}), {m.get('memory_total_gib')} GiB "
            f"RAM; 1-minute load average {m.get('load_average_before', ['?'])[0]} before, "
            f"{m.get('load_average_after', ['?'])[0]} after (the whole stack and other users' jobs share the host; "
            "compare ratios measured side by side, not absolute times).", "",
            f"Versions: Trino {v.get('trino')} ({v.get('trino_java')}), Spark {v.get('spark', '–')}, "
            f"DuckDB {v.get('duckdb', '–')}, Hadoop {v.get('lake', {}).get('maven', {}).get('hadoop')}, "
            f"Hive Metastore {v.get('lake', {}).get('maven', {}).get('hive_metastore')}, Python {m.get('python')}.", "",
            f"Data: {_n(res.get('base', {}).get('rows'))} synthetic tweets (seed {case['data']['seed']}, "
            f"{case['data']['days']} days before {case['data']['anchor']}, bronze-shaped rows); raw payloads "
            f"{_mib(res.get('base', {}).get('payload_bytes'))} MiB. Protocol: {case['warmup_runs']} warm-up + "
            f"{case['runs']} timed runs per query and layout, rounds rotating the layout order; figures are Trino's "
            "own query statistics (elapsed time, CPU time, physical input bytes, splits of the table scans); "
            "medians.", ""]
    if res.get("error"):
        out += ["> **Error:** `" + res["error"].strip().splitlines()[-1] + "` (traceback in results.json)", ""]

    out += ["## Goals", "", "| goal | target | measured | verdict | figures |", "|---|---|---|---|---|"]
    for g in a.get("goals", []):
        verdict = "**met**" if g["met"] else ("not run" if not g.get("run") else "**missed**")
        out.append(f"| {g['name']} | {_goal_target(g)} | {_goal_value(g)} | {verdict} | {_goal_context(g)} |")
    out.append("")

    out += ["## Layouts", "", "| layout | schema | format | codec | files | MiB on HDFS | build |",
            "|---|---|---|---|---:|---:|---|"]
    for name, info in res.get("layouts", {}).items():
        spec = case.get("layout_specs", {}).get(name, {})
        if info.get("status") == "failed":
            out.append(f"| {name} | bench_{res['scale']}_{name} | {spec.get('format', '')} | {spec.get('codec', '')} | "
                       f"– | – | **failed**: {info.get('error')} |")
            continue
        out.append(f"| {name} | bench_{res['scale']}_{name} | {spec.get('format', '')} | {spec.get('codec', '')} | "
                   f"{_n(info.get('files'))} | {_mib(info.get('bytes'))} | {info.get('status')} "
                   f"({_n(info.get('build_seconds'))} s) |")
    out.append("")

    out += ["## Queries", ""]
    for q in case["queries"]:
        path = QUERIES_DIR / f"{q}.sql"
        out.append(f"- `{q}` — {access_pattern(path.read_text()) if path.is_file() else ''}")
    out.append("")

    for fname, f in a.get("factors", {}).items():
        out += [f"## Factor: {fname} (baseline {f['baseline']})", ""]
        chart = f"{CHART_DIR}/{fname}.png"
        if chart in chart_files:
            out += [f"![{fname}]({chart})", ""]
        out += ["| query | layout | time ratio | CPU ratio | bytes-read ratio |", "|---|---|---:|---:|---:|"]
        for q in case["queries"]:
            for lay, lv in f["layouts"].items():
                r = lv["queries"][q]
                out.append(f"| {q} | {lay} | {_r(r['wall_ms'])} | {_r(r['cpu_ms'])} | {_r(r['input_bytes'])} |")
        out += ["", "| layout | geometric-mean time ratio | storage ratio |", "|---|---:|---:|"]
        for lay, lv in f["layouts"].items():
            out.append(f"| {lay} | {_r(lv['wall_geomean'])} | {_r(lv['storage'])} |")
        out.append("")

    if a.get("peers"):
        lay = case["peers"]["layout"]
        out += [f"## Peers on {lay} (same files, same run)", "",
                "DuckDB reads a local copy of the layout's Parquet files (and the dims), fetched over WebHDFS "
                f"before its runs and not timed ({_mib(res.get('peer_setup', {}).get('duckdb', {}).get('copied_bytes'))}"
                " MiB); Spark SQL runs in the stack's Thrift Server session. Peer times are client wall times.", "",
                "| query | Trino ms | " + " | ".join(f"{e} ms | {e} / Trino" for e in a["peers"]) + " |",
                "|---|---:|" + "---:|---:|" * len(a["peers"])]
        for q in case["queries"]:
            t = summ.get("trino", {}).get(lay, {}).get(q, {}).get("wall_ms", {}).get("median")
            cells = []
            for e, p in a["peers"].items():
                cells += [_n(summ.get(e, {}).get(lay, {}).get(q, {}).get("wall_ms", {}).get("median")),
                          _r(p["queries"].get(q))]
            out.append(f"| {q} | {_n(t)} | " + " | ".join(cells) + " |")
        out += ["", "| engine | geometric-mean ms | Trino geometric-mean ms | engine / Trino |", "|---|---:|---:|---:|"]
        for e, p in a["peers"].items():
            out.append(f"| {e} | {_n(p['engine_geomean_ms'])} | {_n(p['trino_geomean_ms'])} | {_r(p['ratio_geomean'])} |")
        out.append("")
    elif res.get("peers_skipped"):
        out += ["## Peers", "", f"Not run: {res['peers_skipped']}.", ""]

    out += ["## Every cell (Trino, timed runs)", "",
            "| layout | query | time ms median (min – max) | CPU ms | MiB read | rows read | splits |",
            "|---|---|---:|---:|---:|---:|---:|"]
    for lay, qs in summ.get("trino", {}).items():
        for q, ms in qs.items():
            w = ms.get("wall_ms", {})
            out.append(f"| {lay} | {q} | {_n(w.get('median'))} ({_n(w.get('min'))} – {_n(w.get('max'))}) | "
                       f"{_n(ms.get('cpu_ms', {}).get('median'))} | {_mib(ms.get('input_bytes', {}).get('median'))} | "
                       f"{_n(ms.get('input_rows', {}).get('median'))} | {_n(ms.get('splits', {}).get('median'))} |")
    out.append("")
    if res.get("answer_problems"):
        out += ["## Answers that differ", ""]
        for p in res["answer_problems"]:
            out.append(f"- `{p['answer']}` vs `{p['reference']}`: expected {p['expected']} ({p['expected_rows']} rows), "
                       f"got {p['got']} ({p['got_rows']} rows)")
        out.append("")
    if "storage.png" in " ".join(chart_files):
        out += ["![storage](charts/storage.png)", ""]
    out += ["## What to do (derived from this run's ratios)", ""]
    out += [f"- {line}" for line in a.get("advice", [])] or ["- Nothing to compare at this scale."]
    out.append("")
    return "\n".join(out)


def store(out_dir: Path, res: dict) -> None:
    write_results(out_dir, res)
    write_report(out_dir, render(res, charts(res, out_dir)))
