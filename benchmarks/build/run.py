"""`make bench-build`: how fast `make build` turns landed tweets into tables, per stage.

    python -m benchmarks.build.run [--scale tiny|small|medium] [--no-month]

One run, side by side (cases in benchmarks/build/cases.yaml):
1. transforms alone: CPU µs a tweet of the columnar transforms (columnar.bronze_batch,
   columnar.silver_batch) and of the one-record reference functions they are tested against
   (parse.to_bronze, silver.enrich; "rows" below) on the same synthetic payloads and on the shared
   v1.1/v2 files, in this process (setup untimed);
2. a month: SCALE tweets over 30 created dates landed as raw-sink files on one ingest date in a
   private raw root, built raw -> gold with gates by lake.build.run (the code behind `make build`)
   into its own schemas: wall time, tweets/s, each stage's and step's seconds;
3. one new hour on top of the built month: its own ingest date, built alone: the fixed cost;
4. the shared files spread over ~500 created dates, and the same on one date.
Results: benchmarks/results/build-<stamp>/{results.json,report.md,stages.png} (and build-latest).
"""
from __future__ import annotations


import resource
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

from lake.bench.build import CASES, MONTH_ANCHOR, chart, latest_speed, on_one_date, report
from lake.bench.report import publish
from lake.bench.sandbox import Sandbox
from lake.settings import ROOT

RESULTS_ROOT = ROOT / "benchmarks" / "results"
MONTH_INGEST, HOUR_INGEST, REPLAY_INGEST = "2030-02-01", "2030-02-02", "2030-02-03"
ENGINE = "columnar"  # the only one since the per-row path's deletion; kept in results for older runs' sake


def payloads(count: int, seed: int, days: int, anchor: datetime) -> list[bytes]:
    from ingestion.sources import synthetic

    return [r.payload for r in synthetic.generate(count, seed=seed, days=days, anchor=anchor)]


def shared_payloads() -> list[bytes]:
    import os

    from ingestion.records import Record
    from ingestion.sources.replay import replay

    shared = Path(os.environ.get("LAKE_SHARED_DATA", ROOT.parent / "shared" / "data")) / "tweets"
    return [r.payload for r in replay([shared]) if isinstance(r, Record)] if shared.is_dir() else []


def transforms_alone(lines: list[bytes], key: str) -> dict:
    """CPU µs a tweet per stage and engine (caches cleared before each engine)."""
    from spark.enrich import sentiment
    from spark.transforms import columnar, parse, silver
    from spark.transforms import pii as pii_mod

    pii = pii_mod.Pii(key)
    metas = [{"ingest_date": MONTH_INGEST, "ingest_hour": "00", "source_file": "f", "kafka_partition": 0,
              "kafka_offset": i} for i in range(len(lines))]
    columnar.silver_batch(columnar.bronze_batch(lines[:50], metas[:50], pii)[0])  # loads lexicons, gazetteer

    import gc

    # the runner holds every generated payload (a million at medium): without a freeze, the garbage
    # collector walks them all again and again while these loops allocate, which Spark's workers never do
    gc.collect()
    gc.freeze()

    def cpu(fn):
        sentiment._compound.cache_clear()
        t = time.process_time()
        out = fn()
        return out, (time.process_time() - t) * 1e6 / max(1, len(lines))

    rows, row_parse = cpu(lambda: [r for r in (parse.to_bronze(x, m, pii)[0] for x, m in zip(lines, metas)) if r])
    _, row_enrich = cpu(lambda: [silver.enrich(r) for r in rows])
    (bronze, _), col_parse = cpu(lambda: columnar.bronze_batch(lines, metas, pii))
    _, col_enrich = cpu(lambda: [columnar.silver_batch(bronze.slice(i, 10_000))
                                 for i in range(0, bronze.num_rows, 10_000)])
    return {"tweets": len(lines),
            "rows": {"parse_mask": round(row_parse, 1), "enrich": round(row_enrich, 1),
                     "total": round(row_parse + row_enrich, 1)},
            "columnar": {"parse_mask": round(col_parse, 1), "enrich": round(col_enrich, 1),
                         "total": round(col_parse + col_enrich, 1)}}


def build_case(box: Sandbox, name: str, day: str, tweets: int) -> dict:
    """One `make build` of an ingest date into the sandbox's `name` schemas; a build that fails is a
    result too (its error's first line and stderr's tail)."""
    from lake.pipeline import build
    from lake.errors import LakeError

    engine = ENGINE
    t = time.monotonic()
    try:
        rep = build.run(box.s, dates=[day], dbs=box.dbs(name))
    except LakeError as e:
        print(f"bench-build: {name} build of {day} failed: {e}\n{e.details}", flush=True)
        return {"engine": engine, "ingest_date": day, "tweets": tweets, "seconds": round(time.monotonic() - t, 1),
                "error": str(e).splitlines()[0], "stages": {}, "steps": {}, "driver_peak_rss_mib": 0}
    wall = time.monotonic() - t
    return {"engine": engine, "ingest_date": day, "tweets": tweets, "seconds": round(wall, 1),
            "tweets_per_second": round(tweets / wall, 1), "created_dates": len(rep.created_dates),
            "gates_passed": sum(g.passed for g in rep.gates), "gates": len(rep.gates),
            "stages": rep.stages, "steps": rep.timings,
            "driver_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}


def main(argv: list[str] | None = None) -> int:
    from lake import settings

    from lake.arguments import Parser

    ap = Parser(prog="make bench-build", description=__doc__.split("\n\n")[0], variables={"--scale": "SCALE"})
    ap.add_argument("--scale", default="small")
    ap.add_argument("--no-month", action="store_true", help="only the transforms and the replay cases")
    ap.add_argument("--results-root", type=Path, default=RESULTS_ROOT)
    args = ap.parse_args(argv)
    cfg = yaml.safe_load(CASES.read_text())
    if args.scale not in cfg["scales"]:
        ap.error(f"SCALE={args.scale} is not one of {', '.join(cfg['scales'])}")
    scale = cfg["scales"][args.scale]
    engines = [] if args.no_month else [ENGINE]
    s = settings.get()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = args.results_root / f"build-{stamp}"
    out_dir.mkdir(parents=True, exist_ok=True)
    key = "bench-build-pii-key-" + uuid.uuid4().hex  # the sandbox's own key: its tokens never meet the lake's

    print(f"bench-build: generating {scale['tweets']:,} tweets over {scale['days']} days", flush=True)
    month = payloads(scale["tweets"], cfg["seed"], scale["days"], MONTH_ANCHOR)
    # the generator's smallest span is a day: the new hour's tweets fall on one new created date
    hour = payloads(cfg["hour_tweets"], cfg["seed"] + 1, 1, MONTH_ANCHOR + timedelta(days=1))
    sample = month[:cfg["transforms"]["records"]]
    res = {"stamp": stamp, "scale_name": args.scale, "scale": scale, "hour_tweets": cfg["hour_tweets"],
           "goals": cfg["goals"], "engines": engines, "builds": []}
    print("bench-build: transforms alone", flush=True)
    res["transforms"] = {"synthetic": transforms_alone(sample, key)}
    shared = shared_payloads()
    if shared:
        res["transforms"]["shared"] = transforms_alone(shared, key)

    import os

    os.environ["LAKE_PII_KEY"] = key
    box = Sandbox(s, "build", stamp.lower())
    try:
        for engine in engines:
            print(f"bench-build: month, {engine}", flush=True)
            box.land(engine, MONTH_INGEST, month, cfg["file_lines"])
            res["builds"].append({"case": "month", **build_case(box, engine, MONTH_INGEST, len(month))})
            if "error" in res["builds"][-1]:
                continue
            print(f"bench-build: one new hour on top, {engine}", flush=True)
            box.land(engine, HOUR_INGEST, hour, cfg["file_lines"])
            res["builds"].append({"case": "hour", **build_case(box, engine, HOUR_INGEST, len(hour))})
        replay = cfg.get("replay")
        if replay and shared:
            # the shared files' tweets spread over `spread_days` creation dates (they hold only ~46 of
            # their own), then the same tweets all created on one date: what partitions cost a build
            days = replay["spread_days"]
            spread = [on_one_date(x, MONTH_ANCHOR - timedelta(days=i % days)) for i, x in enumerate(shared)]
            for name, lines in (("replay_spread", spread),
                                ("replay_one_date", [on_one_date(x, MONTH_ANCHOR) for x in shared])):
                print(f"bench-build: {name} ({len(lines):,} tweets)", flush=True)
                box.land(name, REPLAY_INGEST, lines, cfg["file_lines"])
                res["builds"].append({"case": name, **build_case(box, name, REPLAY_INGEST, len(lines))})
    finally:
        box.cleanup([*engines, "replay_spread", "replay_one_date"])
    res["speed"] = latest_speed(args.results_root)
    res["chart"] = chart(res, out_dir)
    publish(out_dir, res, report(res), "build-latest")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
