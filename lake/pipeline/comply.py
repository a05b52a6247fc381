"""`make comply`: X compliance events applied to every layer, recorded in the ledger ops.compliance_events.

    1. consume  tweets.compliance from the group's committed offsets up to the end seen at the start;
                each event becomes a ledger row (user ids only as bronze's author_key, never in clear),
                then the offsets are committed: an event is never lost, nor recorded twice (event_id).
    2. raw      the raw files bronze locates the records in (hive/dml/comply/raw_files_to_read.sql), and
                every file bronze has not loaded, are read; each record of a removed tweet or author becomes
                a redaction line (parse.REDACTED_LINE): the file is written beside itself as a hidden file,
                then renamed over (one NameNode call: a reader sees the old file or the new one). The file
                keeps its name and line count, so the sink's offset ranges and each line's Kafka offset
                (first offset + line) stay true.
    3. rejects  the raw sink's reject zone (the same rewrite as raw) and tweets.dlq (survivors produced
                again, then DeleteRecords up to the old end: lake/pipeline/dlq_purge.py) lose every record
                naming a removed tweet id or user id (Naming: any run of digits in the record).
    4. speed    each speed.tweets file holding such a row is rewritten the same way as raw (same name,
                renamed over), so serving.tweets loses the row; before the tables, so a tweet only the
                speed layer holds goes seconds after the event is consumed.
    5. tables   the build's application in its comply mode (spark/jobs/comply_bronze.py): bronze's
                created_date partitions holding a removed row are rewritten from bronze itself without it,
                its rejects and loaded-files bookkeeping follow the redacted raw (the rewritten files are
                not pending; raw = rows + duplicates + rejects holds); then silver and gold rebuild those
                created dates (marts and author versions included), each layer with its quality gates.
    6. verify   every layer is asked again (reject zone and DLQ too): a row left fails `make comply` (the
                events stay pending, a rerun finishes them); else the ledger gets applied_at and the rows
                removed per layer.

Why partitions and not targeted DELETEs: the Hive tables are not transactional (Trino deletes only whole
partitions). Bronze is rewritten from itself (not parsed again from raw): what it leaves equals a rebuild
of the redacted raw, table for table (tests/integration/test_comply.py checks that), at the cost of the
partitions touched. Silver and gold reuse the build for those dates, so marts and SCD2 author versions
are recomputed by the code that made them (docs/compliance.md).
"""
from __future__ import annotations

import io
import posixpath
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

from lake.errors import LakeError
from lake.pipeline import ddl, dlq_purge, lock
from lake.pipeline.layers import LAYERS, Databases, sql_file
from lake.runtime import clients, hdfs_client
from lake.settings import (COMPLY_GROUP, KAFKA_COMPLY, RAW_ROOT, REJECTED_ROOT, SPEED_PENDING_TABLE, TOPIC_COMPLIANCE,
                           TOPIC_DLQ, Settings)

LEDGER_OVERWRITE = {"hive.insert_existing_partitions_behavior": "OVERWRITE"}
# Ledger rows per INSERT ... VALUES statement (Trino's statement size stays small).
VALUES_PER_STATEMENT = 500
MATCH_LAYERS = ("bronze", "rejected", "silver", "gold", "speed")


@dataclass
class Report:
    consumed: int = 0
    recorded: int = 0
    bad_events: int = 0
    applied: int = 0
    ingest_dates: list[str] = field(default_factory=list)     # whose bronze bookkeeping changed
    created_dates: list[str] = field(default_factory=list)    # rewritten in bronze, then silver and gold
    raw_files_read: int = 0
    raw_files_rewritten: int = 0
    speed_files_rewritten: int = 0
    rejected_zone_files_rewritten: int = 0
    removed: dict[str, int] = field(default_factory=dict)   # layer -> rows removed
    pending_days_dropped: list[str] = field(default_factory=list)  # speed.compliance_pending days pruned
    stages: dict[str, float] = field(default_factory=dict)
    build: object = None                                       # lake.pipeline.build.Report of the table step
    seconds: float = 0.0

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "build"}
        d["build"] = self.build.as_dict() if self.build is not None else None
        return d

    def summary(self) -> str:
        removed = ", ".join(f"{k} {v}" for k, v in self.removed.items()) or "nothing"
        return (f"== comply done in {self.seconds:.0f}s: {self.consumed} event(s) consumed ({self.recorded} new, "
                f"{self.bad_events} bad), {self.applied} applied; removed: {removed}; "
                f"{self.raw_files_rewritten} raw and {self.speed_files_rewritten} speed file(s) rewritten; "
                f"{len(self.created_dates)} created date(s) rewritten in bronze, silver and gold")


# ---- SQL literals ---------------------------------------------------------------------------------
def _str(v) -> str:
    return "CAST(NULL AS varchar)" if v is None else "'" + str(v).replace("'", "''") + "'"


def _big(v) -> str:
    return "CAST(NULL AS bigint)" if v is None else f"BIGINT '{int(v)}'"


def _ts(v: datetime | None) -> str:
    return "CAST(NULL AS timestamp(3))" if v is None else f"TIMESTAMP '{v.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]}'"


def _in_list(values, literal) -> str:
    """SQL list for IN (...); NULL when empty (matches nothing)."""
    vals = sorted(set(values))
    return ", ".join(literal(v) for v in vals) if vals else "NULL"


def ledger_row(event_id: str, ev, pii, received_at: datetime) -> str:
    """One typed VALUES tuple of ledger_record.sql. A user id becomes bronze's author_key here and
    goes no further (the tweet delete's author id is not kept: the tweet id names the rows)."""
    from ingestion.sources import compliance as c

    key = pii.user_key(ev.user_id) if ev.kind != c.DELETE and ev.user_id else None
    return (f"({_str(event_id)}, {_str(ev.kind)}, {_big(ev.tweet_id)}, {_str(key)}, {_big(ev.up_to_tweet_id)}, "
            f"{_ts(c.event_time(ev.event_at))}, {_str(ev.format)}, {_ts(received_at)}, "
            f"DATE '{received_at.date().isoformat()}')")


# ---- 1. consume -------------------------------------------------------------------------------------
def consume(s: Settings, dbs: Databases, pii, topic: str = TOPIC_COMPLIANCE, group: str = COMPLY_GROUP,
            echo=print) -> tuple[int, int, int]:
    """(consumed, recorded, bad): the topic's events from the group's offsets to the end seen now,
    recorded in the ledger, then committed. A line that is not an event (it bypassed `make ingest`)
    goes to the DLQ with its reason and is committed too."""
    from confluent_kafka import Consumer, TopicPartition

    from ingestion import producer
    from ingestion import records as r
    from ingestion.sources import compliance as c

    who = clients.kafka_principal(KAFKA_COMPLY, topic)
    cons = Consumer(clients.kafka_config(s, principal=who, **{"group.id": group, "enable.auto.commit": False,
                                                               "auto.offset.reset": "earliest"}))
    try:
        meta = cons.list_topics(topic, timeout=30).topics.get(topic)
        if meta is None or meta.error is not None:
            raise LakeError(f"comply: Kafka topic {topic} does not exist; `make up` creates it")
        parts = sorted(meta.partitions)
        ends = {p: cons.get_watermark_offsets(TopicPartition(topic, p), timeout=30) for p in parts}
        starts = {tp.partition: tp.offset for tp in cons.committed([TopicPartition(topic, p) for p in parts], timeout=30)}
        todo = {p: (max(starts.get(p, -1), ends[p][0]), ends[p][1]) for p in parts}
        todo = {p: (a, b) for p, (a, b) in todo.items() if a < b}
        if not todo:
            return 0, 0, 0
        cons.assign([TopicPartition(topic, p, a) for p, (a, _) in todo.items()])
        rows, bad, consumed = [], [], 0
        received = datetime.now(timezone.utc).replace(tzinfo=None)
        left = {p: b for p, (_, b) in todo.items()}
        deadline = time.monotonic() + 120
        while left:
            if time.monotonic() > deadline:
                raise LakeError(f"comply: Kafka at {s.kafka_bootstrap} did not deliver {topic} up to its end in "
                                "120 s; see `make status` and the Kafka log")
            msg = cons.poll(1.0)
            if msg is None:
                continue
            if msg.error() is not None:
                raise LakeError(f"comply: reading {topic}: {msg.error()}")
            p, off = msg.partition(), msg.offset()
            if p not in left or off >= left[p]:
                continue
            consumed += 1
            try:
                ev = c.parse_bytes(msg.value() or b"")
                rows.append(ledger_row(f"{topic}:{p}:{off}", ev, pii, received))
            except c.BadEvent as e:
                bad.append(r.reject(e.reason, e.message, f"kafka:{topic}:{p}:{off}", msg.value() or b""))
            if off + 1 >= left[p]:
                del left[p]
        params = {"OPS_DB": dbs.ops}
        for i in range(0, len(rows), VALUES_PER_STATEMENT):
            clients.trino(s, sql_file(s, "dml/comply/ledger_record.sql",
                                      {**params, "ROWS": ",\n".join(rows[i:i + VALUES_PER_STATEMENT])}))
        if bad:
            prefix = topic[: -len(TOPIC_COMPLIANCE)] if topic.endswith(TOPIC_COMPLIANCE) else ""
            producer.produce(bad, s.kafka_bootstrap, source="comply", prefix=prefix, principal=who)
        # the ledger holds them: only now is the group moved past them
        cons.commit(offsets=[TopicPartition(topic, p, b) for p, (_, b) in todo.items()], asynchronous=False)
        return consumed, len(rows), len(bad)
    finally:
        cons.close()


# ---- 2. raw -----------------------------------------------------------------------------------------
@dataclass
class RawRewrite:
    files: dict[str, int] = field(default_factory=dict)      # path -> lines redacted or scrubbed
    by_tweet: Counter = field(default_factory=Counter)       # tweet id -> raw lines
    by_key: Counter = field(default_factory=Counter)         # author key -> raw lines
    authors: dict[int, str] = field(default_factory=dict)    # tweet id -> author key, of redacted lines
    scrubbed: Counter = field(default_factory=Counter)       # author key -> lines whose location went
    read: dict[str, dict] = field(default_factory=dict)      # path -> {"bytes", "redacted": [offsets]} of files read


def scrub_geo_line(line: bytes) -> bytes | None:
    """The raw record without the tweet's place and coordinates (scrub_geo); None when it has neither.
    v1.1: `place`, `coordinates`, `geo` set to null; v2: the tweet's `geo` removed, and its place
    from `includes.places`. The rest of the payload is kept, re-serialised."""
    import json

    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    changed = False
    if "data" in obj or "author_id" in obj:  # v2: a message {"data", "includes"} or twarc's flat tweet
        tweet = obj["data"] if isinstance(obj.get("data"), dict) else obj
        geo = tweet.pop("geo", None)
        changed = geo is not None
        includes = obj.get("includes") if isinstance(obj.get("includes"), dict) else {}
        place_id = geo.get("place_id") if isinstance(geo, dict) else None
        if place_id and isinstance(includes.get("places"), list):
            includes["places"] = [p for p in includes["places"] if not (isinstance(p, dict) and p.get("id") == place_id)]
    else:  # v1.1
        for k in ("place", "coordinates", "geo"):
            if obj.get(k) is not None:
                obj[k] = None
                changed = True
    # ASCII escapes: a lone surrogate in the payload stays as it was received (as \udXXX)
    return json.dumps(obj, separators=(",", ":")).encode() if changed else None


def _replace_atomically(c, path: str, data: bytes) -> None:
    """Write data beside path as a hidden file (Hive, Trino, Spark and the build skip dot-files), then
    rename it over path: HDFS's rename with OVERWRITE is one NameNode operation."""
    tmp = posixpath.join(posixpath.dirname(path), f".{posixpath.basename(path)}.comply")
    c.write(tmp, data=data, overwrite=True)
    # WebHDFS RENAME with options (HDFS rename2): 200 and an empty body when done; a refusal is an HTTP
    # error, which the hdfs library raises. The library has no wrapper for the options.
    res = c._rename(tmp, destination=path, renameoptions="OVERWRITE")
    if res.content and not res.json().get("boolean", True):
        raise LakeError(f"comply: HDFS refused to rename {tmp} over {path}; the original is untouched")


def _line_ids(line: bytes, pii, parse) -> tuple[int | None, str | None]:
    """(tweet id, author key) of a raw record, by bronze's own parser; (id or None, None) for a reject."""
    try:
        row = parse.extract(line)
    except parse.Bad as e:
        tid = e.tweet_id
        return (int(tid) if tid and tid.isdigit() else None), None
    return row["tweet_id"], pii.user_key(row["author_id"]) if row.get("author_id") is not None else None


def raw_listing(s: Settings, raw_root: str) -> dict[str, int]:
    """path -> bytes of every raw-sink file under raw_root (hidden and underscore files left out)."""
    from hdfs.util import HdfsError

    c = hdfs_client.client(s)
    try:
        walked = list(c.walk(raw_root, status=True))
    except HdfsError as e:
        if "does not exist" in str(e):
            return {}
        raise LakeError(f"comply: cannot list {raw_root}: {str(e).splitlines()[0]}") from None
    return {posixpath.join(d[0], name): st["length"] for d, _, files in walked for name, st in files
            if name.endswith(".jsonl") and not name.startswith((".", "_"))}


def raw_files(s: Settings, raw_root: str) -> list[str]:
    return sorted(raw_listing(s, raw_root))


def _file_key(path: str) -> tuple[str, str]:
    """(ingest date, file name) of a raw path: how bronze names the file it loaded a row from."""
    return path.split("ingest_date=")[1].split("/")[0], posixpath.basename(path)


@dataclass
class ToRead:
    """The raw files comply reads, and which of their lines it looks at (rewrite_raw)."""
    lines: dict[str, set[int]] = field(default_factory=dict)  # loaded file without duplicates -> line numbers
    scanned: set[str] = field(default_factory=set)             # loaded files with duplicates: lines naming `ids`
    whole: set[str] = field(default_factory=set)               # pending files: every record
    ids: set[int] = field(default_factory=set)                 # the ids bronze located, and the deleted ones

    def paths(self) -> list[str]:
        return sorted(set(self.lines) | self.scanned | self.whole)


def files_to_read(s: Settings, dbs: Databases, raw_root: str, ids: set[int], keys: set[str],
                  scrub: dict[str, int]) -> ToRead:
    """Bronze says where the records of removed tweets and authors are (raw_files_to_read.sql): the lines of
    its rows and rejects, in files without duplicates; the records naming their ids, in files with
    duplicates; every record of a file bronze has not loaded (or that changed since). Without bronze
    tables, every file is read whole."""
    from spark.transforms import parse

    listing = raw_listing(s, raw_root)
    out = ToRead()
    tables = _existing_tables(s, [dbs.bronze])
    if not {f"{dbs.bronze}.{t}" for t in ("tweets", "tweets_rejected", "tweets_loaded_files")} <= tables:
        out.whole = set(listing)
        return out
    loaded = {(str(d), f): int(b) for d, f, b in clients.trino(s, sql_file(s, "dml/comply/loaded_sizes.sql",
                                                                          dbs.params()))}
    by_key = {_file_key(p): p for p in listing}
    out.whole = {p for k, p in by_key.items() if loaded.get(k) != listing[p]}
    params = {**_params(dbs, None, ids, keys), "SCRUBS": _scrubs(scrub) or "(CAST(NULL AS varchar), CAST(NULL AS bigint))"}
    for day, name, tid, offset in clients.trino(s, sql_file(s, "dml/comply/raw_files_to_read.sql", params)):
        path = by_key.get((str(day), name))
        if path is None or path in out.whole:
            continue  # its raw file is gone (the rows still go, by the tables step)
        if tid is not None:
            out.ids.add(int(tid))
        if offset is None:  # a file with duplicates
            out.scanned.add(path)
        else:
            first = int(parse.SINK_FILE.match(name)["first"])
            out.lines.setdefault(path, set()).add(int(offset) - first)
    for path in out.scanned:
        out.lines.pop(path, None)
    out.ids |= ids
    return out


def rewrite_raw(s: Settings, dbs: Databases, raw_root: str, ids: set[int], keys: set[str], pii, echo=print,
                scrub: dict[str, int] | None = None) -> RawRewrite:
    """Redact every raw line of a removed tweet or author (module doc, step 2), and take the location
    off the lines `scrub` covers (author key -> highest tweet id of a scrub_geo event). Only the files
    files_to_read names are read; RawRewrite.read says what each holds now (size, redaction lines)."""
    scrub = scrub or {}
    from spark.transforms import parse

    out = RawRewrite()
    plan = files_to_read(s, dbs, raw_root, ids, keys, scrub)
    id_strings = {str(i).encode() for i in plan.ids}
    digits = re.compile(rb"[0-9]{6,20}")
    counting = threading.Lock()  # rewrite_files calls fix from several threads

    def fix(line: bytes, path: str) -> bytes | None:
        if not line or line == parse.REDACTED_LINE:
            return None
        whole = path in plan.whole
        # In a scanned file only lines naming an id bronze located need parsing (all of a pending one's,
        # for author keys and scrubs); a file without duplicates has its lines chosen by offset already.
        if not (whole and (keys or scrub)) and not id_strings.intersection(digits.findall(line)):
            return None
        tid, key = _line_ids(line, pii, parse)
        if tid in ids or (key is not None and key in keys):
            with counting:
                if tid is not None:
                    out.by_tweet[tid] += 1
                    if key is not None:
                        out.authors[tid] = key
                if key is not None:
                    out.by_key[key] += 1
            return parse.REDACTED_LINE
        if key in scrub and tid is not None and tid <= scrub[key]:
            new = scrub_geo_line(line)
            if new is not None:
                with counting:
                    out.scrubbed[key] += 1
            return new
        return None

    def done(path: str, lines: list[bytes], size: int) -> None:
        first = int(parse.SINK_FILE.match(posixpath.basename(path))["first"])
        out.read[path] = {"bytes": size, "redacted": [first + i for i, ln in enumerate(lines)
                                                      if ln == parse.REDACTED_LINE]}

    out.files = rewrite_files(s, plan.paths(), fix, "comply: raw files", done=done, only=plan.lines.get)
    return out


# Files rewritten at once: reading and writing over WebHDFS waits on the DataNode (the GIL is free then),
# so a few files in flight keep both cores busy; each holds its content twice (bytes and lines) meanwhile.
REWRITE_THREADS = 3


def rewrite_files(s: Settings, paths: list[str], fix, desc: str, done=None, only=None) -> dict[str, int]:
    """path -> lines changed, for each file whose lines `fix(line, path)` changes (it returns the new line, or
    None to keep the line): the file is rewritten beside itself and renamed over (module doc, step 2),
    keeping its name and line count. `done(path, lines, bytes)` after each file; `only(path)`: the line
    numbers to give `fix` (None: every line). Files are done REWRITE_THREADS at a time: `fix` and `done`
    must be safe to call from several threads."""
    from concurrent.futures import ThreadPoolExecutor

    from tqdm import tqdm

    local = threading.local()  # a WebHDFS client (a requests session) per thread

    def one(path: str) -> int:
        if not hasattr(local, "c"):
            local.c = hdfs_client.client(s)
        c = local.c
        with c.read(path) as fh:
            data = fh.read()
        lines = data.split(b"\n")
        hits = 0
        chosen = only(path) if only else None
        for i in (sorted(n for n in chosen if n < len(lines)) if chosen is not None else range(len(lines))):
            new = fix(lines[i], path)
            if new is not None:
                lines[i] = new
                hits += 1
        if hits:
            data = b"\n".join(lines)
            _replace_atomically(c, path, data)
        if done:
            done(path, lines, len(data))
        return hits

    changed = {}
    with ThreadPoolExecutor(REWRITE_THREADS) as pool, tqdm(total=len(paths), desc=desc, unit=" files",
                                                           disable=None) as bar:
        for path, hits in zip(paths, pool.map(one, paths)):
            if hits:
                changed[path] = hits
            bar.update(1)
    return changed


# ---- 2b. what never became a tweet: the raw sink's reject zone and tweets.dlq -----------------------
class Naming:
    """Does a record that never parsed as a tweet name a removed tweet or author? Such records have no
    reliable structure (invalid JSON, a truncated payload, a line of the sink's reject zone wrapping
    one), so every run of digits in it counts: a removed tweet id, or a user id whose author key
    (bronze's HMAC) is removed. Errs towards removing: a reject that merely mentions the id goes too."""

    DIGITS = re.compile(rb"(?<![0-9])[0-9]{1,20}(?![0-9])")

    def __init__(self, ids: set[int], keys: set[str], pii):
        self.ids = {str(i).encode() for i in ids}
        self.keys, self.pii = keys, pii

    def __call__(self, data: bytes) -> bool:
        from spark.transforms import parse

        if not data or data == parse.REDACTED_LINE:
            return False
        runs = set(self.DIGITS.findall(data))
        return bool(runs & self.ids) or bool(self.keys and any(self.pii.user_key(r.decode()) in self.keys
                                                                for r in runs))


def rewrite_rejected(s: Settings, rejected_root: str, names: Naming) -> dict[str, int]:
    """The raw sink's reject zone: each line naming a removed tweet or author becomes the redaction line,
    by the raw zone's own rewrite (rewrite_files)."""
    from spark.transforms import parse

    return rewrite_files(s, raw_files(s, rejected_root), lambda line, _path: parse.REDACTED_LINE if names(line) else None,
                         "comply: reject zone files")


def rejected_left(s: Settings, rejected_root: str, names: Naming) -> int:
    c = hdfs_client.client(s)
    left = 0
    for path in raw_files(s, rejected_root):
        with c.read(path) as fh:
            left += sum(names(line) for line in fh.read().split(b"\n"))
    return left


# ---- 4. speed ---------------------------------------------------------------------------------------
def rewrite_speed(s: Settings, speed_db: str, ids: set[int], keys: set[str], scrub: dict[str, int] | None = None) -> int:
    """Rewrite each speed.tweets file holding a removed row (or a location `scrub` covers), under its own
    name; returns files rewritten."""
    from urllib.parse import urlsplit

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    scrub = scrub or {}
    paths = [r[0] for r in clients.trino(s, sql_file(s, "dml/comply/speed_files.sql", _params(
        speed_db=speed_db, ids=ids, keys=keys)))]
    if scrub:
        paths += [r[0] for r in clients.trino(s, sql_file(s, "dml/comply/speed_geo_files.sql", {
            "SPEED_DB": speed_db, "SCRUBS": _scrubs(scrub)}))]
    paths = sorted(set(paths))
    c = hdfs_client.client(s)
    for uri in paths:
        path = urlsplit(uri).path
        with c.read(path) as fh:
            table = pq.read_table(io.BytesIO(fh.read()))
        gone = pc.or_(pc.is_in(table["tweet_id"], pa.array(sorted(ids), pa.int64())),
                      pc.is_in(table["author_key"], pa.array(sorted(keys), pa.string())))
        kept = table.filter(pc.invert(pc.fill_null(gone, False)))
        if scrub:
            kept = _without_geo(kept, scrub)
        buf = io.BytesIO()
        pq.write_table(kept, buf, compression="zstd")
        _replace_atomically(c, path, buf.getvalue())
    return len(paths)


def _without_geo(table, scrub: dict[str, int]):
    """An Arrow table of speed rows with the place and point of the rows `scrub` covers set to null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    up_to = pa.array([scrub.get(k) for k in table["author_key"].to_pylist()], pa.int64())
    hit = pc.fill_null(pc.less_equal(table["tweet_id"], up_to), False)
    if "country_source" in table.column_names:  # a country from the place goes; one from the profile stays
        from_place = pc.fill_null(pc.equal(table["country_source"], "place"), False)
    else:
        from_place = hit
    for names, where in ((SPEED_GEO_COLUMNS, hit), (SPEED_PLACE_COUNTRY_COLUMNS, pc.and_(hit, from_place))):
        for name in names:
            if name in table.column_names:
                col = table[name]
                table = table.set_column(table.column_names.index(name), name,
                                         pc.if_else(where, pa.nulls(len(table), col.type), col))
    return table


# silver/speed columns of a tweet's location (bronze's are spark/jobs/build_bronze.py GEO_COLUMNS), and
# the country columns silver derives from the place (country_source 'place', spark/enrich/geo.py resolve)
SPEED_GEO_COLUMNS = ("place_id", "place_name", "place_full_name", "place_type", "geo_lat", "geo_lon")
SPEED_PLACE_COUNTRY_COLUMNS = ("country", "region", "country_source")


def _scrubs(scrub: dict[str, int]) -> str:
    return ", ".join(f"({_str(k)}, {_big(v)})" for k, v in sorted(scrub.items()))


# ---- 5. bronze, silver, gold ----------------------------------------------------------------------
def apply_to_tables(s: Settings, dbs: Databases, raw: RawRewrite, master, echo):
    """The build's application in its comply mode (spark/jobs/comply_bronze.py): bronze rewritten in place
    from itself, then silver and gold of the created dates it rewrote, each layer with its gates."""
    import json
    import tempfile

    from lake.pipeline import build

    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="lake-comply-") as fh:
        json.dump({"files": raw.read}, fh)
        fh.flush()
        return build._run_locked(s, None, False, LAYERS, dbs, master, echo, comply=fh.name)  # we hold the lock


# ---- counting -------------------------------------------------------------------------------------
def _params(dbs: Databases | None = None, speed_db: str | None = None, ids=(), keys=(), id_strings=()) -> dict:
    p = dict(dbs.params()) if dbs else {}
    if speed_db:
        p["SPEED_DB"] = speed_db
    p.update(TWEET_IDS=_in_list(ids, lambda v: str(int(v))), AUTHOR_KEYS=_in_list(keys, _str),
             TWEET_ID_STRINGS=_in_list(id_strings or [str(i) for i in ids], _str))
    return p


def _existing_tables(s: Settings, schemas: list[str]) -> set[str]:
    listed = ", ".join(f"'{x}'" for x in schemas)
    return {f"{a}.{b}" for a, b in clients.trino(s, "SELECT table_schema, table_name FROM hive.information_schema."
                                                    f"tables WHERE table_schema IN ({listed})")}


def _layer_tables(dbs: Databases) -> dict[str, str]:
    return {"bronze": f"{dbs.bronze}.tweets", "rejected": f"{dbs.bronze}.tweets_rejected",
            "silver": f"{dbs.silver}.tweets", "gold": f"{dbs.gold}.fact_tweets", "speed": f"{dbs.prefix}speed.tweets"}


def match_geo(s: Settings, dbs: Databases, scrub: dict[str, int], tables: set[str]) -> dict[str, list[tuple]]:
    """layer -> [(tweet_id, author_key, rows)] still holding a location `scrub` covers."""
    out = {}
    if not scrub:
        return out
    for layer in ("bronze", "silver", "speed"):
        if _layer_tables(dbs)[layer] in tables:
            params = {**_params(dbs, f"{dbs.prefix}speed"), "SCRUBS": _scrubs(scrub)}
            out[layer] = [tuple(r) for r in clients.trino(s, sql_file(s, f"dml/comply/match_geo_{layer}.sql", params))]
    return out


def match(s: Settings, dbs: Databases, ids: set[int], keys: set[str], rejected_ids: set[int],
          tables: set[str]) -> dict[str, list[tuple]]:
    """layer -> [(tweet_id, author_key, rows)] of removed tweets or authors still there."""
    out = {}
    for layer, table in _layer_tables(dbs).items():
        if table not in tables:
            continue
        params = _params(dbs, f"{dbs.prefix}speed", ids, keys,
                         [str(i) for i in rejected_ids] if layer == "rejected" else ())
        out[layer] = [tuple(r) for r in clients.trino(s, sql_file(s, f"dml/comply/match_{layer}.sql", params))]
    return out


def per_event(pending: list[tuple], found: dict[str, list[tuple]], raw: RawRewrite,
              geo: dict[str, list[tuple]] | None = None) -> dict[str, dict[str, int]]:
    """event_id -> layer -> rows it names (a row named by two events counts for both); for scrub_geo,
    the rows whose location it removed."""
    from ingestion.sources import compliance as c

    out = {}
    for event_id, kind, tweet_id, author_key, up_to, _ in pending:
        if kind == c.SCRUB_GEO:
            out[event_id] = {layer: sum(n for tid, key, n in rows if key == author_key and tid <= up_to)
                             for layer, rows in (geo or {}).items()}
            out[event_id]["raw"] = raw.scrubbed.get(author_key, 0)
            continue
        counts = {}
        for layer, rows in found.items():
            if kind == c.DELETE:
                counts[layer] = sum(n for tid, _, n in rows if tid == tweet_id)
            elif layer == "rejected":  # rejects have no author key: the user's tweet ids found in raw
                counts[layer] = sum(n for tid, _, n in rows if raw.authors.get(tid) == author_key)
            else:
                counts[layer] = sum(n for tid, key, n in rows if key == author_key and tid is not None)
        counts["raw"] = raw.by_tweet.get(tweet_id, 0) if kind == c.DELETE else raw.by_key.get(author_key, 0)
        out[event_id] = counts
    return out


# ---- the whole run ----------------------------------------------------------------------------------
def run(s: Settings, dbs: Databases = Databases(), topic: str = TOPIC_COMPLIANCE, group: str = COMPLY_GROUP,
        raw_root: str = RAW_ROOT, master: str | None = None, echo=print, rejected_root: str = REJECTED_ROOT,
        dlq_topic: str = TOPIC_DLQ) -> Report:
    with lock.build_lock(s, dbs.prefix, what="lake comply", echo=echo):
        return _run_locked(s, dbs, topic, group, raw_root, master, echo, rejected_root, dlq_topic)


def _run_locked(s: Settings, dbs: Databases, topic: str, group: str, raw_root: str, master, echo,
                rejected_root: str = REJECTED_ROOT, dlq_topic: str = TOPIC_DLQ) -> Report:
    from ingestion.sources.compliance import APPLIED, DELETE, SCRUB_GEO
    from spark.transforms import pii as pii_mod

    t0 = time.monotonic()
    rep = Report()

    def stage(name: str, t: float) -> None:
        rep.stages[name] = round(time.monotonic() - t, 2)

    pii = pii_mod.from_env()
    t = time.monotonic()
    ddl.apply_layer(s, "ops", **dbs.params())
    rep.consumed, rep.recorded, rep.bad_events = consume(s, dbs, pii, topic, group, echo)
    stage("consume", t)
    echo(f"== comply: {rep.consumed} event(s) read from {topic}: {rep.recorded} recorded in "
         f"{dbs.ops}.compliance_events, {rep.bad_events} bad (to the DLQ)")
    pending = [tuple(r) for r in clients.trino(s, sql_file(s, "dml/comply/ledger_pending.sql", {
        "OPS_DB": dbs.ops, "APPLIED_KINDS": _in_list(APPLIED, _str)}))]
    if not pending:
        echo("== comply: no pending event to apply")
        rep.pending_days_dropped = prune_pending(s, dbs, echo)
        rep.seconds = time.monotonic() - t0
        return rep
    ids = {int(tid) for _, kind, tid, _, _, _ in pending if kind == DELETE and tid is not None}
    keys = {key for _, kind, _, key, _, _ in pending if kind not in (DELETE, SCRUB_GEO) and key}
    scrub: dict[str, int] = {}
    for _, kind, _, key, up_to, _ in pending:
        if kind == SCRUB_GEO and key and up_to is not None:
            scrub[key] = max(scrub.get(key, 0), int(up_to))
    echo(f"== comply: applying {len(pending)} event(s): {len(ids)} tweet(s), {len(keys)} author(s) removed, "
         f"{len(scrub)} author(s)' locations scrubbed")
    tables = _existing_tables(s, sorted({x.split(".")[0] for x in _layer_tables(dbs).values()}))

    t = time.monotonic()
    raw = rewrite_raw(s, dbs, raw_root, ids, keys, pii, echo, scrub)
    rep.raw_files_rewritten, rep.raw_files_read = len(raw.files), len(raw.read)
    stage("raw rewrite", t)
    t = time.monotonic()
    # A reject or DLQ record has no reliable structure to take only a location out of: one naming an author
    # whose locations a scrub_geo removes goes whole, as one naming a removed author (errs towards removing).
    names = Naming(ids, keys | set(scrub), pii)
    rejected_zone = rewrite_rejected(s, rejected_root, names) if ids or keys or scrub else {}
    rep.rejected_zone_files_rewritten = len(rejected_zone)
    dlq = dlq_purge.purge(s, dlq_topic, names) if ids or keys or scrub else {}
    stage("reject zone and DLQ", t)
    echo(f"== comply: {sum(rejected_zone.values())} line(s) of the raw sink's reject zone redacted in "
         f"{len(rejected_zone)} file(s); {sum(dlq.values())} record(s) removed from {dlq_topic}")
    rejected_ids = ids | set(raw.by_tweet)
    before = match(s, dbs, ids, keys, rejected_ids, tables)
    geo_before = match_geo(s, dbs, scrub, tables)
    echo(f"== comply: {sum(raw.files.values())} raw line(s) redacted or scrubbed in {len(raw.files)} file(s) "
         f"of {len(raw.read)} read")
    # The speed layer before the rebuild: a tweet only the speed layer holds (the newest ones) leaves
    # serving.tweets seconds after the event is consumed, not after the rebuild's minutes.
    if f"{dbs.prefix}speed.tweets" in tables:
        t = time.monotonic()
        rep.speed_files_rewritten = rewrite_speed(s, f"{dbs.prefix}speed", ids, keys, scrub)
        stage("speed rewrite", t)
    if f"{dbs.bronze}.tweets" in tables:
        t = time.monotonic()
        rep.build = apply_to_tables(s, dbs, raw, master, echo)
        rep.ingest_dates, rep.created_dates = rep.build.ingest_dates, rep.build.created_dates
        stage("bronze, silver, gold in place", t)

    left = {layer: rows for layer, rows in match(s, dbs, ids, keys, rejected_ids, tables).items() if rows}
    left.update({f"{layer} (location)": rows for layer, rows in match_geo(s, dbs, scrub, tables).items() if rows})
    if ids or keys or scrub:
        for layer, n in (("raw reject zone", rejected_left(s, rejected_root, names)),
                         (dlq_topic, sum(dlq_purge.purge(s, dlq_topic, names, dry_run=True).values()))):
            if n:
                left[layer] = [(None, None, n)]
    if left:
        what = "; ".join(f"{layer}: {sum(n for *_, n in rows)} row(s)" for layer, rows in left.items())
        raise LakeError(f"comply: rows of removed tweets are still there after applying ({what}); the events "
                        "stay pending: rerun `make comply`")
    counts = per_event(pending, before, raw, geo_before)
    rep.removed = {"raw": sum(raw.files.values()) - sum(raw.scrubbed.values()),
                   **{layer: sum(n for tid, _, n in rows if tid is not None) for layer, rows in before.items()},
                   "raw reject zone": sum(rejected_zone.values()), "dlq": sum(dlq.values())}
    if scrub:
        rep.removed.update({"raw (location)": sum(raw.scrubbed.values()),
                            **{f"{layer} (location)": sum(n for *_, n in rows) for layer, rows in geo_before.items()}})
    applied_at = datetime.now(timezone.utc).replace(tzinfo=None)
    values = [f"({_str(eid)}, {_ts(applied_at)}, " + ", ".join(
        _big(counts[eid].get(layer, 0)) for layer in ("raw", "bronze", "rejected", "silver", "gold", "speed")) + ")"
        for eid, *_ in pending]
    received = sorted({str(r[5]) for r in pending})
    for i in range(0, len(values), VALUES_PER_STATEMENT):
        # one statement per chunk rewrites every received date: later chunks see earlier ones' results
        clients.trino(s, sql_file(s, "dml/comply/ledger_applied.sql", {
            "OPS_DB": dbs.ops, "APPLIED": ",\n".join(values[i:i + VALUES_PER_STATEMENT]),
            "RECEIVED_DATES": ", ".join(f"DATE '{d}'" for d in received)}), session=LEDGER_OVERWRITE)
    rep.applied = len(pending)
    rep.pending_days_dropped = prune_pending(s, dbs, echo)
    rep.seconds = time.monotonic() - t0
    echo(rep.summary())
    return rep


def prune_pending(s: Settings, dbs: Databases, echo=print) -> list[str]:
    """Drop the closed days of the speed layer's compliance_pending whose every event the ledger records as
    applied (hive/dml/comply/pending_prunable.sql): the serving view no longer needs them, and the table stays
    as small as the events not yet applied."""
    speed_db = f"{dbs.prefix}speed"
    if f"{speed_db}.{SPEED_PENDING_TABLE}" not in _existing_tables(s, [speed_db]):
        return []
    params = {"SPEED_DB": speed_db, "OPS_DB": dbs.ops, "PENDING_TABLE": SPEED_PENDING_TABLE}
    days = [str(r[0]) for r in clients.trino(s, sql_file(s, "dml/comply/pending_prunable.sql", params))]
    for day in days:
        clients.trino(s, sql_file(s, "dml/comply/pending_drop.sql", {**params, "RECEIVED_DATE": day}))
    if days:
        echo(f"== comply: {speed_db}.{SPEED_PENDING_TABLE}: dropped {len(days)} day(s) whose events are applied "
             f"({', '.join(days)})")
    return days
