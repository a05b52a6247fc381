"""Bronze's parse per payload shape, CPU µs a tweet on one core: the probe behind docs/build-engine.md's
parse figures (not part of a suite; `make bench-build`'s "transforms alone" is the suite's figure).

    .venv/bin/python -m benchmarks.build.parse_probe [--tweets 20000] [--repeat 5] [--json out.json]

Shapes: synthetic v2 (twarc flat, the firehose's default), synthetic v1.1, and the shared files'
tweets as ingestion lands them (v1.1 statuses, v2 messages `{data, includes}`, v2 flat), each set
apart and all together. Stages, each the minimum of --repeat runs (a small set is run again until a
run holds at least --tweets tweets, so every figure averages about as many):
* parse: the per-record loop of columnar.bronze_batch alone (typed paths, else parse.extract);
* bronze: columnar.bronze_batch (parse, classification, Arrow columns), a new Pii each run (its
  pseudonym cache is the key's, per process: warm after the first run, as on a reused Spark worker);
* silver: columnar.silver_batch over that bronze table.
The collector is frozen over the inputs first and paused in the timed calls as the batch code pauses it.
It imports only what every version of the batch code has, so the same file measures a checkout
before and after a change (run it with that checkout as the working directory).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import time
from pathlib import Path


def shapes(tweets: int) -> dict[str, list[bytes]]:
    import msgspec

    from ingestion.records import Record
    from ingestion.sources import synthetic
    from ingestion.sources.replay import replay

    shared_dir = Path(os.environ.get("LAKE_SHARED_DATA", "/work/shared/data")) / "tweets"
    shared = [r.payload for r in replay([shared_dir]) if isinstance(r, Record)]
    out: dict[str, list[bytes]] = {
        "synthetic v2": [r.payload for r in synthetic.generate(tweets, seed=7, days=30)],
        "synthetic v1.1": [r.payload for r in synthetic.generate(tweets, seed=7, days=30, fmt="v1")],
        "shared v1.1": [], "shared v2 message": [], "shared v2 flat": [], "shared all": shared}
    for p in shared:
        obj = msgspec.json.decode(p)
        if "data" in obj:
            out["shared v2 message"].append(p)
        elif "id_str" in obj or "user" in obj:
            out["shared v1.1"].append(p)
        else:
            out["shared v2 flat"].append(p)
    return out


def _parse_loop():
    """The batch code's per-record parse, as this checkout runs it."""
    from spark.transforms import columnar, parse

    if hasattr(columnar, "parsed_rows"):
        return lambda lines, metas: columnar.parsed_rows(lines, metas)
    from spark.transforms import v2_flat

    def loop(lines, metas):
        out = []
        for line in lines:
            try:
                r = v2_flat.row(line)
                out.append(r if r is not None else parse.extract(line))
            except parse.Bad:
                pass
        return out
    return loop


def measure(lines: list[bytes], target: int, repeat: int) -> dict[str, float]:
    from spark.transforms import columnar
    from spark.transforms import pii as pii_mod

    passes = max(1, -(-target // len(lines)))
    metas = [{"ingest_date": "2030-02-01", "ingest_hour": "00", "source_file": "f", "kafka_partition": 0,
              "kafka_offset": i} for i in range(len(lines))]
    parse_loop = _parse_loop()
    bronze = columnar.bronze_batch(lines, metas, pii_mod.Pii(b"k" * 32))[0]
    columnar.silver_batch(bronze.slice(0, 50))  # loads lexicons and the gazetteer, untimed

    def cpu(fn, fresh=lambda: None) -> float:
        best = float("inf")
        for _ in range(repeat):
            args = [fresh() for _ in range(passes)]
            was = gc.isenabled()
            gc.disable()
            t = time.process_time()
            for a in args:
                fn(a)
            best = min(best, time.process_time() - t)
            if was:
                gc.enable()
        return round(best * 1e6 / (passes * len(lines)), 1)

    return {"tweets": len(lines), "passes": passes,
            "parse": cpu(lambda _: parse_loop(lines, metas)),
            "bronze": cpu(lambda pii: columnar.bronze_batch(lines, metas, pii), lambda: pii_mod.Pii(b"k" * 32)),
            "silver": cpu(lambda _: [columnar.silver_batch(bronze.slice(i, 10_000))
                                     for i in range(0, bronze.num_rows, 10_000)])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tweets", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", help="one shape's name")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    sets = shapes(args.tweets)
    gc.collect()
    gc.freeze()  # the inputs stay alive throughout: no collection walks them again
    res = {}
    print(f"CPU µs a tweet, one core, min of {args.repeat} ({os.getcwd()}):")
    print(f"  {'shape':<20}{'tweets':>8}{'parse':>8}{'bronze':>8}{'silver':>8}{'total':>8}")
    for name, lines in sets.items():
        if args.only and name != args.only:
            continue
        m = res[name] = measure(lines, args.tweets, args.repeat)
        print(f"  {name:<20}{m['tweets']:>8}{m['parse']:>8}{m['bronze']:>8}{m['silver']:>8}"
              f"{m['bronze'] + m['silver']:>8.1f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
