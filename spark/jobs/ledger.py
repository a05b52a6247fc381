"""The compliance ledger (<ops>.compliance_events, hive/ddl/ops/compliance_events.sql) as the Spark jobs
read it: what it removed, for the bronze build (every run) and the speed layer (when the ledger changed).

The ledger holds one row per event; the acting kinds name a tweet id (delete) or an author key (user
events), and scrub_geo an author key and the highest tweet id whose location goes. Applied or not yet:
an event counts from the moment `make comply` recorded it, so nothing it names comes back meanwhile.
"""
from __future__ import annotations

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def complied(spark: SparkSession, ledger: str | None) -> tuple[list[int], list[str], dict[str, int]]:
    """(tweet ids, author keys) the compliance ledger removed (the acting events, applied or not yet), and
    author key -> highest tweet id whose location a scrub_geo event removed."""
    if not ledger or not spark.catalog.tableExists(ledger):
        return [], [], {}
    from ingestion.sources.compliance import ACTING, SCRUB_GEO

    table = spark.table(ledger)
    events = table.where(F.col("kind").isin(list(ACTING)))
    ids = [r[0] for r in events.where("tweet_id IS NOT NULL").select("tweet_id").distinct().collect()]
    keys = [r[0] for r in events.where("author_key IS NOT NULL").select("author_key").distinct().collect()]
    scrub = {r[0]: int(r[1]) for r in table.where((F.col("kind") == SCRUB_GEO) & F.col("author_key").isNotNull()
                                                  & F.col("up_to_tweet_id").isNotNull())
             .groupBy("author_key").agg(F.max("up_to_tweet_id")).collect()}
    return ids, keys, scrub


def scrubbed(author_key, tweet_id, scrub: dict[str, int]):
    """True where a scrub_geo event covers the row (its author, a tweet id up to the event's)."""
    if not scrub:
        return F.lit(False)
    up_to = F.create_map(*[x for k, v in sorted(scrub.items()) for x in (F.lit(k), F.lit(v).cast("long"))])
    return F.coalesce(tweet_id <= F.element_at(up_to, author_key), F.lit(False))


class Removed:
    """What the ledger removed, read again only when its files changed (the speed layer asks every
    micro-batch). The check is one recursive listing of the table's folder on HDFS (a NameNode call,
    milliseconds); a reload is a small Spark job over a table of a few thousand rows. A missing
    table is asked for again every `retry_seconds` (a metastore call), so the stream may start first."""

    def __init__(self, spark: SparkSession, ledger: str | None, retry_seconds: float = 30.0):
        self.spark, self.ledger, self.retry_seconds = spark, ledger, retry_seconds
        self.ids: frozenset[int] = frozenset()
        self.keys: frozenset[str] = frozenset()
        self.scrub: dict[str, int] = {}
        self.reloads = 0
        self._location: str | None = None
        self._looked_at = float("-inf")
        self._signature: tuple | None = None

    def __bool__(self) -> bool:
        return bool(self.ids or self.keys or self.scrub)

    def _find(self) -> str | None:
        import time

        if self._location is None and self.ledger and time.monotonic() - self._looked_at >= self.retry_seconds:
            self._looked_at = time.monotonic()
            if self.spark.catalog.tableExists(self.ledger):
                for row in self.spark.sql(f"DESCRIBE FORMATTED {self.ledger}").collect():
                    if (row.col_name or "").strip() == "Location":
                        self._location = row.data_type.strip().rstrip("/")
        return self._location

    def signature(self, location: str) -> tuple:
        """(path, length, modification time) of every visible file under the table: a new event (an
        INSERT adds a file) or an applied one (its partition rewritten) changes it."""
        jvm = self.spark.sparkContext._jvm
        path = jvm.org.apache.hadoop.fs.Path(location)
        fs = path.getFileSystem(self.spark.sparkContext._jsc.hadoopConfiguration())
        if not fs.exists(path):
            return ()
        found, it = [], fs.listFiles(path, True)
        while it.hasNext():
            st = it.next()
            p = st.getPath().toString()
            inside = p.split(location.split("://")[-1], 1)[-1].split("/")
            if not any(part.startswith((".", "_")) for part in inside):  # a writer's staging files
                found.append((p, st.getLen(), st.getModificationTime()))
        return tuple(sorted(found))

    def refresh(self) -> bool:
        """Reload when the ledger's files changed; True when it did."""
        location = self._find()
        if location is None:
            return False
        sig = self.signature(location)
        if sig == self._signature:
            return False
        self.spark.catalog.refreshTable(self.ledger)  # new partitions and files, not Spark's cached listing
        ids, keys, scrub = complied(self.spark, self.ledger)
        self.ids, self.keys, self.scrub = frozenset(ids), frozenset(keys), scrub
        self._signature = sig
        self.reloads += 1
        return True
