"""`make bench-build`'s pure parts (benchmarks/build/run.py is the runner): rewriting a tweet's creation
date for the replay case, the report and its chart, and the speed layer's figure the report quotes."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from lake.bench.report import stacked_stages
from lake.settings import ROOT

CASES = ROOT / "benchmarks" / "build" / "cases.yaml"
MONTH_ANCHOR = datetime(2030, 2, 1, tzinfo=timezone.utc)


def on_one_date(payload: bytes, day: datetime) -> bytes:
    """The same tweet, created on `day` (12:00 UTC): v1.1 and twarc-flat tweets carry created_at at
    the top, v2 messages under data. Everything else is kept byte for byte in meaning."""
    obj = json.loads(payload)
    tweet = obj["data"] if isinstance(obj.get("data"), dict) else obj
    if "created_at" in tweet:
        v1 = "id_str" in tweet or "user" in tweet
        tweet["created_at"] = (day.strftime("%a %b %d 12:00:00 +0000 %Y") if v1
                               else day.strftime("%Y-%m-%dT12:00:00.000Z"))
    return json.dumps(obj, ensure_ascii=False).encode()


def chart(res: dict, out: Path) -> str | None:
    months = [c for c in res["builds"] if not c.get("error")]
    return stacked_stages([(f"{c['engine']}, {c['case']}", c["stages"]) for c in months],
                          f"make build by stage: a month of {res['scale']['tweets']:,} tweets, then one new hour",
                          out / "stages.png")


def report(res: dict) -> str:
    g = res["goals"]
    t = res["transforms"]
    lines = [f"# make bench-build {res['stamp']}", "",
             f"SCALE={res['scale_name']}: {res['scale']['tweets']:,} synthetic tweets over {res['scale']['days']} "
             f"created dates, one ingest date; then {res['hour_tweets']:,} tweets of one new hour on top. "
             "Host: 2 cores, the whole stack running (speed layer included).", "",
             "## Goals", "", "| measure | goal | measured | met |", "|---|---|---|---|"]
    for c in res["builds"]:
        if c.get("error"):
            lines.append(f"| make build ({c['case']}), {c['engine']} | - | **failed** after {c['seconds']:.0f} s: "
                         f"{c['error']} | no |")
            continue
        if c["case"] == "month":
            lines.append(f"| make build raw -> gold with gates, {c['engine']} | >= {g['tweets_per_second']:,} tweets/s "
                         f"(at medium) | {c['tweets_per_second']:,.0f} tweets/s ({c['seconds']:.0f} s) | "
                         f"{'yes' if c['tweets_per_second'] >= g['tweets_per_second'] else 'no'} |")
    if "columnar" in t.get("synthetic", {}):
        v = t["synthetic"]["columnar"]["total"]
        lines.append(f"| transform CPU a tweet, columnar (synthetic) | <= {g['transform_us_per_tweet']} µs | "
                     f"{v} µs | {'yes' if v <= g['transform_us_per_tweet'] else 'no'} |")
    for c in res["builds"]:
        if c["case"] == "hour" and not c.get("error"):
            lines.append(f"| one new hour on a built month, {c['engine']} | <= {g['hour_on_month_seconds']} s | "
                         f"{c['seconds']:.0f} s | {'yes' if c['seconds'] <= g['hour_on_month_seconds'] else 'no'} |")
    spread = next((c for c in res["builds"] if c["case"] == "replay_spread" and not c.get("error")), None)
    one = next((c for c in res["builds"] if c["case"] == "replay_one_date" and not c.get("error")), None)
    if spread and one:
        ratio = spread["seconds"] / one["seconds"]
        lines.append(f"| the shared files' {spread['tweets']:,} tweets spread over {spread['created_dates']} created dates "
                     f"vs the same on 1 date | <= {g['replay_spread_ratio']}x | {ratio:.2f}x ({spread['seconds']:.0f} s "
                     f"vs {one['seconds']:.0f} s) | {'yes' if ratio <= g['replay_spread_ratio'] else 'no'} |")
    speed = res.get("speed")
    if speed:
        lines.append(f"| speed layer, goal case (20 % of the producer's maximum): micro-batch p95 | <= 5 s | "
                     f"{speed['batch_p95_s']:.1f} s at {speed['rate_achieved']:,.0f} tweets/s "
                     f"(`make bench-speed` run {speed['run']}) | {'yes' if speed['batch_p95_s'] <= 5 else 'no'} |")
    lines += ["", "## Transforms alone (CPU µs a tweet, one core)", "",
              "`rows` is the one-record reference functions the columnar code is tested against "
              "(parse.to_bronze, silver.enrich), run here only, in the same process on the same payloads.", "",
              "| data | engine | parse + mask | enrich (geo, sentiment, hashtags, flags) | total |", "|---|---|---|---|---|"]
    for data, per in t.items():
        for engine, v in per.items():
            if isinstance(v, dict):
                lines.append(f"| {data} ({per['tweets']:,}) | {engine} | {v['parse_mask']} | {v['enrich']} | "
                             f"{v['total']} |")
    lines += ["", "## Builds (wall seconds)", ""]
    if res.get("chart"):
        lines += [f"![stages]({res['chart']})", ""]
    stage_names = sorted({k for c in res["builds"] for k in c["stages"]})
    lines += ["| case | engine | tweets | total | " + " | ".join(stage_names) + " |",
              "|---|---|---|---|" + "---|" * len(stage_names)]
    for c in res["builds"]:
        if c.get("error"):
            continue
        lines.append(f"| {c['case']} | {c['engine']} | {c['tweets']:,} | {c['seconds']:.1f} | "
                     + " | ".join(f"{c['stages'].get(n, 0):.1f}" for n in stage_names) + " |")
    lines += ["", "Slowest steps inside the Spark application (seconds):", ""]
    for c in res["builds"]:
        if not c.get("error"):
            top = sorted(c["steps"].items(), key=lambda kv: -kv[1])[:12]
            lines.append(f"- {c['case']}, {c['engine']}: " + ", ".join(f"{k} {v:.1f}" for k, v in top))
    lines += ["", f"Driver peak RSS (spark-submit's JVM and Python, largest child): "
                  f"{max([c['driver_peak_rss_mib'] for c in res['builds']] + [0])} MiB; executors run inside the "
                  "stack's YARN budget (one 1.5 GiB executor, unchanged)."]
    return "\n".join(lines) + "\n"


def latest_speed(results_root: Path) -> dict | None:
    """The goal case of the newest `make bench-speed` run (its own suite measures it; quoted here so
    this report states every goal of the build engine)."""
    # run folders only (speed-<stamp>), not the speed-latest link, which would sort after every stamp
    for run in sorted(results_root.glob("speed-[0-9]*/results.json"), reverse=True):
        cases = json.loads(run.read_text()).get("throughput", [])
        goal = next((c for c in cases if c.get("name") == "goal-20pct" and c.get("batch_p95_s") is not None), None)
        if goal:
            return {"run": run.parent.name, **goal}
    return None
