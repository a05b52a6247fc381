"""Timed drains of a pre-filled topic without HDFS: Kafka's ConsumerPerformance, confluent-kafka, kafka-python.

Each reads every record from offset 0 with the raw sink's fetch sizes. The
clock starts once partitions are assigned (ConsumerPerformance's fetch.* figures
also leave out the group join) and stops at the last record. MiB/s counts
record values, computed from the topic's known bytes for every client.
"""
from __future__ import annotations

import time
from pathlib import Path

from lake.bench import stats
from lake.bench.ingest import kafka_tools
from lake import settings as lake_settings
from lake.runtime import clients

KAFKA_TOOL = "Kafka ConsumerPerformance (Java)"
CONFLUENT = "confluent-kafka consumer (no HDFS)"
KAFKA_PYTHON = "kafka-python consumer (no HDFS)"


def consumer_performance_args(topic: str, count: int, group: str, bootstrap: str, settings: dict,
                              config_file: Path) -> list[str]:
    return ["--bootstrap-server", bootstrap, "--topic", topic, "--messages", str(count), "--group", group,
            "--fetch-size", str(settings["max_partition_fetch_bytes"]), "--consumer.config", str(config_file)]


def run_consumer_performance(java: Path, kafka_lib: Path, heap: str, topic: str, count: int, value_bytes: int,
                             group: str, bootstrap: str, settings: dict, workdir: Path, log: Path) -> dict:
    config_file = workdir / "consumer-performance.properties"
    clients.write_java_client_config(lake_settings.get(), config_file,
                                     extra=f"fetch.max.bytes={settings['fetch_max_bytes']}\n")
    out = kafka_tools.run(java, kafka_lib, heap, kafka_tools.CONSUMER_CLASS,
                          consumer_performance_args(topic, count, group, bootstrap, settings, config_file), log,
                          timeout=max(120, count / 500))
    row = kafka_tools.parse_consumer_summary(out)
    seconds = row["fetch.time.ms"] / 1000
    records = row["data.consumed.in.nMsg"]
    return {"records": records, "seconds": seconds, "records_per_s": stats.rate(records, seconds),
            "mib_per_s": stats.mib_per_second(value_bytes * records / count, seconds),
            "join_seconds": row["rebalance.time.ms"] / 1000, "tool": row}


def librdkafka_settings(settings: dict) -> dict:
    """cases.yaml's consumer settings as librdkafka spells them (fetch_max_bytes -> fetch.max.bytes)."""
    return {k.replace("_", "."): v for k, v in settings.items()}


def drain_confluent(bootstrap: str, topic: str, count: int, value_bytes: int, group: str, settings: dict,
                    timeout: float) -> dict:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    c = Consumer(clients.kafka_config(bootstrap, **{"group.id": group, "enable.auto.commit": False,
                  **librdkafka_settings(settings)}))
    try:
        parts = c.list_topics(topic, timeout=30).topics[topic].partitions
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
        n, t0 = 0, time.monotonic()
        while n < count:
            # Never ask for more than is left: consume() waits for num_messages or the timeout.
            for msg in c.consume(num_messages=min(5000, count - n), timeout=0.5):
                if not msg.error():
                    n += 1
            if time.monotonic() - t0 > timeout:
                raise TimeoutError(f"confluent-kafka drain of {topic}: {n}/{count} records after {timeout:.0f}s")
        seconds = time.monotonic() - t0
    finally:
        c.close()
    return {"records": n, "seconds": seconds, "records_per_s": stats.rate(n, seconds),
            "mib_per_s": stats.mib_per_second(value_bytes * n / count, seconds)}


def drain_kafka_python(bootstrap: str, topic: str, count: int, value_bytes: int, settings: dict,
                       timeout: float) -> dict:
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                      **clients.kafka_python_sasl(lake_settings.get()),
                      fetch_max_bytes=settings["fetch_max_bytes"],
                      max_partition_fetch_bytes=settings["max_partition_fetch_bytes"])
    try:
        parts = [TopicPartition(topic, p) for p in sorted(c.partitions_for_topic(topic))]
        c.assign(parts)
        c.seek_to_beginning(*parts)
        n, t0 = 0, time.monotonic()
        while n < count:
            for batch in c.poll(timeout_ms=500, max_records=5000).values():
                n += len(batch)
            if time.monotonic() - t0 > timeout:
                raise TimeoutError(f"kafka-python drain of {topic}: {n}/{count} records after {timeout:.0f}s")
        seconds = time.monotonic() - t0
    finally:
        c.close()
    return {"records": n, "seconds": seconds, "records_per_s": stats.rate(n, seconds),
            "mib_per_s": stats.mib_per_second(value_bytes * n / count, seconds)}
