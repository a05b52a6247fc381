"""`make ingest`: a source -> Kafka, then wait for the raw sink to land it, then reconcile.

    python -m ingestion --source synthetic --count 100000 --seed 7 --days 30 --format v2
    python -m ingestion --source replay --files ../shared/data/tweets --rate 500
    python -m ingestion --source x --query '#Santander'        (token in X_BEARER_TOKEN)
    python -m ingestion --source compliance --files events.jsonl  (X compliance events -> tweets.compliance)
    python -m ingestion --source x-compliance --files tweets=ids.txt users=user_ids.txt   (X batch compliance jobs)

Exit status is non-zero only when the source itself cannot be read (missing
file, missing or bad credentials) or Kafka does not acknowledge records; bad
records never stop a run: they go to tweets.dlq with their reason and origin.
"""
from __future__ import annotations

import argparse
import sys
import time

from ingestion import producer, topics
from ingestion.sources.replay import ReplayStats, SourceError


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m ingestion", description="Feed tweets into the lake.")
    ap.add_argument("--source", choices=("synthetic", "replay", "x", "compliance", "x-compliance"), default="synthetic")
    ap.add_argument("--count", type=int, default=100_000, help="synthetic: tweets to generate")
    ap.add_argument("--seed", type=int, default=0, help="synthetic: same seed, same tweets")
    ap.add_argument("--days", type=int, default=30, help="synthetic: span of created_at")
    ap.add_argument("--format", choices=("v2", "v1"), default="v2", help="synthetic: payload format")
    ap.add_argument("--deletes", type=float, default=0.0,
                    help="synthetic: share of the tweets (0..1, e.g. 0.02) later deleted, as deletion events "
                         "to tweets.compliance (applied by make comply)")
    ap.add_argument("--files", nargs="*", default=[], help="replay: files or directories")
    ap.add_argument("--rate", type=float, default=0, help="tweets per second (0: as fast as possible)")
    ap.add_argument("--query", default=None, help="x: search query (default #Santander)")
    ap.add_argument("--no-wait", action="store_true", help="do not wait for the raw sink to land the records")
    ap.add_argument("--land-timeout", type=float, default=600, help="seconds to wait for landing")
    return ap


def _source(args, stats: ReplayStats):
    if args.source == "synthetic":
        from ingestion.sources import synthetic

        return synthetic.generate(args.count, seed=args.seed, days=args.days, fmt=args.format), args.count
    if args.deletes:
        raise SourceError("DELETES= is for SOURCE=synthetic (a real source's deletions come from X: "
                          "SOURCE=compliance or x-compliance)")
    if args.source == "replay":
        from ingestion.sources.replay import replay

        if not args.files:
            raise SourceError("SOURCE=replay needs FILES=<file or dir> ...")
        return replay(args.files, stats=stats), None
    if args.source == "compliance":
        from ingestion.sources import compliance

        if not args.files:
            raise SourceError("SOURCE=compliance needs FILES=<events.jsonl> ...")
        return compliance.events(args.files), None
    if args.source == "x-compliance":
        from ingestion.sources import x_api, x_compliance

        ids = {}
        for spec in args.files:
            job_type, sep, path = spec.partition("=")
            if not sep or job_type not in x_compliance.JOB_TYPES:
                raise SourceError(f"SOURCE=x-compliance: FILES entries are tweets=<ids file> or users=<ids file>, "
                                  f"not {spec!r}")
            ids.setdefault(job_type, []).extend(x_compliance.read_ids(path))
        if not ids:
            raise SourceError("SOURCE=x-compliance needs FILES='tweets=<ids file> users=<ids file>'")
        opts = x_api.options_from_env()
        return x_compliance.collect(ids, opts["bearer_token"], api_base=opts["api_base"]), None
    from ingestion.sources import x_api

    opts = x_api.options_from_env()
    if args.query:
        opts["query"] = args.query
    # The checkpoint is saved only after Kafka has acknowledged every record (below).
    return x_api.collect(**opts, stats=stats, commit=False), None


def high_watermarks(bootstrap: str, topic: str) -> dict[int, int]:
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "lake-ingest-watermarks", "enable.auto.commit": False})
    try:
        parts = c.list_topics(topic, timeout=30).topics[topic].partitions
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in parts}
    finally:
        c.close()


def committed(bootstrap: str, topic: str, group: str, partitions) -> dict[int, int]:
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        return {tp.partition: max(tp.offset, 0) for tp in
                c.committed([TopicPartition(topic, p) for p in partitions], timeout=30)}
    finally:
        c.close()


def wait_landed(bootstrap: str, topic: str, group: str, target: dict[int, int], timeout: float,
                log_hint: str) -> float:
    """Block until the sink's committed offsets reach target; returns seconds waited."""
    t0 = time.monotonic()
    while True:
        done = committed(bootstrap, topic, group, target)
        behind = sum(max(0, target[p] - done.get(p, 0)) for p in target)
        if behind == 0:
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"raw-sink has not landed {behind} record(s) after {timeout:.0f}s; "
                               f"check `make status` and {log_hint}")
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from ingestion.sink import status as sink_status
    from lake import settings

    s = settings.get()
    # compliance events go to their own topic and are applied by `make comply`, not landed by the sink
    target = topics.COMPLIANCE if args.source in ("compliance", "x-compliance") else topics.RAW
    sink_log = s.log_file(settings.RAW_SINK, stdout=True)
    stats = ReplayStats()
    try:
        items, total = _source(args, stats)
    except SourceError as e:
        print(f"ingest: error: {e}", file=sys.stderr)
        return 2
    deletes = None
    if args.deletes:
        from ingestion.sources.compliance import DeleteSample

        try:
            deletes = DeleteSample(args.deletes, seed=args.seed)
        except ValueError as e:
            print(f"ingest: error: DELETES={args.deletes}: {e}", file=sys.stderr)
            return 2
        items = deletes.watch(items)
    try:
        topics.ensure(s.kafka_bootstrap)
        before = high_watermarks(s.kafka_bootstrap, target)
    except Exception as e:  # noqa: BLE001 - Kafka down: one line, nothing produced
        print(f"ingest: error: Kafka at {s.kafka_bootstrap} is not reachable ({e}); start it with `make up`",
              file=sys.stderr)
        return 3
    if args.rate:
        from ingestion.sources.pacing import paced
        from ingestion.records import Record

        items = paced(items, args.rate, counted=lambda i: isinstance(i, Record))

    from tqdm import tqdm

    try:
        with tqdm(total=total, unit=" tweets", desc=f"{args.source} -> {target}", smoothing=0.1) as bar:
            result = producer.produce(items, s.kafka_bootstrap, source=args.source, progress=bar,
                                      topic=None if target == topics.RAW else target)
    except SourceError as e:
        print(f"ingest: error: {e}", file=sys.stderr)
        return 2
    if deletes is not None:
        from ingestion.sources import compliance

        # after the tweets: the deletions of a real firehose follow the tweets they name
        gone = producer.produce((compliance.item(line, "synthetic:delete") for line in deletes.events()),
                                s.kafka_bootstrap, source=args.source, topic=topics.COMPLIANCE)
        print(f"ingest: {gone.produced} deletion event(s) of synthetic tweets to {topics.COMPLIANCE} "
              f"({args.deletes:.1%} asked); `make comply` applies them once the tweets are built")
        if gone.failed:
            print(f"ingest: error: {gone.failed} deletion event(s) not acknowledged by Kafka", file=sys.stderr)
            return 3
    if args.source == "x" and result.failed == 0 and getattr(stats, "newest_id", None):
        from ingestion.sources import x_api

        opts = x_api.options_from_env()
        x_api.save_checkpoint(opts["checkpoint_path"], args.query or opts["query"], stats.newest_id)

    after = high_watermarks(s.kafka_bootstrap, target)
    land_s, landed = None, None
    if args.no_wait or target != topics.RAW:
        pass
    elif not sink_status.probe(s.status_file(settings.RAW_SINK)):
        print(f"ingest: warning: raw-sink is not running; records wait in Kafka until `make up` starts it",
              file=sys.stderr)
    else:
        try:
            land_s = wait_landed(s.kafka_bootstrap, topics.RAW, settings.RAW_SINK_GROUP, after, args.land_timeout,
                                 str(sink_log))
        except TimeoutError as e:
            print(f"ingest: error: {e}", file=sys.stderr)
            return 4
        landed = sum(after[p] - before.get(p, 0) for p in after)

    print("\nreconciliation")
    rows = [("read", result.read), ("produced to " + target, result.produced),
            ("rejected to " + topics.DLQ, result.rejected)]
    rows += [(f"  {reason}", n) for reason, n in sorted(result.by_reason.items())]
    rows += [("not acknowledged by Kafka", result.failed),
             ("landed in HDFS (offsets)", landed if landed is not None else "not waited"),
             ("produce throughput", f"{result.produced / result.seconds:,.0f} tweets/s" if result.seconds else "-"),
             ("time to land after produce", f"{land_s:.1f}s" if land_s is not None else "-")]
    for name, value in rows:
        print(f"  {name:<32} {value}")
    if not result.reconciles:
        print("ingest: error: counts do not reconcile (read != produced + rejected + failed)", file=sys.stderr)
        return 5
    if result.failed:
        print(f"ingest: error: {result.failed} record(s) were not acknowledged by Kafka; rerun the ingest",
              file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
