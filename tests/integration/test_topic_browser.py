"""The read-only Kafka topic browser (lake/console) served by the stack: what it shows of a test topic
matches Kafka's own admin and consumer APIs, bad input gets a one-line message, and browsing writes
nothing to Kafka."""
from __future__ import annotations

import html
import json
import re
import urllib.error
import urllib.request
import uuid

import pytest

from lake.demos import smoke
from lake.runtime import clients

PARTITIONS = 3
PARTITION = 1
MESSAGES = 7


def _get(s, path: str) -> tuple[int, str]:
    url = f"http://{s.host}:{s.ports['topic_browser']}{path}"
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def _json(s, path: str) -> dict:
    status, body = _get(s, path + ("&" if "?" in path else "?") + "format=json")
    assert status == 200, body
    return json.loads(body)


@pytest.fixture(scope="module")
def topic(ui_stack):
    """A topic of 3 partitions; partition 1 holds 7 keyed messages with headers (the last one a JSON
    value longer than the page shows), and a consumer group committed at offset 2 there."""
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic

    s = ui_stack
    tag = uuid.uuid4().hex[:10]
    name, group = f"it.{tag}.browser", f"it-browser-{tag}"
    admin = AdminClient(clients.kafka_config(s.kafka_bootstrap))
    admin.create_topics([NewTopic(name, PARTITIONS, 1)])[name].result(30)
    p = Producer(clients.kafka_config(s.kafka_bootstrap, **{"acks": "all"}))
    for i in range(MESSAGES):
        value = {"n": i, "text": "olá " * (2000 if i == MESSAGES - 1 else 3)}
        p.produce(name, key=f"key-{i}".encode(), value=json.dumps(value).encode(), partition=PARTITION,
                  headers=[("source", b"it"), ("seq", str(i).encode())])
    p.produce(name, key=b"other", value=b"not json", partition=0)
    assert p.flush(30) == 0, "Kafka did not acknowledge the test messages within 30 s"
    c = Consumer(clients.kafka_config(s.kafka_bootstrap, **{"group.id": group, "enable.auto.commit": False}))
    c.commit(offsets=[TopicPartition(name, PARTITION, 2)], asynchronous=False)
    c.close()
    yield {"name": name, "group": group, "admin": admin}
    admin.delete_consumer_groups([group])[group].result(30)
    smoke.delete_topic(s, name)


def test_partitions_and_offsets_match_kafka(ui_stack, topic):
    from confluent_kafka import Consumer, TopicPartition

    s, name = ui_stack, topic["name"]
    md = topic["admin"].list_topics(topic=name, timeout=30).topics[name]
    c = Consumer(clients.kafka_config(s.kafka_bootstrap, **{"group.id": "it-browser-check"}))
    want = {p: c.get_watermark_offsets(TopicPartition(name, p), timeout=30, cached=False) for p in md.partitions}
    c.close()
    assert want[PARTITION] == (0, MESSAGES) and want[0] == (0, 1)

    shown = _json(s, f"/topics/{name}")["topic"]
    assert [(r["partition"], r["earliest"], r["latest"]) for r in shown["partitions"]] == \
        [(p, *want[p]) for p in sorted(want)]
    assert [r["replicas"] for r in shown["partitions"]] == [list(md.partitions[p].replicas) for p in sorted(want)]
    # the HTML page shows the same numbers in the partition's row
    status, page = _get(s, f"/topics/{name}")
    assert status == 200
    row = re.search(rf'<tr data-partition="{PARTITION}">(.*?)</tr>', page, re.S).group(1)
    assert re.search(r'class="n earliest">0<', row) and re.search(rf'class="n latest">{MESSAGES}<', row)

    (g,) = [g for g in shown["groups"] if g["group"] == topic["group"]]
    assert g["lag"] == [{"topic": name, "partition": PARTITION, "committed": 2, "latest": MESSAGES,
                         "lag": MESSAGES - 2}]
    assert any(x["group"] == topic["group"] and x["total_lag"] == MESSAGES - 2 for x in _json(s, "/groups")["groups"])
    assert name in {t["name"] for t in _json(s, "/")["topics"]}


def test_last_messages_show_key_headers_and_pretty_value(ui_stack, topic):
    s, name = ui_stack, topic["name"]
    res = _json(s, f"/topics/{name}/partitions/{PARTITION}?count=3")["result"]
    assert [m["offset"] for m in res["messages"]] == [MESSAGES - 3, MESSAGES - 2, MESSAGES - 1]
    last = res["messages"][-1]
    assert last["key"] == f"key-{MESSAGES - 1}"
    assert last["headers"] == [["source", "it"], ["seq", str(MESSAGES - 1)]]
    assert last["truncated"] and len(last["value"]) == 4000 and last["value"].startswith('{\n  "n": 6,')
    before = res["messages"][-2]
    assert not before["truncated"] and json.loads(before["value"]) == {"n": 5, "text": "olá olá olá "}
    status, page = _get(s, f"/topics/{name}/partitions/{PARTITION}?count=3")
    assert status == 200 and f"key-{MESSAGES - 1}" in page and "seq: 6" in page and "cut;" in page
    # from an offset on
    res = _json(s, f"/topics/{name}/partitions/{PARTITION}?offset=1&count=2")["result"]
    assert [m["key"] for m in res["messages"]] == ["key-1", "key-2"]


@pytest.mark.parametrize("path, status, says", [
    ("/topics/it.no-such-topic", 404, "no topic named 'it.no-such-topic'"),
    ("/topics/{topic}/partitions/99", 404, "has no partition 99"),
    ("/topics/{topic}/partitions/1?offset=1000000", 400, "offset 1000000 is out of range"),
    ("/topics/{topic}/partitions/1?count=abc", 400, "count must be a whole number"),
    ("/nowhere", 404, "no page at /nowhere"),
])
def test_bad_input_gets_a_clear_message(ui_stack, topic, path, status, says):
    got, body = _get(ui_stack, path.format(topic=topic["name"]))
    assert got == status and says in html.unescape(body) and "Traceback" not in body


def test_browsing_writes_nothing(ui_stack, topic):
    """After every page above: no consumer group of the browser's, and the test topic's offsets unchanged."""
    from confluent_kafka.admin import AdminClient

    s = ui_stack
    _get(s, f"/topics/{topic['name']}/partitions/{PARTITION}")
    groups = AdminClient(clients.kafka_config(s.kafka_bootstrap)).list_consumer_groups(request_timeout=30).result()
    assert "lake-topic-browser" not in {g.group_id for g in groups.valid}
    shown = _json(s, f"/topics/{topic['name']}")["topic"]["partitions"]
    assert [(r["earliest"], r["latest"]) for r in shown] == [(0, 1), (0, MESSAGES), (0, 0)]
