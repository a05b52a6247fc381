"""End-to-end smoke of the running stack, the last step of `make demo`:
a file through WebHDFS, a message through Kafka, and a Hive table written by
Spark on YARN and read back by Trino and by Beeline with the same rows.

Each step works in its own namespace (HDFS dir, topic, schema) and removes it.
The same functions back the integration tests."""
from __future__ import annotations

import time
import uuid

from lake.runtime import clients, hdfs_client, spark
from lake.errors import LakeError
from lake.settings import Settings


def _say(msg: str) -> None:
    print(msg, flush=True)


def webhdfs_roundtrip(s: Settings, base: str) -> str:
    c = hdfs_client.client(s)
    payload = f"hello lake {uuid.uuid4()}\n"
    path = f"{base}/hello.txt"
    c.write(path, data=payload.encode(), overwrite=True)
    with c.read(path) as r:
        back = r.read().decode()
    if back != payload:
        raise LakeError(f"WebHDFS round trip returned {back!r}, expected {payload!r}")
    return path


def kafka_roundtrip(s: Settings, topic: str, n: int = 10) -> list[str]:
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient(clients.kafka_config(s))
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(30)
    sent = [f"msg-{i}-{uuid.uuid4()}" for i in range(n)]
    p = Producer(clients.kafka_config(s, **{"enable.idempotence": True, "acks": "all"}))
    for m in sent:
        p.produce(topic, m.encode(), key=m.split("-")[1].encode())
    if p.flush(30) != 0:
        raise LakeError(f"kafka: {topic}: messages not delivered within 30s")
    c = Consumer(clients.kafka_config(s, **{"group.id": f"smoke-{uuid.uuid4()}", "auto.offset.reset": "earliest",
                                            "enable.auto.commit": False}))
    c.subscribe([topic])
    got: list[str] = []
    deadline = time.monotonic() + 60
    while len(got) < n and time.monotonic() < deadline:
        msg = c.poll(1.0)
        if msg is not None and not msg.error():
            got.append(msg.value().decode())
    c.close()
    if got != sent:
        raise LakeError(f"kafka: {topic}: consumed {len(got)} of {n} messages in order")
    return got


def delete_topic(s: Settings, topic: str) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient(clients.kafka_config(s))  # must outlive the future
    admin.delete_topics([topic])[topic].result(30)


def spark_table(s: Settings, schema: str, rows: int = 1000, master: str | None = None) -> str:
    out = spark.submit(s, s.root / "spark/jobs/smoke_table.py", ["--schema", schema, "--rows", str(rows)],
                       master=master, timeout=900)
    return next(line for line in out.splitlines() if line.startswith("SMOKE_RESULT"))


def drop_schema(s: Settings, schema: str) -> None:
    clients.hive(s, f"DROP DATABASE IF EXISTS {schema} CASCADE")


AGG = "SELECT count(*), sum(amount), count(DISTINCT name) FROM {schema}.smoke"


def run(s: Settings) -> None:
    tag = time.strftime("%Y%m%d%H%M%S")
    base, topic, schema = f"/tmp/lake-smoke-{tag}", f"smoke.{tag}", f"smoke_{tag}"
    t0 = time.monotonic()
    try:
        _say(f"  webhdfs   wrote and read back {webhdfs_roundtrip(s, base)}")
        _say(f"  kafka     {len(kafka_roundtrip(s, topic))} messages produced and consumed on {topic}")
        _say(f"  spark     job on YARN wrote {schema}.smoke: {spark_table(s, schema)}")
        tr = clients.trino(s, AGG.format(schema=f"hive.{schema}"))[0]
        bl = clients.beeline(s, AGG.format(schema=schema))[0]
        _say(f"  trino     {tr}")
        _say(f"  beeline   {bl}")
        if (int(bl[0]), float(bl[1]), int(bl[2])) != (tr[0], tr[1], tr[2]):
            raise LakeError(f"Trino and Beeline disagree on {schema}.smoke: {tr} vs {bl}")
    finally:
        hdfs_client.client(s).delete(base, recursive=True)
        try:
            delete_topic(s, topic)
        except Exception:  # noqa: BLE001 - the topic may not exist if the step failed early
            pass
        try:
            drop_schema(s, schema)
        except Exception:  # noqa: BLE001
            pass
    _say(f"smoke passed in {time.monotonic() - t0:.0f}s")
