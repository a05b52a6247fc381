"""`make ingest`: a source -> Kafka, then wait for the raw sink to land it, then reconcile.

    python -m ingestion --source synthetic --count 100000 --seed 7 --days 30 --format v2
    python -m ingestion --source replay --files ../shared/data/tweets --rate 500
    python -m ingestion --source x --query '#Santander'        (token in X_BEARER_TOKEN)
    python -m ingestion --source mqtt --files ../shared/data/tweets --rate 500   (MQTT tweets/replay -> bridge)
    python -m ingestion --source compliance --files events.jsonl  (X compliance events -> tweets.compliance)
    python -m ingestion --source x-compliance --files tweets=ids.txt users=user_ids.txt   (X batch compliance jobs)

Exit status is non-zero only when an argument is out of range (2, checked before
anything starts), the source itself cannot be read (2: missing file, missing or
bad credentials), Kafka does not answer within --kafka-timeout or does not
acknowledge records (3), the sink does not land them in time (4); each is one
line on stderr. Bad records never stop a run: they go to tweets.dlq with their
reason and origin. librdkafka's log goes to var/log/commands/ingest.log; while
Kafka does not answer the terminal gets one line every few seconds.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from ingestion import producer, topics
from ingestion.sources.replay import ReplayStats, SourceError
from lake import arguments
from lake.errors import LakeError, UsageError, report

PROG = "make ingest"
# The make variables that feed the options, so a mistake is reported as the user typed it.
VARIABLES = {"--source": "SOURCE", "--count": "COUNT", "--seed": "SEED", "--days": "DAYS", "--format": "FORMAT",
             "--files": "FILES", "--rate": "RATE", "--query": "QUERY", "--deletes": "DELETES"}
# Accepted ranges (validate()): a run larger than this is a typo, not a plan; DAYS spans up to ten years.
MAX_COUNT = 1_000_000_000
MAX_DAYS = 3650
MAX_RATE = 10_000_000


def _parser() -> arguments.Parser:
    ap = arguments.Parser(prog=PROG, description="Feed tweets into the lake.", variables=VARIABLES)
    ap.add_argument("--source", choices=("synthetic", "replay", "x", "mqtt", "compliance", "x-compliance"),
                    default="synthetic")
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
    ap.add_argument("--mqtt-source", default="replay", help="mqtt: publish to MQTT topic tweets/<this>")
    ap.add_argument("--no-wait", action="store_true", help="do not wait for the raw sink to land the records")
    ap.add_argument("--land-timeout", type=float, default=600, help="seconds to wait for landing")
    ap.add_argument("--kafka-timeout", type=float, default=60,
                    help="seconds to keep retrying a Kafka that does not answer before giving up")
    ap.add_argument("--topic-prefix", default="", help="produce to <prefix>tweets.raw (tests)")
    ap.add_argument("--sink-group", default=None, help="the raw sink's consumer group to wait for (tests)")
    ap.add_argument("--sink-status", default=None, help="the raw sink's status file (tests)")
    return ap


def validate(args) -> None:
    """Every argument checked before any work starts; UsageError names the variable and the range."""
    arguments.whole(args.count, "COUNT", 0, MAX_COUNT)
    arguments.whole(args.days, "DAYS", 1, MAX_DAYS)
    arguments.number(args.rate, "RATE", 0, MAX_RATE, unit="tweets per second (0: as fast as possible)")
    arguments.number(args.deletes, "DELETES", 0, 1, unit="share of the synthetic tweets later deleted (e.g. 0.02)")
    arguments.number(args.land_timeout, "--land-timeout", 0, unit="seconds", low_open=True)
    arguments.number(args.kafka_timeout, "--kafka-timeout", 0, unit="seconds", low_open=True)
    if args.source in ("replay", "mqtt", "compliance"):
        if not args.files:
            raise UsageError(f"SOURCE={args.source} needs FILES=<file or dir> ...")
        missing = [f for f in args.files if not Path(f).exists()]
        if missing:
            raise UsageError(f"replay source not found: {', '.join(missing)} (check FILES=...: existing files or "
                             f"directories, JSON Lines or arrays, .gz ok)")


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

    from lake.runtime import clients

    c = Consumer(clients.kafka_config(bootstrap, **{"group.id": "lake-ingest-watermarks", "enable.auto.commit": False}))
    try:
        parts = c.list_topics(topic, timeout=30).topics[topic].partitions
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in parts}
    finally:
        c.close()


def committed(bootstrap: str, topic: str, group: str, partitions, consumer=None) -> dict[int, int]:
    from confluent_kafka import Consumer, TopicPartition

    from lake.runtime import clients

    c = consumer or Consumer(clients.kafka_config(bootstrap, **{"group.id": group, "enable.auto.commit": False}))
    try:
        return {tp.partition: max(tp.offset, 0) for tp in
                c.committed([TopicPartition(topic, p) for p in partitions], timeout=10)}
    finally:
        if consumer is None:
            c.close()


def wait_landed(bootstrap: str, topic: str, group: str, target: dict[int, int], timeout: float,
                log_hint: str) -> float:
    """Block until the sink's committed offsets reach target; returns seconds waited. A Kafka restart or a
    coordinator move during the wait (NOT_COORDINATOR, transport errors) is retried until `timeout`;
    past it: TimeoutError (the sink is behind), or ServiceDown (Kafka itself did not answer)."""
    from confluent_kafka import Consumer

    from lake.runtime import clients, faults

    from lake import settings

    ep = faults.Endpoint("Kafka", "kafka", bootstrap, settings.get().log_file("kafka"))
    c = Consumer(clients.kafka_config(bootstrap, window=timeout, **{"group.id": group, "enable.auto.commit": False}))
    t0 = time.monotonic()
    try:
        while True:
            failing = None
            try:
                done = committed(bootstrap, topic, group, target, consumer=c)
            except Exception as e:  # noqa: BLE001 - classified just below
                if not clients.kafka_transient(e):
                    raise
                failing, done = e, None
                faults.log.warning("landing wait: %s", e)
                faults.not_answering(ep, timeout)
            if done is not None:
                behind = sum(max(0, target[p] - done.get(p, 0)) for p in target)
                if behind == 0:
                    return time.monotonic() - t0
            waited = time.monotonic() - t0
            if waited > timeout:
                if failing is not None:
                    raise faults.gave_up(ep, waited, failing)
                raise TimeoutError(f"raw-sink has not landed {behind} record(s) after {timeout:.0f}s; "
                                   f"check `make status` and {log_hint}")
            time.sleep(0.5 if failing is None else 2.0)
    finally:
        c.close()


def summary_rows(result: producer.ProduceStats, stats: ReplayStats, landed: int | None,
                 land_s: float | None, target: str = topics.RAW) -> list[tuple[str, object]]:
    """The reconciliation table: counts of records (a tweet, or a rejected unit), never of lines."""
    rows = [("read", result.read), ("produced to " + target, result.produced),
            ("rejected to " + topics.DLQ, result.rejected)]
    rows += [(f"  {reason}", n) for reason, n in sorted(result.by_reason.items())]
    if stats.streams_by_shape:  # replay: what the files were, so "rejected" is read against the right unit
        rows += [("by file shape", "")] + [(f"  {shape}", counts) for shape, counts in stats.shape_rows()]
    rows += [("not acknowledged by Kafka", result.failed),
             ("landed in HDFS (offsets)", landed if landed is not None else "not waited"),
             ("produce throughput", f"{result.produced / result.seconds:,.0f} tweets/s" if result.seconds else "-"),
             ("time to land after produce", f"{land_s:.1f}s" if land_s is not None else "-")]
    return rows


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        validate(args)
        return _run(args)
    except SourceError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except LakeError as e:  # bad arguments (2), Kafka gone past the timeouts (3)
        return report(PROG, e)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def _run(args) -> int:
    from ingestion.sink import status as sink_status
    from lake import settings
    from lake.runtime import clients, faults

    s = settings.get()
    if args.source == "mqtt":
        return _ingest_mqtt(args, s)
    # compliance events go to their own topic and are applied by `make comply`, not landed by the sink
    target = topics.COMPLIANCE if args.source in ("compliance", "x-compliance") else topics.RAW
    sink_log = s.log_file(settings.RAW_SINK, stdout=True)
    sink_group = args.sink_group or settings.RAW_SINK_GROUP
    sink_status_file = Path(args.sink_status) if args.sink_status else s.status_file(settings.RAW_SINK)
    raw_topic, _ = topics.names(args.topic_prefix)
    stats = ReplayStats()
    items, total = _source(args, stats)
    deletes = None
    if args.deletes:
        from ingestion.sources.compliance import DeleteSample

        try:
            deletes = DeleteSample(args.deletes, seed=args.seed)
        except ValueError as e:
            raise UsageError(f"DELETES={args.deletes}: {e}") from None
        items = deletes.watch(items)
    # librdkafka's own log lines (a connect error every 50 ms while Kafka is down) go to this file.
    faults.command_log(s, "ingest", prog=PROG)
    kafka = clients.kafka_endpoint(s)
    target_topic = raw_topic if target == topics.RAW else args.topic_prefix + target
    # the lake's own topics all exist after this; a test's prefixed sandbox gets the ones it produces to
    wanted = None if not args.topic_prefix else tuple(dict.fromkeys((topics.RAW, topics.DLQ, target)))

    def first_contact() -> dict[int, int]:
        topics.ensure(s.kafka_bootstrap, prefix=args.topic_prefix, timeout=5, which=wanted)
        return high_watermarks(s.kafka_bootstrap, target_topic)

    before = faults.retry(first_contact, kafka, args.kafka_timeout, clients.kafka_transient)
    if args.rate:
        from ingestion.sources.pacing import paced
        from ingestion.records import Record

        items = paced(items, args.rate, counted=lambda i: isinstance(i, Record))

    from tqdm import tqdm

    with tqdm(total=total, unit=" tweets", desc=f"{args.source} -> {target_topic}", smoothing=0.1) as bar:
        result = producer.produce(items, s.kafka_bootstrap, source=args.source, prefix=args.topic_prefix,
                                  progress=bar, topic=None if target == topics.RAW else target)
    if deletes is not None:
        from ingestion.sources import compliance

        # after the tweets: the deletions of a real firehose follow the tweets they name
        gone = producer.produce((compliance.item(line, "synthetic:delete") for line in deletes.events()),
                                s.kafka_bootstrap, source=args.source, prefix=args.topic_prefix,
                                topic=topics.COMPLIANCE)
        print(f"ingest: {gone.produced} deletion event(s) of synthetic tweets to {args.topic_prefix}"
              f"{topics.COMPLIANCE} ({args.deletes:.1%} asked); `make comply` applies them once the tweets are built")
        if gone.failed:
            print(f"{PROG}: error: {gone.failed} deletion event(s) not acknowledged by Kafka", file=sys.stderr)
            return 3
    if args.source == "x" and result.failed == 0 and getattr(stats, "newest_id", None):
        from ingestion.sources import x_api

        opts = x_api.options_from_env()
        x_api.save_checkpoint(opts["checkpoint_path"], args.query or opts["query"], stats.newest_id)

    after = faults.retry(lambda: high_watermarks(s.kafka_bootstrap, target_topic), kafka, args.kafka_timeout,
                         clients.kafka_transient)
    land_s, landed = None, None
    if args.no_wait or target != topics.RAW:
        pass
    elif not sink_status.probe(sink_status_file):
        print(f"{PROG}: warning: raw-sink is not running; records wait in Kafka until `make up` starts it",
              file=sys.stderr)
    else:
        pending = sum(after[p] - before.get(p, 0) for p in after)
        print(f"waiting for raw-sink to land {pending:,} record(s) (up to {args.land_timeout:.0f} s)", flush=True)
        try:
            land_s = wait_landed(s.kafka_bootstrap, raw_topic, sink_group, after, args.land_timeout,
                                 str(sink_log))
        except TimeoutError as e:
            print(f"{PROG}: error: {e}", file=sys.stderr)
            return 4
        landed = pending

    _print_rows(summary_rows(result, stats, landed, land_s, target))
    for problem in stats.problems:
        print(f"{PROG}: warning: {problem}", file=sys.stderr)
    if not result.reconciles:
        print(f"{PROG}: error: counts do not reconcile (read != produced + rejected + failed)", file=sys.stderr)
        return 5
    if result.failed:
        print(f"{PROG}: error: {result.failed} record(s) were not acknowledged by Kafka at {s.kafka_bootstrap}; "
              f"check `make status` and `make logs SERVICE=kafka` ({kafka.log}), then rerun the ingest "
              f"(client log: {faults.log_path()})", file=sys.stderr)
        return 3
    return 0


def _print_rows(rows) -> None:
    print("\nreconciliation")
    for name, value in rows:
        print(f"  {name:<32} {value}")


def _land(s, before: dict[int, int], timeout: float) -> tuple[float | None, int | None]:
    """Wait for the raw sink to land tweets.raw up to its current end; (seconds, records) or Nones."""
    from ingestion.sink import status as sink_status
    from lake import settings

    after = high_watermarks(s.kafka_bootstrap, topics.RAW)
    if not sink_status.probe(s.status_file(settings.RAW_SINK)):
        print("ingest: warning: raw-sink is not running; records wait in Kafka until `make up` starts it",
              file=sys.stderr)
        return None, None
    land_s = wait_landed(s.kafka_bootstrap, topics.RAW, settings.RAW_SINK_GROUP, after, timeout,
                         str(s.log_file(settings.RAW_SINK, stdout=True)))
    return land_s, sum(after[p] - before.get(p, 0) for p in after)


def _ingest_mqtt(args, s) -> int:
    """Publish replay files to MQTT tweets/<source>, wait for the bridge to carry them into Kafka and
    the sink to land them, then reconcile with the bridge's metrics (docs/ingestion.md "MQTT")."""
    from ingestion.mqtt_bridge import status as bridge_status
    from ingestion.records import Record
    from ingestion.sources import mqtt
    from lake import settings
    from tqdm import tqdm

    bridge_file = s.status_file(settings.MQTT_BRIDGE)
    bridge_log = s.log_file(settings.MQTT_BRIDGE, stdout=True)
    try:
        if not args.files:
            raise SourceError("SOURCE=mqtt needs FILES=<file or dir> ...")
        topic = mqtt.topic_for(args.mqtt_source, settings.MQTT_TOPIC_ROOT)
        items = mqtt.records(args.files)
    except (SourceError, ValueError) as e:
        print(f"ingest: error: {e}", file=sys.stderr)
        return 2
    before = bridge_status.read(bridge_file)
    if before is None:
        # No session at the broker yet: messages published now would have no subscriber to queue for.
        print(f"ingest: error: the MQTT bridge has never run, so the broker would drop what is published; "
              f"start it with `make up`", file=sys.stderr)
        return 3
    try:
        kafka_before = high_watermarks(s.kafka_bootstrap, topics.RAW)
    except Exception as e:  # noqa: BLE001 - Kafka down: one line, nothing published
        print(f"ingest: error: Kafka at {s.kafka_bootstrap} is not reachable ({e}); start it with `make up`",
              file=sys.stderr)
        return 3
    if args.rate:
        from ingestion.sources.pacing import paced

        items = paced(items, args.rate, counted=lambda i: isinstance(i, Record))
    try:
        with tqdm(unit=" tweets", desc=f"mqtt -> {topic}", smoothing=0.1) as bar:
            result = mqtt.publish(items, s.host, s.ports["mqtt"], topic, progress=bar)
    except SourceError as e:
        print(f"ingest: error: {e}", file=sys.stderr)
        return 2
    except ConnectionError as e:
        print(f"ingest: error: {e}", file=sys.stderr)
        return 3

    after, waited = before, None
    if args.no_wait:
        pass
    elif not bridge_status.probe(bridge_file):
        print(f"ingest: warning: mqtt-bridge is not running; messages wait in the broker until `make up` "
              f"starts it ({bridge_log})", file=sys.stderr)
    else:
        try:
            after, waited = _wait_bridge(bridge_file, before, result.published, args.land_timeout, str(bridge_log))
        except TimeoutError as e:
            print(f"ingest: error: {e}", file=sys.stderr)
            return 4
    land_s = landed = None
    if not args.no_wait:
        try:
            land_s, landed = _land(s, kafka_before, args.land_timeout)
        except TimeoutError as e:
            print(f"ingest: error: {e}", file=sys.stderr)
            return 4

    def delta(key: str):
        return (after or {}).get(key, 0) - (before.get(key, 0) if after.get("started") == before.get("started") else 0)

    rows = [("read", result.read), (f"published to MQTT {topic}", result.published),
            ("  of which the reader rejected", result.rejected)]
    rows += [(f"    {reason}", n) for reason, n in sorted(result.by_reason.items())]
    rows += [("refused by the broker", result.failed),
             ("bridge: messages in", delta("received")),
             (f"bridge: delivered to {topics.RAW}", delta("delivered")),
             (f"bridge: rejected to {topics.DLQ}", delta("rejected"))]
    rows += [(f"  {reason}", n - ((before.get("rejected_by_reason") or {}).get(reason, 0)
                                  if after.get("started") == before.get("started") else 0))
             for reason, n in sorted((after.get("rejected_by_reason") or {}).items())]
    lag = after.get("lag_seconds")
    rows += [("bridge: in flight", after.get("in_flight", "-")),
             ("bridge: lag behind publishers", f"{lag:.1f}s" if lag is not None else "-"),
             ("bridge: redelivered (duplicates)", max(0, delta("received") - result.published)
              if waited is not None else "not waited"),
             ("landed in HDFS (offsets)", landed if landed is not None else "not waited"),
             ("publish throughput", f"{result.published / result.seconds:,.0f} tweets/s" if result.seconds else "-"),
             ("time to carry after publish", f"{waited:.1f}s" if waited is not None else "-"),
             ("time to land after publish", f"{land_s:.1f}s" if land_s is not None else "-")]
    _print_rows(rows)
    if after.get("started") != before.get("started"):
        print("ingest: note: the bridge restarted during the run; its counts start at the restart")
    if not result.reconciles:
        print("ingest: error: counts do not reconcile (read != published + refused)", file=sys.stderr)
        return 5
    if result.failed:
        print(f"ingest: error: the broker refused {result.failed} message(s); rerun the ingest", file=sys.stderr)
        return 3
    return 0


def _wait_bridge(status_file, before: dict, published: int, timeout: float, log_hint: str) -> tuple[dict, float]:
    """Block until the bridge has taken `published` more messages and has none in flight."""
    from ingestion.mqtt_bridge import status as bridge_status

    t0 = time.monotonic()
    while True:
        st = bridge_status.read(status_file) or {}
        base = before.get("received", 0) if st.get("started") == before.get("started") else 0
        if st.get("received", 0) - base >= published and st.get("in_flight", 1) == 0:
            return st, time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"mqtt-bridge has not carried {published} message(s) after {timeout:.0f}s "
                               f"({bridge_status.summary(st)}); check `make status` and {log_hint}")
        time.sleep(0.5)


if __name__ == "__main__":
    raise SystemExit(main())
