"""The speed layer's side of X compliance events: tweets.compliance records -> rows of
<speed db>.compliance_pending (hive/ddl/speed/compliance_pending.sql), and the removals the stream keeps
in memory so that it never writes a row they name.

serving.tweets leaves out every row whose tweet id or author key is pending, so a removal takes effect
one trigger after the stream reads it, long before `make comply` rewrites the files (docs/compliance.md
"Within one trigger"). The mapping is comply's own: the same parser (ingestion/sources/compliance.py),
and a user id becomes the author_key bronze computes (Pii.user_key) the moment it is read; the raw id
goes no further. Bad events are skipped here: `make comply` reads the same topic and sends them to
tweets.dlq with their reason.
"""
from __future__ import annotations

import threading
from datetime import datetime, timezone

from pyspark.sql.types import LongType, StringType, StructField, StructType, TimestampType

from ingestion.sources import compliance as c

# hive/ddl/speed/compliance_pending.sql's columns, partition column last (a unit test checks they agree)
PENDING_SCHEMA = StructType([
    StructField("event_id", StringType(), False),
    StructField("kind", StringType(), False),
    StructField("tweet_id", LongType()),
    StructField("author_key", StringType()),
    StructField("event_at", TimestampType()),
    StructField("received_at", TimestampType(), False),
    StructField("received_date", StringType(), False),
])
PARTITION = "received_date"


def event_id(topic: str, partition: int, offset: int) -> str:
    """The ledger's event_id of a record (lake/pipeline/comply.py consume): comply prunes by it."""
    return f"{topic}:{partition}:{offset}"


def pending_row(eid: str, value: bytes | None, pii, received_at: datetime) -> tuple | None:
    """One tweets.compliance record -> a PENDING_SCHEMA tuple, or None for an event that removes no row:
    a bad one (comply routes it to the DLQ), scrub_geo (the rows stay without their location), and the
    recorded-only un-* kinds. `received_at` is UTC (aware, so Spark stores the instant it names)."""
    try:
        ev = c.parse_bytes(value or b"")
    except c.BadEvent:
        return None
    if not ev.acting:
        return None
    if ev.kind == c.DELETE:
        tweet_id, key = int(ev.tweet_id), None   # the tweet names its rows; its author id is not kept
    else:
        tweet_id, key = None, pii.user_key(ev.user_id)
    at = c.event_time(ev.event_at)
    received_at = received_at.astimezone(timezone.utc)
    return (eid, ev.kind, tweet_id, key, at.replace(tzinfo=timezone.utc) if at else None, received_at,
            received_at.date().isoformat())


class Pending:
    """Tweet ids and author keys pending removal, as the stream knows them: the table's rows when the job
    starts, then each compliance micro-batch's. Read by the tweets query's thread, extended by the
    compliance query's (two queries of one driver): each update swaps in new frozensets."""

    def __init__(self):
        self.ids: frozenset[int] = frozenset()
        self.keys: frozenset[str] = frozenset()
        self._events: set[str] = set()
        self._lock = threading.Lock()

    @property
    def events(self) -> int:
        return len(self._events)

    def add(self, rows) -> None:
        """PENDING_SCHEMA tuples (event_id, kind, tweet_id, author_key, ...); a replayed batch adds nothing new."""
        rows = list(rows)
        with self._lock:
            self.ids = self.ids | {r[2] for r in rows if r[2] is not None}
            self.keys = self.keys | {r[3] for r in rows if r[3] is not None}
            self._events |= {r[0] for r in rows}

    def load(self, spark, table: str) -> None:
        """The table's rows (the job restarted while events are pending)."""
        rows = spark.table(table).select("event_id", "kind", "tweet_id", "author_key").collect()
        self.add([(r[0], r[1], r[2], r[3]) for r in rows])
