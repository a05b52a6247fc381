"""Turns the raw runs of a benchmark run into what the report shows: per-cell summaries, ratios
to each factor's baseline, peer ratios, goal verdicts and the "what to do" advice. Pure
functions of results.json's content (unit-tested in tests/unit/test_bench_query_report.py)."""
from __future__ import annotations

from lake.bench import stats

METRICS = ("wall_ms", "cpu_ms", "input_bytes", "input_rows", "splits")
# An effect counts when a layout changes a figure by at least this factor either way.
NOTABLE = 1.5


def summaries(runs: list[dict]) -> dict:
    """{engine: {layout: {query: {metric: {n, median, min, max}}}}} over the timed runs only."""
    cells: dict = {}
    for r in runs:
        if r["warmup"]:
            continue
        cell = cells.setdefault(r["engine"], {}).setdefault(r["layout"], {}).setdefault(r["query"], {})
        for m in METRICS:
            if r.get(m) is not None:
                cell.setdefault(m, []).append(r[m])
    return {e: {lay: {q: {m: stats.summarize(v) for m, v in ms.items()} for q, ms in qs.items()}
                for lay, qs in ls.items()} for e, ls in cells.items()}


def _median(summ: dict, engine: str, layout: str, query: str, metric: str) -> float | None:
    return summ.get(engine, {}).get(layout, {}).get(query, {}).get(metric, {}).get("median")


def factor_ratios(summ: dict, factors: dict, queries: list[str], layouts_info: dict) -> dict:
    """Per factor, per non-baseline layout: each query's figure / the baseline's (Trino), their
    geometric mean over queries, and bytes on disk / the baseline's."""
    out = {}
    for fname, f in factors.items():
        base = f["baseline"]
        rows = {}
        for lay in f["layouts"]:
            if lay == base or lay not in summ.get("trino", {}):
                continue
            per_query = {}
            for q in queries:
                per_query[q] = {m: stats.ratio(_median(summ, "trino", lay, q, m), _median(summ, "trino", base, q, m))
                                for m in ("wall_ms", "cpu_ms", "input_bytes")}
            walls = [v["wall_ms"] for v in per_query.values() if v["wall_ms"]]
            storage = stats.ratio(layouts_info.get(lay, {}).get("bytes"), layouts_info.get(base, {}).get("bytes"))
            rows[lay] = {"queries": per_query, "wall_geomean": stats.geomean(walls) if walls else None,
                         "storage": storage}
        out[fname] = {"baseline": base, "layouts": rows}
    return out


def peer_ratios(summ: dict, layout: str, queries: list[str]) -> dict:
    """Each peer's median time / Trino's on the peers' layout, per query and as a geometric mean."""
    out = {}
    for engine in summ:
        if engine == "trino" or layout not in summ[engine]:
            continue
        per_q = {q: stats.ratio(_median(summ, engine, layout, q, "wall_ms"), _median(summ, "trino", layout, q, "wall_ms"))
                 for q in queries}
        ok = [v for v in per_q.values() if v]
        t_geo = _geo([_median(summ, "trino", layout, q, "wall_ms") for q in queries])
        e_geo = _geo([_median(summ, engine, layout, q, "wall_ms") for q in queries])
        out[engine] = {"queries": per_q, "ratio_geomean": stats.geomean(ok) if ok else None,
                       "engine_geomean_ms": e_geo, "trino_geomean_ms": t_geo,
                       "trino_over_engine": stats.ratio(t_geo, e_geo)}
    return out


def _geo(values) -> float | None:
    xs = [v for v in values if v]
    return stats.geomean(xs) if xs and len(xs) == len(list(values)) else None


def goals(goal_specs: list[dict], summ: dict, layouts_info: dict, peers: dict) -> list[dict]:
    """A verdict per goal; a goal whose layouts this scale does not build is 'not run'."""
    out = []
    for g in goal_specs:
        higher = g["better"] == "higher"
        measured, context = None, {}
        if g["kind"] == "storage":
            a, b = layouts_info.get(g["layout"], {}).get("bytes"), layouts_info.get(g["baseline"], {}).get("bytes")
            measured, context = stats.ratio(a, b), {"layout_bytes": a, "baseline_bytes": b}
        elif g["kind"] in ("speedup", "ratio"):
            a = _median(summ, "trino", g["layout"], g["query"], g["metric"])
            b = _median(summ, "trino", g["baseline"], g["query"], g["metric"])
            measured = stats.speedup(b, a) if g["kind"] == "speedup" else stats.ratio(a, b)
            context = {"layout": a, "baseline": b, "metric": g["metric"],
                       "layout_splits": _median(summ, "trino", g["layout"], g["query"], "splits"),
                       "baseline_splits": _median(summ, "trino", g["baseline"], g["query"], "splits")}
        elif g["kind"] == "peer":
            p = peers.get(g["engine"], {})
            measured = p.get("trino_over_engine")
            context = {"trino_geomean_ms": p.get("trino_geomean_ms"), "engine_geomean_ms": p.get("engine_geomean_ms")}
        verdict = stats.goal(g["name"], measured, g["target"], higher_is_better=higher,
                             unit="x" if g["kind"] in ("speedup", "peer") else "ratio")
        verdict.update(kind=g["kind"], context=context, run=measured is not None)
        out.append(verdict)
    return out


def _times(r: float) -> str:
    """A ratio (new / baseline) in words: '4.2x faster', '1.8x slower', 'about the same'."""
    if r is None:
        return "not measured"
    if r <= 1 / NOTABLE:
        return f"{1 / r:.1f}x less"
    if r >= NOTABLE:
        return f"{r:.1f}x more"
    return "about the same"


def advice(factors: dict, queries: list[str]) -> list[str]:
    """'What to do', one line per factor, chosen from the measured ratios (never pre-written):
    the layout with the lowest geometric-mean time against the baseline, where it pays off and
    what it costs (queries it slows, storage)."""
    lines = []
    for fname, f in factors.items():
        cands = {lay: v for lay, v in f["layouts"].items() if v["wall_geomean"]}
        if not cands:
            continue
        best, v = min(cands.items(), key=lambda kv: kv[1]["wall_geomean"])
        g = v["wall_geomean"]
        if g > 1 / NOTABLE ** 0.5 and g < NOTABLE ** 0.5:
            verdict = (f"**{fname}**: no layout changed the geometric-mean time much (best {best}: "
                       f"{g:.2f}x the time of {f['baseline']}); keep {f['baseline']} unless a query below says otherwise")
        elif g >= NOTABLE ** 0.5:
            verdict = f"**{fname}**: keep {f['baseline']}; every alternative was slower overall (best {best}: {g:.2f}x its time)"
        else:
            verdict = f"**{fname}**: use {best}: {1 / g:.1f}x faster than {f['baseline']} (geometric mean over the queries)"
        details = []
        for q, r in v["queries"].items():
            w, b = r.get("wall_ms"), r.get("input_bytes")
            if w and (w <= 1 / NOTABLE or w >= NOTABLE) or b and (b <= 1 / NOTABLE or b >= NOTABLE):
                details.append(f"{q}: time {_times(w)}, bytes read {_times(b)}")
        if v["storage"]:
            details.append(f"storage {v['storage'] * 100:.0f}% of {f['baseline']}")
        slowed = [lay for lay, x in cands.items() if x["wall_geomean"] >= NOTABLE]
        if slowed:
            details.append("avoid " + ", ".join(f"{lay} ({cands[lay]['wall_geomean']:.1f}x the time)" for lay in slowed))
        lines.append(verdict + (" — " + "; ".join(details) if details else "") + ".")
    return lines


def analyse(res: dict, case) -> dict:
    summ = summaries(res.get("runs", []))
    queries = list(case.queries)
    factors = factor_ratios(summ, case.factors, queries, res.get("layouts", {}))
    peers = peer_ratios(summ, case.peers.get("layout"), queries) if case.peers else {}
    return {"summaries": summ, "factors": factors, "peers": peers,
            "goals": goals(case.goals, summ, res.get("layouts", {}), peers), "advice": advice(factors, queries)}
