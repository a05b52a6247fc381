"""MQTT tweets/# -> Kafka tweets.raw (bad payloads to tweets.dlq), losing nothing on a crash.

The bridge holds a persistent MQTT session (clean start off, a session that never expires) and
subscribes at QoS 1 with manual acknowledgement: the broker keeps every message it has not
acknowledged, queued while the bridge is away and resent when it returns. A message is
acknowledged (PUBACK, `client.ack(mid, qos)`) only after Kafka's delivery report for every item it
became, and acknowledgements go out in the order the messages came in. A kill -9 therefore loses
nothing: the unacknowledged messages come back, and one already in Kafka reaches it twice (the
bronze build keeps one row per tweet id; the duplicates stay in raw).

Each payload goes through the replay source's rules (ingestion/sources/replay.py items_from_json)
and the producer's topic, key and headers (ingestion/producer.py message), with origin
`mqtt:<topic>`. paho's network thread only hands messages over; producing, delivery reports and
acknowledgements all run on the main thread.
"""
from __future__ import annotations

import argparse
import logging
import os
import queue
import signal
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

from ingestion import producer, records, topics
from ingestion.mqtt_bridge import status
from ingestion.sources import mqtt
from ingestion.sources.replay import DEFAULT_MAX_LINE_BYTES, items_from_json
from lake.settings import KAFKA_BRIDGE, MQTT_BRIDGE_CLIENT_ID, MQTT_TOPIC_ROOT

log = logging.getLogger("mqtt-bridge")

SOURCE = "mqtt"  # the `source` header of what the bridge produces; `origin` names the MQTT topic


class BridgeError(Exception):
    """Kafka refused a delivery: the bridge stops without acknowledging, so the broker keeps the message."""


@dataclass
class BridgeConfig:
    bootstrap: str
    mqtt_host: str
    mqtt_port: int
    topic_filter: str = f"{MQTT_TOPIC_ROOT}/#"
    client_id: str = MQTT_BRIDGE_CLIENT_ID
    kafka_prefix: str = ""            # tests and benchmarks: their own pair of Kafka topics
    status_file: Path | None = None
    status_every: float = 1.0
    lag_every: float = 1.0            # seconds between lag probes
    max_payload_bytes: int = DEFAULT_MAX_LINE_BYTES

    @property
    def lag_topic(self) -> str:
        # Outside tweets/#: the probe is no tweet. The bridge's session subscribes to it as well.
        return f"lake/mqtt-bridge/{self.client_id}/lag"


@dataclass
class _Pending:
    """One MQTT message until all its items are delivered; `session` is the connection it came on."""

    mid: int
    qos: int
    session: int
    left: int
    failed: str | None = None
    probe: bool = False       # a lag probe: acknowledged in turn, counted nowhere


@dataclass
class Metrics:
    received: int = 0       # MQTT messages in
    delivered: int = 0      # items acknowledged by Kafka on tweets.raw
    rejected: int = 0       # items acknowledged by Kafka on tweets.dlq
    acked: int = 0          # MQTT messages acknowledged to the broker
    failed: int = 0
    by_reason: Counter = field(default_factory=Counter)
    lag_seconds: float | None = None   # how long the latest lag probe queued behind the messages
    first_in_at: float | None = None   # wall clock of the first message in, and of the latest
    last_ack_at: float | None = None   # acknowledgement: the benchmark's sustained rate


class Bridge:
    def __init__(self, cfg: BridgeConfig, kafka=None):
        """`kafka`: a producer to use instead of a confluent_kafka.Producer (the unit tests' stand-in
        for Kafka's delivery reports; the MQTT side is always a real paho client)."""
        self.cfg = cfg
        self.raw_topic, self.dlq_topic = topics.names(cfg.kafka_prefix)
        self.m = Metrics()
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()   # paho's thread -> the main thread
        self.order: deque[_Pending] = deque()                # received, not yet acknowledged
        self.session = 0          # bumped on every (re)connect
        self.connected = False
        self.subscribed = False   # the broker granted the subscription on this connection
        self._gone = threading.Event()   # set when paho has written DISCONNECT (after every queued PUBACK)
        self.stopping = threading.Event()
        self.state = "starting"
        self.started = time.time()
        self._status_at = 0.0
        self._probe_sent: float | None = None   # when the outstanding lag probe was published
        self._probe_at = 0.0
        self.client = None
        self.producer = kafka

    # ---- paho's network thread ----
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("MQTT broker refused the connection: %s", reason_code)
            return
        self.session += 1
        self.connected = True
        self._probe_sent = None   # a probe of the old connection may still come back; a new one goes out
        log.info("connected to MQTT %s:%d (session present=%s); subscribing to %s at QoS 1",
                 self.cfg.mqtt_host, self.cfg.mqtt_port, flags.session_present, self.cfg.topic_filter)
        client.subscribe([(self.cfg.topic_filter, 1), (self.cfg.lag_topic, 1)])

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        if any(rc.is_failure for rc in reason_codes):
            log.error("MQTT broker refused the subscription to %s: %s", self.cfg.topic_filter, reason_codes)
            return
        self.subscribed = True

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected = self.subscribed = False
        self._gone.set()
        if not self.stopping.is_set():
            log.warning("disconnected from MQTT (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, msg) -> None:
        # After a stop was asked for, leave new messages unacknowledged: the broker resends them.
        if not self.stopping.is_set():
            self.inbox.put((self.session, msg))

    # ---- the main thread ----
    def start(self) -> None:
        if self.producer is None:
            from confluent_kafka import Producer

            from lake.runtime import clients

            raw_topic = topics.names(self.cfg.kafka_prefix)[0]
            if self.cfg.kafka_prefix:
                # a sandbox's topics (tests): made here, as the admin; the lake's own are made by `make up`
                topics.ensure(self.cfg.bootstrap, prefix=self.cfg.kafka_prefix)
            who = clients.kafka_principal(KAFKA_BRIDGE, raw_topic)
            self.producer = Producer(clients.kafka_config(self.cfg.bootstrap, principal=who,
                                                          **producer.PRODUCER_CONFIG))
        self.client, connect_kw = mqtt.new_client(self.cfg.client_id, persistent=True, manual_ack=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        # connect_async: paho's thread keeps trying until the broker is there (it starts first in
        # `make up`, but may restart under us at any time).
        self.client.connect_async(self.cfg.mqtt_host, self.cfg.mqtt_port, **connect_kw)
        self.client.loop_start()
        self.state = "running"

    def handle(self, session: int, msg) -> None:
        """Turn one MQTT message into Kafka messages; it is acknowledged when they are all delivered."""
        if msg.topic == self.cfg.lag_topic:
            self._probe_back(msg.payload)
            self.order.append(_Pending(msg.mid, msg.qos, session, 0, probe=True))
            return
        self.m.received += 1
        if self.m.first_in_at is None:
            self.m.first_in_at = time.time()
        origin = f"mqtt:{msg.topic}"
        if len(msg.payload) > self.cfg.max_payload_bytes:
            items = [records.reject(records.TOO_LARGE, f"MQTT payload of {len(msg.payload)} bytes over "
                                    f"{self.cfg.max_payload_bytes}", origin, msg.payload)]
        else:
            items = list(items_from_json(msg.payload, origin))
        pending = _Pending(msg.mid, msg.qos, session, len(items))
        self.order.append(pending)
        for item in items:
            out = producer.message(item, SOURCE, self.raw_topic, self.dlq_topic)
            producer.send(self.producer, out, self._delivery(pending, out.reason))

    def _delivery(self, pending: _Pending, reason: str | None):
        def done(err, _msg) -> None:
            pending.left -= 1
            if err is not None:
                pending.failed = str(err)
                self.m.failed += 1
            elif reason is None:
                self.m.delivered += 1
            else:
                self.m.rejected += 1
                self.m.by_reason[reason] += 1
        return done

    def acknowledge(self) -> None:
        """Acknowledge the delivered prefix of `order`, oldest first (MQTT wants PUBACKs in order)."""
        while self.order and self.order[0].left == 0:
            p = self.order.popleft()
            if p.failed:
                raise BridgeError(f"Kafka did not take message mid={p.mid}: {p.failed}")
            # A message from an earlier connection is resent by the broker on this one under the
            # same packet id: acknowledging the old copy would acknowledge the new one unread.
            if p.session == self.session and self.connected:
                self.client.ack(p.mid, p.qos)
                if not p.probe:
                    self.m.acked += 1
                    self.m.last_ack_at = time.time()

    def step(self, timeout: float = 0.05, batch_max: int = 2000) -> None:
        """Take what has come in (waiting up to `timeout` for the first), serve Kafka's delivery
        reports, acknowledge, refresh the status file."""
        wait = 0.002 if self.order else timeout
        batch = 0
        try:
            while batch < batch_max:
                session, msg = self.inbox.get(timeout=wait) if batch == 0 else self.inbox.get_nowait()
                self.handle(session, msg)
                batch += 1
        except queue.Empty:
            pass
        self.producer.poll(0 if batch or not self.order else 0.002)
        self.acknowledge()
        self._probe()
        self.write_status()

    def run(self) -> None:
        self.start()
        try:
            while not self.stopping.is_set():
                self.step()
            self.drain()
            self.state = "stopped"
        except BridgeError:
            self.state = "failed"
            raise
        finally:
            self.write_status(force=True)
            self.close()

    def close(self, timeout: float = 10) -> None:
        """Leave only once the broker has processed every acknowledgement sent: a last QoS 1 publish
        to a topic nobody reads, whose PUBACK proves the broker read everything before it on this
        connection. Without it a quick restart can take the session over while PUBACKs still sit in
        the old socket, and those messages come again (duplicates, never a loss)."""
        self.stopping.set()
        if self.connected:
            try:
                self.client.publish(f"lake/mqtt-bridge/{self.cfg.client_id}/flush", b"", qos=1) \
                    .wait_for_publish(timeout)
            except (RuntimeError, ValueError):   # the connection went meanwhile: nothing more to flush
                pass
        self._gone.clear()
        if self.client.disconnect() == 0:
            self._gone.wait(timeout)
        self.client.loop_stop()

    def drain(self, timeout: float = 60) -> None:
        """On stop: finish what came in, so its acknowledgements go out before the disconnect."""
        while True:
            try:
                session, msg = self.inbox.get_nowait()
            except queue.Empty:
                break
            self.handle(session, msg)
        self.producer.flush(timeout)
        self.acknowledge()

    def stop(self) -> None:
        self.stopping.set()

    def _probe(self) -> None:
        """Lag: publish the time to our own probe topic; the broker queues the probe behind every
        message already waiting for this session, so its time to come back is the backlog's age.
        One probe at a time; while it is out, the lag is at least its age."""
        now = time.time()
        if self._probe_sent is not None:
            self.m.lag_seconds = max(self.m.lag_seconds or 0.0, now - self._probe_sent)
        elif self.subscribed and now - self._probe_at >= self.cfg.lag_every:
            self._probe_sent = self._probe_at = now
            self.client.publish(self.cfg.lag_topic, repr(now), qos=1)

    def _probe_back(self, payload: bytes) -> None:
        try:
            sent = float(payload)
        except ValueError:
            return
        self.m.lag_seconds = max(0.0, time.time() - sent)
        if self._probe_sent is not None and abs(sent - self._probe_sent) < 1e-6:
            self._probe_sent = None

    def snapshot(self) -> dict:
        m = self.m
        return {"state": self.state, "pid": os.getpid(), "heartbeat": time.time(), "started": self.started,
                "connected": self.connected, "subscribed": self.subscribed, "client_id": self.cfg.client_id, "topic_filter": self.cfg.topic_filter,
                "kafka_topics": [self.raw_topic, self.dlq_topic], "received": m.received, "delivered": m.delivered,
                "rejected": m.rejected, "rejected_by_reason": dict(m.by_reason), "acked": m.acked, "failed": m.failed,
                "in_flight": len(self.order) + self.inbox.qsize(),
                "lag_seconds": None if m.lag_seconds is None else round(m.lag_seconds, 3),
                "first_in_at": m.first_in_at, "last_ack_at": m.last_ack_at}

    def write_status(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.cfg.status_file is None or (not force and now - self._status_at < self.cfg.status_every):
            return
        self._status_at = now
        status.write(self.cfg.status_file, self.snapshot())


def main(argv: list[str] | None = None) -> int:
    from lake import settings

    s = settings.get()
    ap = argparse.ArgumentParser(prog="python -m ingestion.mqtt_bridge", description=__doc__.split("\n")[0])
    ap.add_argument("--mqtt-host", default=s.host)
    ap.add_argument("--mqtt-port", type=int, default=s.ports["mqtt"])
    ap.add_argument("--topic", default=f"{MQTT_TOPIC_ROOT}/#", help="MQTT topic filter to subscribe to")
    ap.add_argument("--client-id", default=MQTT_BRIDGE_CLIENT_ID, help="the persistent session's id")
    ap.add_argument("--kafka-prefix", default="", help="prefix of the Kafka topic pair (tests, benchmarks)")
    ap.add_argument("--status-file")
    ap.add_argument("--status-every", type=float, default=1.0, help="seconds between status file rewrites")
    ap.add_argument("--tag", help="marker the launcher uses to recognise its process (lake.service=mqtt-bridge)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stdout)
    cfg = BridgeConfig(bootstrap=s.kafka_bootstrap, mqtt_host=args.mqtt_host, mqtt_port=args.mqtt_port,
                       topic_filter=args.topic, client_id=args.client_id, kafka_prefix=args.kafka_prefix,
                       status_file=Path(args.status_file) if args.status_file else None,
                       status_every=args.status_every)
    bridge = Bridge(cfg)
    signal.signal(signal.SIGTERM, lambda *_: bridge.stop())
    signal.signal(signal.SIGINT, lambda *_: bridge.stop())
    log.info("MQTT bridge: %s:%d %s -> %s (bad payloads -> %s), client id %s", cfg.mqtt_host, cfg.mqtt_port,
             cfg.topic_filter, bridge.raw_topic, bridge.dlq_topic, cfg.client_id)
    try:
        bridge.run()
    except BridgeError as e:
        log.error("%s; stopping without acknowledging it (the broker keeps it for the restart)", e)
        return 1
    except Exception as e:  # noqa: BLE001 - Kafka down at start: one line, nothing acknowledged
        log.error("cannot run: %s", e)
        return 3
    return 0
