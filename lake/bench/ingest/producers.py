"""Timed producer runs: ours (ingestion.producer.produce, confluent-kafka), kafka-python, Kafka's ProducerPerformance.

Only sending and the final flush are timed; payloads exist in memory before.
All three send the same settings (cases.yaml `common.producer`). Ours and
kafka-python also send the key and the four headers the lake's producer adds;
ProducerPerformance cannot send keys or headers, so it moves slightly fewer bytes.
MiB/s counts record values only, as ProducerPerformance does.
"""
from __future__ import annotations

import time
from pathlib import Path

from lake.bench import stats
from lake.bench.ingest import kafka_tools
from ingestion import producer as lake_producer
from ingestion.records import Record
from lake import settings as lake_settings
from lake.runtime import clients

OURS = "ours: ingestion.producer (confluent-kafka)"
KAFKA_PYTHON = "kafka-python"
KAFKA_TOOL = "Kafka ProducerPerformance (Java)"
CLIENTS = (OURS, KAFKA_PYTHON, KAFKA_TOOL)


def run_ours(records: list[Record], bootstrap: str, prefix: str) -> dict:
    result = lake_producer.produce(records, bootstrap, source="bench", prefix=prefix)
    return {"records": result.produced, "failed": result.failed, "seconds": result.seconds,
            "records_per_s": stats.rate(result.produced, result.seconds),
            "mib_per_s": stats.mib_per_second(result.bytes, result.seconds)}


def run_kafka_python(records: list[Record], bootstrap: str, topic: str, settings: dict) -> dict:
    from kafka import KafkaProducer

    p = KafkaProducer(bootstrap_servers=bootstrap, acks=settings["acks"], **clients.kafka_python_sasl(lake_settings.get()),
                      enable_idempotence=settings["enable_idempotence"], compression_type=settings["compression"],
                      linger_ms=settings["linger_ms"], batch_size=settings["batch_size"],
                      max_request_size=settings["max_request_size"])
    try:
        nbytes = 0
        t0 = time.monotonic()
        futures = []
        for r in records:
            # The same per-record work as ours: encode the key, build the lake's headers.
            futures.append(p.send(topic, value=r.payload, key=r.key.encode(),
                                  headers=lake_producer._headers("bench", r.format, r.origin)))
            nbytes += len(r.payload)
        p.flush()
        seconds = time.monotonic() - t0
    finally:
        p.close()
    failed = sum(1 for f in futures if not f.succeeded())
    ok = len(futures) - failed
    return {"records": ok, "failed": failed, "seconds": seconds, "records_per_s": stats.rate(ok, seconds),
            "mib_per_s": stats.mib_per_second(nbytes, seconds)}


def producer_performance_args(topic: str, count: int, payload_file: Path, bootstrap: str, settings: dict,
                              config_file: Path | None = None) -> list[str]:
    login = ["--producer.config", str(config_file)] if config_file else []
    return ["--topic", topic, "--num-records", str(count), "--throughput", "-1",
            "--payload-file", str(payload_file), *login,
            "--producer-props", f"bootstrap.servers={bootstrap}", f"acks={settings['acks']}",
            f"enable.idempotence={str(settings['enable_idempotence']).lower()}",
            f"compression.type={settings['compression']}", f"linger.ms={settings['linger_ms']}",
            f"batch.size={settings['batch_size']}", f"max.request.size={settings['max_request_size']}"]


def run_producer_performance(java: Path, kafka_lib: Path, heap: str, topic: str, count: int, payload_file: Path,
                             bootstrap: str, settings: dict, log: Path) -> dict:
    config_file = clients.write_java_client_config(lake_settings.get(),
                                                   payload_file.parent / "producer-performance.properties")
    out = kafka_tools.run(java, kafka_lib, heap, kafka_tools.PRODUCER_CLASS,
                          producer_performance_args(topic, count, payload_file, bootstrap, settings, config_file), log,
                          timeout=max(120, count / 500))
    s = kafka_tools.parse_producer_summary(out)
    return {"records": s["records"], "failed": count - s["records"], "seconds": s["records"] / s["records_per_s"],
            "records_per_s": s["records_per_s"], "mib_per_s": s["mib_per_s"], "tool": s}
