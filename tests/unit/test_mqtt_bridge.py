"""The bridge's acknowledgement logic against a real Mosquitto (a private one, the stack's config on a
free port): a message is acknowledged to the broker only after Kafka's delivery report, in order,
never after a failed delivery, and the broker keeps what is unacknowledged across a reconnect and a
restart. Kafka's side is a stand-in whose delivery reports the test releases; paho is real."""
from __future__ import annotations

import json
import shutil
import time
import uuid

import pytest

from ingestion.mqtt_bridge import status
from ingestion.mqtt_bridge.bridge import Bridge, BridgeConfig, BridgeError
from ingestion.sources import mqtt
from ingestion.records import Record
from lake.stack.mosquitto import PrivateBroker

pytestmark = pytest.mark.skipif(shutil.which("mosquitto") is None and not __import__("os").path.exists(
    "/usr/sbin/mosquitto"), reason="mosquitto is not installed (`make install`)")

TOPIC = "tweets/unit"


class HeldKafka:
    """Takes what the bridge produces and reports delivery only when the test says so."""

    def __init__(self):
        self.held: list[tuple] = []
        self.sent: list[dict] = []

    def produce(self, topic, value, key, headers, on_delivery):
        self.held.append(on_delivery)
        self.sent.append({"topic": topic, "value": value, "key": key, "headers": dict(headers)})

    def poll(self, timeout=0):
        return 0

    def flush(self, timeout=0):
        return len(self.held)

    def deliver(self, which=None, err=None):
        """Report delivery of the held messages at positions `which` (all by default)."""
        which = range(len(self.held)) if which is None else which
        for i in which:
            self.held[i](err, None)
        self.held = [cb for i, cb in enumerate(self.held) if i not in set(which)]


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    b = PrivateBroker(tmp_path_factory.mktemp("mosquitto")).start()
    yield b
    b.stop()


def tweet(i: int) -> bytes:
    return json.dumps({"id": str(10**17 + i), "text": f"tweet {i}", "author_id": "42",
                       "created_at": "2026-12-01T00:00:00.000Z"}).encode()


def publish(broker, payloads: list[bytes]) -> None:
    """Each payload as one message, unjudged (the publisher sends a Record's payload as it is)."""
    items = [Record("unjudged", p, "v2", "unit") for p in payloads]
    stats = mqtt.publish(items, "127.0.0.1", broker.port, TOPIC)
    assert stats.published == len(payloads), stats


def start_bridge(broker, client_id: str, kafka: HeldKafka, tmp_path=None) -> Bridge:
    cfg = BridgeConfig(bootstrap="unused:1", mqtt_host="127.0.0.1", mqtt_port=broker.port, topic_filter=TOPIC,
                       client_id=client_id, status_file=(tmp_path / "bridge.json") if tmp_path else None)
    b = Bridge(cfg, kafka=kafka)
    b.start()
    run_until(b, lambda: b.subscribed, "the bridge to connect and subscribe", broker)
    return b


def run_until(b: Bridge, cond, what: str, broker, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f}s for {what}; broker log {broker.log}")
        b.step(0.05)


def crash(b: Bridge) -> None:
    """Leave without acknowledging anything more (the broker keeps the session); acknowledgements
    still queued in paho may or may not go out, as in a real crash."""
    b.stopping.set()
    b.client.disconnect()
    b.client.loop_stop()


def new_id() -> str:
    return f"unit-bridge-{uuid.uuid4().hex[:8]}"


def test_nothing_is_acknowledged_before_kafka_delivers(broker):
    cid = new_id()
    first = start_bridge(broker, cid, HeldKafka())
    publish(broker, [tweet(i) for i in range(3)])
    run_until(first, lambda: first.m.received == 3, "3 messages", broker)
    assert first.m.acked == 0 and len(first.producer.held) == 3
    crash(first)

    again = start_bridge(broker, cid, kafka := HeldKafka())
    run_until(again, lambda: again.m.received == 3, "the 3 unacknowledged messages again", broker)
    assert [json.loads(m["value"])["id"] for m in kafka.sent] == [str(10**17 + i) for i in range(3)]
    kafka.deliver()
    run_until(again, lambda: again.m.acked == 3, "3 acknowledgements", broker)
    assert again.m.delivered == 3 and not any(not p.probe for p in again.order)
    again.close()   # a clean stop: the queued acknowledgements go out before the disconnect

    # Acknowledged means gone: the next session gets only what is published after.
    last = start_bridge(broker, cid, kafka := HeldKafka())
    publish(broker, [tweet(99)])
    run_until(last, lambda: last.m.received >= 1, "the new message", broker)
    last.step(0.3)
    assert [json.loads(m["value"])["id"] for m in kafka.sent] == [str(10**17 + 99)]
    kafka.deliver()
    run_until(last, lambda: last.m.acked == 1, "its acknowledgement", broker)
    crash(last)


def test_acknowledgements_go_out_in_arrival_order(broker):
    cid = new_id()
    b = start_bridge(broker, cid, kafka := HeldKafka())
    publish(broker, [tweet(i) for i in range(3)])
    run_until(b, lambda: b.m.received == 3, "3 messages", broker)
    kafka.deliver([1, 2])              # Kafka confirms the later two first
    b.step(0.05)
    assert b.m.delivered == 2 and b.m.acked == 0 and sum(not p.probe for p in b.order) == 3
    crash(b)

    # The first was never confirmed, so none was acknowledged: all three come back.
    again = start_bridge(broker, cid, kafka := HeldKafka())
    run_until(again, lambda: again.m.received == 3, "all 3 again", broker)
    kafka.deliver([0])
    again.step(0.05)
    assert again.m.acked == 1
    kafka.deliver()
    run_until(again, lambda: again.m.acked == 3, "the other two acknowledgements", broker)
    crash(again)


def test_a_failed_delivery_stops_the_bridge_without_acknowledging(broker):
    cid = new_id()
    b = start_bridge(broker, cid, kafka := HeldKafka())
    publish(broker, [tweet(7)])
    run_until(b, lambda: b.m.received == 1, "the message", broker)
    kafka.deliver(err="Local: Message timed out")
    with pytest.raises(BridgeError, match="Message timed out"):
        b.step(0.05)
    assert b.m.acked == 0 and b.m.failed == 1
    crash(b)
    again = start_bridge(broker, cid, kafka := HeldKafka())
    run_until(again, lambda: again.m.received == 1, "the message again", broker)
    kafka.deliver()
    run_until(again, lambda: again.m.acked == 1, "its acknowledgement", broker)
    crash(again)


def test_bad_payloads_go_to_the_dlq_with_reason_and_origin(broker, tmp_path):
    b = start_bridge(broker, new_id(), kafka := HeldKafka(), tmp_path)
    page = json.dumps({"data": [json.loads(tweet(1)), json.loads(tweet(2))],
                       "includes": {"users": [{"id": "42", "username": "a"}]}}).encode()
    publish(broker, [b'{"id": "1", "text": "trunc', page, b'{"counts": 3}'])
    run_until(b, lambda: b.m.received == 3, "3 messages", broker)
    kafka.deliver()
    run_until(b, lambda: b.m.acked == 3, "3 acknowledgements", broker)
    assert [(m["topic"], m["headers"].get("reason")) for m in kafka.sent] == [
        ("tweets.dlq", b"invalid_json"), ("tweets.raw", None), ("tweets.raw", None), ("tweets.dlq", b"not_a_tweet")]
    raw = [m for m in kafka.sent if m["topic"] == "tweets.raw"]
    assert [m["key"] for m in raw] == [str(10**17 + 1).encode(), str(10**17 + 2).encode()]
    assert all(m["headers"]["origin"].startswith(f"mqtt:{TOPIC}".encode()) for m in kafka.sent)
    assert {m["headers"]["source"] for m in kafka.sent} == {b"mqtt"}
    run_until(b, lambda: b.m.lag_seconds is not None, "a lag probe to come back", broker)
    b.write_status(force=True)
    st = status.read(tmp_path / "bridge.json")
    assert (st["received"], st["delivered"], st["rejected"]) == (3, 2, 2)
    assert st["rejected_by_reason"] == {"invalid_json": 1, "not_a_tweet": 1} and 0 <= st["lag_seconds"] < 10
    crash(b)


def test_queued_messages_survive_a_broker_restart(broker):
    cid = new_id()
    b = start_bridge(broker, cid, HeldKafka())   # the session and its subscription now exist
    crash(b)
    publish(broker, [tweet(i) for i in range(5)])  # queued for the absent bridge
    broker.restart()
    again = start_bridge(broker, cid, kafka := HeldKafka())
    run_until(again, lambda: again.m.received == 5, "the 5 queued messages after the restart", broker)
    kafka.deliver()
    run_until(again, lambda: again.m.acked == 5, "5 acknowledgements", broker)
    crash(again)
