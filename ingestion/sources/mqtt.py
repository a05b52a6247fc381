"""Replay files published to the MQTT broker (`make ingest SOURCE=mqtt`), and the MQTT client both
ends use: this publisher and the bridge (ingestion/mqtt_bridge), which carries the messages to Kafka.

Every tweet the replay reader yields is one QoS 1 message on `tweets/<source>`: a Record's payload,
or a Rejected unit's raw bytes, so the bridge's own check sends it to tweets.dlq with its reason.
`published` counts only what the broker acknowledged (PUBACK); the client resends unacknowledged
messages after a reconnect, so a broker restart in the middle of a run loses nothing.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from ingestion.records import Record, Rejected

# The most messages the publisher keeps unacknowledged; beyond it, publish() waits for PUBACKs.
WINDOW = 2000


def topic_for(source: str, root: str = "tweets") -> str:
    if not source or any(c in source for c in "/+#"):
        raise ValueError(f"MQTT source name must be one topic level without / + #: {source!r}")
    return f"{root}/{source}"


# One recv() of this many bytes feeds many of paho's small reads (see _BufferedSocket).
RECV_BYTES = 256 * 1024
# At most this many packets read from the buffer per pass of paho's loop, so writes (acknowledgements)
# still go out between bursts.
READ_BURST = 256


class _BufferedSocket:
    """paho reads each packet with several tiny recv() calls (one per header byte) and one packet per
    select(); profiled, that network thread capped the bridge. This socket serves those reads from
    one large recv(), and `pending()` (which paho's loop already asks of SSL and websocket sockets)
    tells the loop that buffered bytes wait, so it reads them without waiting in select()."""

    def __init__(self, sock):
        self._sock = sock
        self._buf = b""
        self._pos = 0

    def recv(self, bufsize: int) -> bytes:
        if self._pos >= len(self._buf):
            self._buf = self._sock.recv(RECV_BYTES)   # BlockingIOError when nothing waits, b"" at close
            self._pos = 0
            if not self._buf:
                return b""
        out = self._buf[self._pos:self._pos + bufsize]
        self._pos += len(out)
        return out

    def pending(self) -> int:
        inner = self._sock.pending() if hasattr(self._sock, "pending") else 0
        return len(self._buf) - self._pos + inner

    def fileno(self) -> int:
        return self._sock.fileno()

    def __getattr__(self, name):
        return getattr(self._sock, name)


def _client_class():
    import paho.mqtt.client as mqtt

    class Client(mqtt.Client):
        def _create_socket(self):
            return _BufferedSocket(super()._create_socket())

        def loop_read(self, max_packets: int = 1):
            rc = super().loop_read(max_packets)
            for _ in range(READ_BURST):
                if rc != mqtt.MQTT_ERR_SUCCESS or self._sock is None or not self._sock.pending():
                    break
                rc = super().loop_read(max_packets)
            return rc
    return Client


def new_client(client_id: str, *, persistent: bool, manual_ack: bool = False):
    """A paho client (MQTT 3.1.1) and the connect() keywords that go with it.

    persistent: clean session off, so the broker queues QoS 1 messages while the client is away
    and resends the unacknowledged ones when it returns; Mosquitto never expires such a session
    (persistent_client_expiration is unset). MQTT 3.1.1 rather than 5: paho decodes a v5 packet's
    properties in Python for every message, which the profile showed as most of the bridge's
    network thread (docs/ingestion.md "MQTT"); nothing here needs a v5 feature."""
    import paho.mqtt.client as mqtt

    client = _client_class()(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311,
                             clean_session=not persistent, manual_ack=manual_ack)
    # No paho-side cap: with one, paho walks every queued message on every PUBACK (quadratic; the
    # profile put it at most of the publisher's time). publish() below keeps at most WINDOW
    # unacknowledged, which the broker's max_inflight_messages (mosquitto.conf) allows.
    client.max_inflight_messages_set(0)
    client.reconnect_delay_set(min_delay=0.2, max_delay=2)
    return client, {"keepalive": 30}


def records(paths, stats=None) -> Iterator[Record | Rejected]:
    """The replay reader's items for `paths` (the one call into ingestion/sources/replay.py).

    A rejected unit keeps all its bytes up to the line cap (not the DLQ's 64 KiB), so the bridge
    judges the same bytes the reader did and finds the same reason."""
    from ingestion.sources.replay import DEFAULT_MAX_LINE_BYTES, replay

    return replay(paths, stats=stats, raw_cap=DEFAULT_MAX_LINE_BYTES)


def payload_of(item: Record | Rejected) -> bytes:
    return item.payload if isinstance(item, Record) else item.raw


@dataclass
class PublishStats:
    read: int = 0
    published: int = 0          # acknowledged by the broker
    failed: int = 0             # refused by the broker (PUBACK with an error reason code)
    records: int = 0            # of `read`, what the reader accepted as tweets ...
    rejected: int = 0           # ... and what it rejected (published too: the bridge sends it to the DLQ)
    by_reason: Counter = field(default_factory=Counter)
    bytes: int = 0
    seconds: float = 0.0

    @property
    def reconciles(self) -> bool:
        return self.read == self.published + self.failed == self.records + self.rejected


class _Window:
    """Counts PUBACKs and makes publish() wait when WINDOW messages are unacknowledged."""

    def __init__(self, stats: PublishStats):
        self.stats = stats
        self.cond = threading.Condition()
        self.sent = 0

    def on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        with self.cond:
            if reason_code.is_failure:
                self.stats.failed += 1
            else:
                self.stats.published += 1
            self.cond.notify_all()

    def outstanding(self) -> int:
        return self.sent - self.stats.published - self.stats.failed

    def wait_below(self, n: int, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.outstanding() > n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ConnectionError(f"MQTT broker has not acknowledged {self.outstanding()} message(s) "
                                          f"after {timeout:.0f}s ({what})")
                self.cond.wait(min(left, 1.0))


def publish(items: Iterable[Record | Rejected], host: str, port: int, topic: str, *, client_id: str = "",
            progress=None, ack_timeout: float = 120) -> PublishStats:
    """Publish every item at QoS 1 and wait until the broker has acknowledged them all.

    Raises ConnectionError when the broker cannot be reached at all, or stops acknowledging for
    `ack_timeout` seconds (a restart shorter than that is ridden out)."""
    stats = PublishStats()
    window = _Window(stats)
    client, connect_kw = new_client(client_id, persistent=False)
    client.on_publish = window.on_publish
    try:
        client.connect(host, port, **connect_kw)
    except OSError as e:
        raise ConnectionError(f"MQTT broker at {host}:{port} is not reachable ({e}); start it with `make up`") from None
    client.loop_start()
    t0 = time.monotonic()
    try:
        for item in items:
            stats.read += 1
            if isinstance(item, Record):
                stats.records += 1
            else:
                stats.rejected += 1
                stats.by_reason[item.reason] += 1
            payload = payload_of(item)
            window.wait_below(WINDOW - 1, ack_timeout, f"{host}:{port}")
            with window.cond:
                window.sent += 1
            client.publish(topic, payload, qos=1)
            stats.bytes += len(payload)
            if progress is not None:
                progress.update(1)
        window.wait_below(0, ack_timeout, f"{host}:{port}")
    finally:
        stats.seconds = time.monotonic() - t0
        client.disconnect()
        client.loop_stop()
    return stats
