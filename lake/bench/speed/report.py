"""make bench-speed's report (report.md) and its verdicts: freshness and micro-batch goals against
the trigger, what the goal asks of the transforms (capacity), what the floor run says."""
from __future__ import annotations


def capacity(rate: float, goal_ratio: float, alone: dict, cores: int) -> dict:
    """What the throughput goal asks of the transforms: a batch of T seconds of input at `rate` must
    finish in goal_ratio x T, so rows/s >= rate / goal_ratio, against `cores` x the one-core rate."""
    needed = rate / goal_ratio
    ceiling = cores * alone["rows_per_cpu_second"]
    return {"needed_rows_per_s": round(needed, 1), "cores": cores, "ceiling_rows_per_s": round(ceiling, 1),
            "reachable": needed <= ceiling}


def render(res: dict) -> str:
    T = res["trigger_seconds"]
    lines = [f"# bench-speed {res['stamp']}", "", f"Command: `{res['command']}`", "",
             f"Trigger interval T = {T} s; master {res['master']}; machine: {res['machine']}", ""]
    if "freshness" in res:
        f = res["freshness"]
        lines += ["## Freshness: produce -> visible in hive.serving.tweets through Trino", "",
                  "| probes | seen | p50 | p95 | max | goal p95 <= 2T | met |", "|---:|---:|---:|---:|---:|---:|---|",
                  f"| {f['probes']} | {f['seen']} | {f['p50_s']:.1f} s | {f['p95_s']:.1f} s | {f['max_s']:.1f} s | "
                  f"{2 * T:.0f} s | {'yes' if f['p95_s'] is not None and f['p95_s'] <= 2 * T else '**missed**'} |"
                  if f["seen"] else "| no probe was seen | | | | | | **missed** |", ""]
    lines += compliance_lines(res)
    if "producer_max_rps" not in res:
        return "\n".join(lines) + "\n"
    lines += ["## Throughput: micro-batch duration (Spark triggerExecution) under sustained input", "",
              f"Producer maximum: {res['producer_max_rps']:,.0f} records/s ({res['producer_max_source']}).", "",
              *warmup_line(res["throughput"]),
              f"| case | target rate | achieved | batches | p50 | p95 | max | rows/s while processing | drained | "
              f"goal p95 <= {res.get('goal_ratio', 0.5):g}T | met |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|"]
    limit = res.get("goal_ratio", 0.5) * T
    for c in res["throughput"]:
        met = batch_goal_met(c, limit)
        fmt = (lambda v: f"{v:.1f} s" if v is not None else "-")
        verdict = ("n/a: floor, no transforms" if c.get("floor") else "yes" if met else "**missed**")
        lines.append(f"| {c['name']} | {c['rate_target']:,.0f}/s | {c['rate_achieved']:,.0f}/s | {c['batches']} | "
                     f"{fmt(c['batch_p50_s'])} | {fmt(c['batch_p95_s'])} | {fmt(c['batch_max_s'])} | "
                     f"{fmt_rate(c['rows_per_s_processing'])} | {c['drained']} | {limit:g} s | {verdict} |")
    return "\n".join(lines + capacity_lines(res) + floor_lines(res)) + "\n"


def compliance_lines(res: dict) -> list[str]:
    """Issue #22's goal: a compliance event reaches serving.tweets in <= 2x the trigger."""
    c = res.get("compliance")
    if not c:
        return []
    T = res["trigger_seconds"]
    limit = c.get("goal_ratio", 2.0) * T
    met = c["gone"] == c["events"] and c["p95_s"] is not None and c["p95_s"] <= limit
    row = (f"| {c['events']} | {c['gone']} | {c['p50_s']:.1f} s | {c['p95_s']:.1f} s | {c['max_s']:.1f} s | "
           f"{limit:g} s | {'yes' if met else '**missed**'} |" if c["gone"] else
           f"| {c['events']} | 0 | - | - | - | {limit:g} s | **missed** |")
    return ["## Compliance: delete event produced -> tweet gone from hive.serving.tweets (no make comply)", "",
            f"Each event deletes one tweet the stream already serves, under {c['background_rate']} tweets/s of "
            f"background load; the stream's compliance query writes it to speed.compliance_pending, which the "
            f"view excludes; serving.tweets asked every {c['poll_seconds']} s.", "",
            f"| events | gone | p50 | p95 | max | goal p95 <= {c.get('goal_ratio', 2.0):g}T | met |",
            "|---:|---:|---:|---:|---:|---:|---|", row, ""]


def warmup_line(cases: list[dict]) -> list[str]:
    warmed = [f"{c['name']} {c['warmup_seconds']:g} s" for c in cases if c.get("warmup_seconds")]
    if not warmed:
        return []
    return [f"Before its timed window each of these cases produced at its own rate, untimed, until the stream "
            f"had caught up ({', '.join(warmed)}): the first batches at volume after a start pay the JVM's JIT "
            f"compilation.", ""]


def batch_goal_met(c: dict, limit: float) -> bool:
    return c["batch_p95_s"] is not None and c["batch_p95_s"] <= limit and c["drained"]


def floor_lines(res: dict) -> list[str]:
    """What the floor cases (the stream with its transforms taken out) say about the goal."""
    floors = [c for c in res["throughput"] if c.get("floor")]
    if not floors:
        return []
    T, cores, alone = res["trigger_seconds"], res.get("cores", 2), res.get("transforms_alone")
    limit = res.get("goal_ratio", 0.5) * T
    out = ["", "## Floor: the same stream with its transforms taken out", "",
           "The speed layer's own job, restarted on the same checkpoint with one change "
           "(lake/bench/speed/floor_stream.py): each Python task converts its first record for real and copies "
           "that row for the rest. Kafka, the Arrow hand-off, Parquet, the publish step and the producer still "
           "cost what they cost.", ""]
    for c in floors:
        if c["batch_p95_s"] is None:
            out.append(f"- {c['name']}: no micro-batch was recorded.")
            continue
        text = (f"- {c['name']}: at {c['rate_target']:,.0f}/s, micro-batch p50 {c['batch_p50_s']:.1f} s, "
                f"p95 {c['batch_p95_s']:.1f} s ({c['batches']} batches), "
                f"{fmt_rate(c['rows_per_s_processing'])} rows/s while processing. ")
        if batch_goal_met(c, limit):
            spare = limit - c["batch_p95_s"]
            budget_us = spare * cores / (c["rate_target"] * T) * 1e6
            text += (f"Without the transforms the goal ({limit:g} s) is met, so faster transforms could meet it: "
                     f"they may take {spare:.1f} s of a p95 batch, {T:g} s of input, which is at most "
                     f"{budget_us:.0f} µs of CPU a record even if {cores} cores did nothing else.")
            if alone:
                text += (f" They take {alone['us_per_record']:.0f} µs alone in this run, "
                         f"{alone['us_per_record'] / budget_us:.1f}x that.")
        else:
            text += (f"Even without the transforms the p95 is above the goal's {limit:g} s: no speed-up of the "
                     f"transforms can meet the goal on this host.")
        out.append(text)
    return out


def fmt_rate(v: float | None) -> str:
    return f"{v:,.0f}" if v else "-"


def capacity_lines(res: dict) -> list[str]:
    alone = res.get("transforms_alone")
    if not alone:
        return []
    T, ratio, cores = res["trigger_seconds"], res.get("goal_ratio", 0.5), res.get("cores", 2)
    out = ["", "## Capacity: what the throughput goal asks of the shared transforms", "",
           f"The stream's per-record code alone (parse.to_bronze, then silver.enrich: the batch layer's functions; "
           f"no Spark, no Kafka) ran at {alone['rows_per_cpu_second']:,.0f} records per CPU-second in this run "
           f"({alone['us_per_record']:.0f} µs each, {alone['records']:,} of the load's payloads).", ""]
    # Only the cases the goal is about (a fraction of the producer's maximum): at a fixed low rate the
    # batches are small and their fixed costs, not the transforms, set the rows/s.
    for c in (c for c in res["throughput"] if c.get("fraction") and not c.get("floor")):
        cap = capacity(c["rate_target"], ratio, alone, cores)
        text = (f"- {c['name']}: {T:g} s of input at {c['rate_target']:,.0f}/s must be processed within "
                f"{ratio * T:g} s, so at {cap['needed_rows_per_s']:,.0f} rows/s. {cores} cores running nothing but "
                f"this code would do {cap['ceiling_rows_per_s']:,.0f}/s")
        if c.get("rows_per_s_processing"):
            text += (f"; the stream processed {c['rows_per_s_processing']:,.0f}/s "
                     f"({c['rows_per_s_processing'] / cap['ceiling_rows_per_s']:.0%} of that, sharing the cores "
                     f"with Spark, Kafka, HDFS and the producer)")
        text += ("." if cap["reachable"] else
                 ". The goal is out of reach on this host with these transforms, whatever Spark does.")
        out.append(text)
    return out
