"""`make bench-comply`: what applying X compliance events costs a built lake, per stage and in bytes.

    python -m benchmarks.comply.run [--scale tiny|small|medium]

One run (cases in benchmarks/comply/cases.yaml):
1. a lake: SCALE synthetic tweets over 30 created days, each day's tweets landed as raw-sink files on that
   ingest date in a private raw root, built raw -> gold with gates by the code behind `make build` into
   its own schemas (its time is the reference: a comply that rebuilt everything would cost at least that);
   the newest day's silver rows copied into the lake's speed table, served with silver by serving.tweets;
2. events: `deletes` tweet deletes drawn at random over every day, and `users` user deletes, as X's v2
   compliance lines, produced into the lake's own tweets.compliance;
3. `make comply`'s code (lake.pipeline.comply.run) applies them: wall time per stage, rows removed, and
   the bytes it wrote (every file it created or replaced, from HDFS listings before and after) against
   the bytes of the partitions that held a removed row before.
Results: benchmarks/results/comply-<stamp>/{results.json,report.md,stages.png} (and comply-latest).
"""
from __future__ import annotations

import os
import posixpath
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import yaml

from lake.bench.comply import CASES, author_of, chart, partition_bytes, pick_events, ratio, report, written_since
from lake.bench.report import publish
from lake.bench.sandbox import Sandbox
from lake.settings import ROOT, TOPIC_COMPLIANCE, TOPIC_DLQ

RESULTS_ROOT = ROOT / "benchmarks" / "results"
ANCHOR = datetime(2030, 3, 1, tzinfo=timezone.utc)
NAME = "lake"
# table -> how its affected partitions are found: by the removed rows' ids ("rows"), the created dates
# they were in ("dates"), or the whole table (dimensions, rewritten whole by every gold build)
TABLES = {
    "bronze.tweets": "rows", "bronze.tweets_rejected": "rows", "bronze.tweets_loaded_files": "files",
    "silver.tweets": "rows", "silver.tweets_stage": "rows", "silver.tweet_hashtags": "rows",
    "gold.fact_tweets": "rows", "gold.bridge_tweet_hashtags": "rows", "gold.mart_hashtag_daily": "dates",
    "gold.mart_sentiment_daily_country": "dates", "gold.mart_top_words": "dates", "gold.mart_engagement_by_tier": "dates",
    "gold.dim_authors": "whole", "gold.dim_places": "whole", "gold.dim_hashtags": "whole", "gold.dim_dates": "whole",
    "speed.tweets": "rows",
}


def created_day(tweet_id: str) -> str:
    from ingestion.sources.snowflake import timestamp_ms

    return datetime.fromtimestamp(timestamp_ms(int(tweet_id)) / 1000, timezone.utc).date().isoformat()


def listing(s, root: str) -> dict[str, tuple[int, int]]:
    """path -> (bytes, modification time) of every file under root (none when it does not exist)."""
    from lake.runtime import hdfs_client

    c = hdfs_client.client(s)
    if c.status(root, strict=False) is None:
        return {}
    out = {}
    for (folder, _), _, files in c.walk(root, status=True):
        for name, st in files:
            out[posixpath.join(folder, name)] = (st["length"], st["modificationTime"])
    return out


def table_dir(dbs, table: str) -> str:
    layer, name = table.split(".")
    return f"/lake/warehouse/{dbs.prefix}{layer}.db/{name}"


def affected_dirs(s, dbs, table: str, how: str, ids: set[str], keys: set[str], dates: set[str]) -> set[str]:
    """The folders of `table` that held a removed row before comply (see TABLES)."""
    from lake.runtime import clients

    layer, name = table.split(".")
    full = f"hive.{dbs.prefix}{layer}.{name}"
    if how == "whole":
        return {table_dir(dbs, table)}
    if how == "dates":
        return {f"{table_dir(dbs, table)}/created_date={d}" for d in dates}
    id_list = ", ".join(sorted(ids)) or "NULL"
    if how == "files":  # the bookkeeping of the ingest dates whose raw files held a removed record
        cond = f"ingest_date IN ({', '.join(repr(d) for d in sorted(dates)) or 'NULL'})"
    elif name == "tweets_rejected":
        cond = f"try_cast(tweet_id AS bigint) IN ({id_list})"
    else:
        cols = {r[0] for r in clients.trino(s, f"SHOW COLUMNS FROM {full}")}
        cond = f"tweet_id IN ({id_list})"
        if "author_key" in cols and keys:
            cond += " OR author_key IN (" + ", ".join(f"'{k}'" for k in sorted(keys)) + ")"
    from urllib.parse import urlsplit

    return {posixpath.dirname(urlsplit(p).path) for (p,) in
            clients.trino(s, f'SELECT DISTINCT "$path" FROM {full} WHERE {cond}')}


def main(argv: list[str] | None = None) -> int:
    from ingestion import producer, topics
    from ingestion.sources import compliance, synthetic
    from lake import settings
    from lake.arguments import Parser
    from lake.pipeline import build, comply, ddl
    from lake.runtime import clients
    from spark.transforms import pii

    ap = Parser(prog="make bench-comply", description=__doc__.split("\n\n")[0], variables={"--scale": "SCALE"})
    ap.add_argument("--scale", default="small")
    ap.add_argument("--results-root", type=Path, default=RESULTS_ROOT)
    args = ap.parse_args(argv)
    cfg = yaml.safe_load(CASES.read_text())
    if args.scale not in cfg["scales"]:
        ap.error(f"SCALE={args.scale} is not one of {', '.join(cfg['scales'])}")
    scale = cfg["scales"][args.scale]
    s = settings.get()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = args.results_root / f"comply-{stamp}"
    key = "bench-comply-pii-key-" + uuid.uuid4().hex  # the sandbox's own key: its tokens never meet the lake's
    os.environ[pii.KEY_ENV] = key
    box = Sandbox(s, "comply", stamp.lower())
    dbs = box.dbs(NAME)
    prefix = f"bench.comply.{stamp.lower()}."
    group = f"bench-comply-{stamp.lower()}"
    res: dict = {"stamp": stamp, "scale_name": args.scale, "scale": scale, "goals": cfg["goals"]}
    try:
        print(f"bench-comply: generating {scale['tweets']:,} tweets over {scale['days']} days", flush=True)
        records = [(r.key, r.payload) for r in synthetic.generate(scale["tweets"], seed=cfg["seed"], days=scale["days"],
                                                                 anchor=ANCHOR)]
        by_day: dict[str, list[bytes]] = {}
        for tid, payload in records:
            by_day.setdefault(created_day(tid), []).append(payload)
        raw_bytes, n_files = sum(len(p) + 1 for _, p in records), 0
        for i, day in enumerate(sorted(by_day)):
            n_files += len(box.land(NAME, day, by_day[day], cfg["file_lines"], first_partition=100 * i))
        res["lake"] = {"tweets": len(records), "days": len(by_day), "raw_files": n_files, "raw_mib": raw_bytes / 2**20}
        lines, gone_ids, gone_users = pick_events(records, scale["deletes"], scale["users"], cfg["seed"])
        user_tweets = sum(1 for _, p in records if author_of(p) in gone_users)
        res["events"] = {"deletes": len(gone_ids), "users": len(gone_users), "user_tweets": user_tweets}
        del records, by_day

        days = res_days(box, s)
        print(f"bench-comply: building the lake ({len(days)} ingest dates)", flush=True)
        t = time.monotonic()
        rep = build.run(s, dates=days, dbs=dbs)
        res["build"] = {"seconds": round(time.monotonic() - t, 1), "stages": rep.stages, "steps": rep.timings}
        speed_db, serving_db = f"{dbs.prefix}speed", f"{dbs.prefix}serving"
        ddl.apply_layer(s, "speed", SPEED_DB=speed_db)
        ddl.apply_layer(s, "serving", SERVING_DB=serving_db, SILVER_DB=dbs.silver, SPEED_DB=speed_db, OPS_DB=dbs.ops)
        cols = [r[0] for r in clients.trino(s, f"SELECT column_name FROM hive.information_schema.columns WHERE "
                                               f"table_schema = '{speed_db}' AND table_name = 'tweets' "
                                               "ORDER BY ordinal_position")]
        newest = days[-1]
        select = ", ".join("CAST(created_date AS varchar)" if c == "ingest_date" else c for c in cols)
        clients.trino(s, f"INSERT INTO hive.{speed_db}.tweets SELECT {select} FROM hive.{dbs.silver}.tweets "
                         f"WHERE created_date = DATE '{newest}'")

        p = pii.Pii(key)
        keys = {p.user_key(u) for u in gone_users}
        ids = {str(int(i)) for i in gone_ids}
        dates = {str(r[0]) for r in clients.trino(s, f"SELECT DISTINCT created_date FROM hive.{dbs.bronze}.tweets "
                                                     f"WHERE tweet_id IN ({', '.join(sorted(ids))}) OR author_key IN "
                                                     f"({', '.join(repr(k) for k in sorted(keys))})")}
        print(f"bench-comply: {len(ids):,} deletes and {len(keys)} user deletes touch {len(dates)} created dates",
              flush=True)
        affected = {t: affected_dirs(s, dbs, t, how, ids, keys, dates) for t, how in TABLES.items()}
        roots = {t: table_dir(dbs, t) for t in TABLES}
        before = {t: listing(s, root) for t, root in roots.items()}
        raw_before = listing(s, box.raw_root(NAME))

        topics.ensure(s.kafka_bootstrap, prefix=prefix, which=(topics.DLQ, topics.COMPLIANCE))
        sent = producer.produce([compliance.item(ln.encode(), "bench") for ln in lines], s.kafka_bootstrap,
                                source="compliance", prefix=prefix, topic=TOPIC_COMPLIANCE)
        if sent.produced != len(lines):
            raise SystemExit(f"bench-comply: {sent.produced} of {len(lines)} events produced")

        print("bench-comply: make comply", flush=True)
        t = time.monotonic()
        try:
            crep = comply.run(s, dbs=dbs, topic=prefix + TOPIC_COMPLIANCE, group=group, raw_root=box.raw_root(NAME),
                              rejected_root=f"{box.base}/rejected", dlq_topic=prefix + TOPIC_DLQ)
            res["comply"] = {"seconds": round(time.monotonic() - t, 1), "stages": crep.stages,
                             "table_stages": crep.build.stages if crep.build else {},
                             "table_steps": crep.build.timings if crep.build else {},
                             "removed": crep.removed, "raw_files_read": crep.raw_files_read,
                             "raw_files_rewritten": crep.raw_files_rewritten, "created_dates": len(crep.created_dates)}
        except Exception as e:  # noqa: BLE001 - a failed comply is a result too
            res["comply"] = {"error": str(e).splitlines()[0], "seconds": round(time.monotonic() - t, 1)}
        after = {t: listing(s, root) for t, root in roots.items()}
        raw_after = listing(s, box.raw_root(NAME))
        tables = {t: {"partitions": len(affected[t]), "affected": partition_bytes(before[t], affected[t]),
                      "written": written_since(before[t], after[t])} for t in TABLES}
        rewritten_raw = {p for p in raw_after if raw_before.get(p) != raw_after[p]}
        tables["raw"] = {"partitions": len(rewritten_raw), "affected": sum(raw_before[p][0] for p in rewritten_raw),
                         "written": written_since(raw_before, raw_after)}
        res["bytes"] = {"tables": tables, "affected": sum(b["affected"] for b in tables.values()),
                        "written": sum(b["written"] for b in tables.values())}
        res["bytes"]["ratio"] = ratio(res["bytes"]["written"], res["bytes"]["affected"])
    finally:
        box.cleanup([NAME])
        try:
            topics.delete(s.kafka_bootstrap, prefix)
            from confluent_kafka.admin import AdminClient

            admin = AdminClient(clients.kafka_config(s.kafka_bootstrap))
            for fut in admin.delete_consumer_groups([group], request_timeout=30).values():
                fut.result(30)
        except Exception as e:  # noqa: BLE001 - report and go on
            print(f"bench-comply: could not remove the run's topics or group: {e}")
    res["chart"] = chart(res, out_dir)
    publish(out_dir, res, report(res), "comply-latest")
    return 0


def res_days(box: Sandbox, s) -> list[str]:
    from lake.runtime import hdfs_client

    return sorted(d.split("=", 1)[1] for d in hdfs_client.client(s).list(box.raw_root(NAME))
                  if d.startswith("ingest_date="))


if __name__ == "__main__":
    raise SystemExit(main())
