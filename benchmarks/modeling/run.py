"""What the model buys: the same business questions on raw JSON, on the gold star schema and on
the gold marts, through Trino, with bytes read and time from Trino's own statistics.

    python -m benchmarks.modeling.run [--runs 3] [--schema-prefix ""]    (make bench-model)

Questions live in questions/<question>.<raw|star|mart>.sql. Each is run once to warm up,
then --runs times; the median wall time, CPU time and physical input bytes are reported,
with the ratio of raw to each gold form. Results: benchmarks/results/modeling-<ts>/
(results.json, report.md). Run it after `make ingest` and `make build` on the same data.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from lake.bench import machine
from lake.bench.query.trino_run import Trino
from lake import settings
from lake.pipeline import build
from lake.runtime import config

HERE = Path(__file__).resolve().parent
FORMS = ("raw", "star", "mart")


def questions(folder: Path = HERE / "questions") -> dict[str, dict[str, Path]]:
    out: dict[str, dict[str, Path]] = {}
    for f in sorted(folder.glob("*.sql")):
        question, form = f.stem.rsplit(".", 1)
        if form not in FORMS:
            raise ValueError(f"{f.name}: the form must be one of {FORMS}")
        out.setdefault(question, {})[form] = f
    return out


def summary(samples: list[dict]) -> dict:
    return {k: statistics.median(s[k] for s in samples) for k in ("wall_ms", "cpu_ms", "input_bytes")} | \
        {"runs": len(samples), "wall_ms_min": min(s["wall_ms"] for s in samples),
         "wall_ms_max": max(s["wall_ms"] for s in samples)}


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 1) if b else None


def render_report(res: dict) -> str:
    lines = ["# Raw JSON vs the gold star schema vs the marts", "",
             f"Measured {res['started']} on {res['machine'].get('cpu_model') or 'this machine'}; "
             f"Trino, warm-up 1 + {res['runs']} runs, medians. Data: {res['rows']}.", "",
             "| question | form | wall ms | CPU ms | bytes read | rows out | raw/this time | raw/this CPU "
             "| raw/this bytes |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for q, forms in res["questions"].items():
        raw = forms.get("raw")
        for form in FORMS:
            m = forms.get(form)
            if not m:
                continue
            rt = ratio(raw["wall_ms"], m["wall_ms"]) if raw and form != "raw" else None
            rc = ratio(raw["cpu_ms"], m["cpu_ms"]) if raw and form != "raw" else None
            rb = ratio(raw["input_bytes"], m["input_bytes"]) if raw and form != "raw" else None
            cells = ["" if r is None else f"{r}x" for r in (rt, rc, rb)]
            lines.append(f"| {q} | {form} | {m['wall_ms']:.0f} | {m['cpu_ms']:.0f} | {m['input_bytes']:,} | "
                         f"{m['rows_out']} | " + " | ".join(cells) + " |")
    lines += ["", "Raw answers count every delivered copy (duplicates) and cannot give sentiment or a "
              "resolved country; the gold answers are deduplicated and enriched."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--schema-prefix", default="")
    args = ap.parse_args(argv)
    s = settings.get()
    params = build.Databases(args.schema_prefix).params()
    tr = Trino(s)
    res = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "runs": args.runs,
           "machine": machine.describe(None), "questions": {}}
    try:
        [(raw_rows,)] = tr.execute(f"SELECT count(*) FROM hive.{params['RAW_DB']}.tweets")[0]
        [(fact_rows,)] = tr.execute(f"SELECT count(*) FROM hive.{params['GOLD_DB']}.fact_tweets")[0]
        res["rows"] = f"{raw_rows:,} raw records, {fact_rows:,} tweets in gold.fact_tweets"
        for q, forms in questions().items():
            res["questions"][q] = {}
            for form, path in forms.items():
                sql = config.render_text(path.read_text(), params, origin=str(path))
                rows, _ = tr.measured(sql)  # warm-up: metastore, file listings and JIT, not timed
                samples = [tr.measured(sql)[1] for _ in range(args.runs)]
                res["questions"][q][form] = summary(samples) | {"rows_out": len(rows)}
                print(f"{q:24} {form:5} {res['questions'][q][form]['wall_ms']:8.0f} ms "
                      f"{res['questions'][q][form]['input_bytes']:>14,} bytes", flush=True)
    finally:
        tr.close()
    out = s.root / "benchmarks" / "results" / f"modeling-{res['started'].replace(':', '')}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(res, indent=2, sort_keys=True))
    (out / "report.md").write_text(render_report(res))
    print(f"report: {out / 'report.md'}")
    return res


if __name__ == "__main__":
    main()
