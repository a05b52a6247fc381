"""The raw sink's two-phase roll on HDFS, and its recovery after a crash.

Per Kafka partition, under <state_root>/<topic>/p=<partition>/:

    tmp/<first>-<token>/    a roll being written: one file per segment (see below), and one per
                            segment that had rejects
    rolls/<first>-<last>/   a roll whose files are all written; its files are being moved into place.
                            Once empty it stays as the partition's "landed up to <last>" marker
                            until the next roll's marker exists.

A roll:
  1. (OpenRoll) while the sink consumes, each (date, hour) file of the roll is
     streamed into tmp/<first>-<token>/ (one chunked WebHDFS upload per file,
     fed as records arrive, so the upload overlaps consuming);
  2. (RollStore.land) the uploads are closed (and rejects written), then
     tmp/<first>-<token> is renamed to rolls/<first>-<last>: one atomic
     NameNode call that says "every file of this roll is complete" (the intent
     of the two-phase commit; it used to be an intent.json file, whose close
     cost a second DataNode round trip and often a 0.4 s completeFile retry);
  3. each file is renamed to its final name (work name + range say where);
  4. the caller commits offset <last>+1 to Kafka; the previous marker is removed.

A roll is cut into segments: runs of consecutive offsets that share an ingest
(date, hour). The sink never moves a partition's hour backwards inside a roll
(a record stamped before the current segment's hour joins it), so segments are
contiguous and each file covers exactly one offset range. Each file is named by
its own segment's range, so a roll that crosses an hour (or a day) lands files
with distinct names: readers key files by (ingest date, name), and bronze
derives each line's Kafka offset from the range. A working file is named
raw-<date>-<hour>-<segment first offset> (rejected-<date>-<hour>-<first>): the
segment firsts of a roll and its last offset give every segment's range.

Recovery (recover()) finishes the moves of every marker, deletes tmp/ (rolls
cut short before step 2, never visible), and returns <last of the newest
marker>+1: the sink resumes at max(that, committed offset). A crash at any
point therefore redoes a roll none of whose files became visible, or completes
one whose files were all written: no offset is lost and none lands twice.
The random token keeps a stray upload of an abandoned roll out of any later
roll that starts at the same offset.

Rolls of different partitions run in several threads at once: each thread
has its own WebHDFS client.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Callable

log = logging.getLogger("raw-sink")


class SinkError(RuntimeError):
    pass


# DataNodes a file's CREATE skips, at most, when the one the NameNode chose refuses the connection.
CREATE_EXCLUDED_MAX = 3


# (ingest_date, ingest_hour, first offset): a run of consecutive offsets of one roll in one hour
Segment = tuple[str, str, int]


def file_name(topic: str, partition: int, first: int, last: int) -> str:
    # Zero-padded so that a folder listing sorts by offset.
    return f"{topic}+{partition}+{first:019d}+{last:019d}.jsonl"


def parse_file_name(name: str) -> tuple[str, int, int, int]:
    topic, partition, first, last = name.removesuffix(".jsonl").rsplit("+", 3)
    return topic, int(partition), int(first), int(last)


def range_name(first: int, last: int) -> str:
    return f"{first:019d}-{last:019d}"


def parse_range_name(name: str) -> tuple[int, int]:
    first, last = name.split("-")
    return int(first), int(last)


@dataclass
class Landed:
    """What one finished roll landed: offsets first..last of a partition."""

    partition: int
    first: int
    last: int
    records: int
    rejected: int
    slots: list[tuple[str, str]]      # (ingest_date, ingest_hour) folders that received records
    files: int
    seconds: float                    # closing the uploads through the moves
    reason: str                       # why it rolled: size, age, caught_up, stop


class Layout:
    """Where a roll's files live: in the state dir while rolling, and finally in the raw/rejected zones.

    The working file names of a roll and its offset range determine every final
    path, so recovery needs no side file (see the module doc and final_paths()).
    """

    def __init__(self, topic: str, raw_root: str, rejected_root: str, state_root: str):
        self.topic, self.raw_root, self.rejected_root = topic, raw_root, rejected_root
        self.state_root = state_root

    def state_dir(self, partition: int) -> str:
        return f"{self.state_root}/{self.topic}/p={partition}"

    def tmp_dir(self, partition: int) -> str:
        return f"{self.state_dir(partition)}/tmp"

    def rolls_dir(self, partition: int) -> str:
        return f"{self.state_dir(partition)}/rolls"

    def legacy_intent(self, partition: int) -> str:
        return f"{self.state_dir(partition)}/intent.json"

    @staticmethod
    def raw_work_name(seg: Segment) -> str:
        day, hour, first = seg
        return f"raw-{day}-{hour}-{first:019d}"

    @staticmethod
    def rejected_work_name(seg: Segment) -> str:
        day, hour, first = seg
        return f"rejected-{day}-{hour}-{first:019d}"

    @staticmethod
    def parse_work_name(name: str) -> tuple[str, str, str | None, int | None]:
        """(kind, ingest date, hour, segment first offset); hour and first are None for names of
        sinks before segments (raw-<date>-<hour>, rejected-<date>: one file per slot and roll)."""
        kind, _, rest = name.partition("-")
        parts = rest.split("-")
        try:
            if kind in ("raw", "rejected") and len(parts) == 5 and len(parts[4]) == 19:
                return kind, "-".join(parts[:3]), parts[3], int(parts[4])
            if kind == "raw" and len(parts) == 4 and len(parts[3]) == 2:
                return kind, "-".join(parts[:3]), parts[3], None
            if kind == "rejected" and len(parts) == 3:
                return kind, rest, None, None
        except ValueError:
            pass
        raise SinkError(f"unexpected file {name!r} in the raw sink's state dir")

    def final_paths(self, work_names: list[str], partition: int, first: int, last: int) -> dict[str, str]:
        """Where each working file of the roll first..last goes, in the order the files must move.

        A segment ends where the next one starts (the roll's segments are contiguous), the last
        one at the roll's last offset. Files move segment by segment in offset order, so after a
        crash the files left in a marker are those of a tail of the segments (the first of which
        may have lost its raw file, never its successors): recomputing the ranges from what is
        left still gives every remaining file its own range."""
        parsed = {name: self.parse_work_name(name) for name in work_names}
        starts = sorted({f for _, _, _, f in parsed.values() if f is not None})
        ends = {s: e - 1 for s, e in zip(starts, starts[1:])}
        if starts:
            ends[starts[-1]] = last
        out = {}
        for name, (kind, day, hour, seg_first) in sorted(parsed.items(), key=lambda kv: (kv[1][3] or 0, kv[1][0])):
            lo, hi = (first, last) if seg_first is None else (seg_first, ends[seg_first])
            fname = file_name(self.topic, partition, lo, hi)
            out[name] = (f"{self.raw_root}/ingest_date={day}/ingest_hour={hour}/{fname}" if kind == "raw"
                         else f"{self.rejected_root}/ingest_date={day}/{fname}")
        return out


class Upload:
    """One file streamed to HDFS while its lines are consumed: a chunked WebHDFS CREATE fed from a queue.

    A thread runs the request; write() only queues the list of lines, so the
    consume loop never waits for HDFS nor copies payload bytes. The thread
    frames each list as one HTTP chunk with a single bytes.join, which CPython
    runs without the GIL for large buffers. (The hdfs library's streaming
    write goes through urllib3, which frames every chunk with a %-format copy
    under the GIL: about 10 ms per 9 MB chunk, taken from the consume loop.)
    close() ends the body and waits for the DataNode to close the file; an
    upload error surfaces there.
    """

    def __init__(self, store: "RollStore", path: str):
        self.path = path
        self._chunks: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(store,), name="upload", daemon=True)
        self._thread.start()

    def _run(self, store: "RollStore") -> None:
        try:
            store.stream(self.path, iter(self._chunks.get, None))
        except BaseException as e:  # noqa: BLE001 - handed to close()
            self._error = e

    def write(self, lines: list[bytes]) -> None:
        """Append lines (each without its line break) to the file."""
        self._chunks.put(lines)

    def close(self) -> None:
        self._chunks.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def chunk_frame(lines: list[bytes]) -> bytes:
    """One HTTP/1.1 chunk (size line, data, CRLF) whose data is the lines, each ended by a line break.

    One join builds it: b"\n".join([b"<size>\r", l1, ..., ln, b"\r\n"]) is
    "<size>\r\n" l1 "\n" ... ln "\n" "\r\n".
    """
    size = sum(map(len, lines)) + len(lines)
    return b"\n".join([b"%X\r" % size, *lines, b"\r\n"])


class OpenRoll:
    """The roll a partition is filling: its files stream to tmp/<first>-<token>/ as records arrive."""

    def __init__(self, store: "RollStore", partition: int, first: int):
        self.store, self.partition, self.first = store, partition, first
        self.work = f"{store.layout.tmp_dir(partition)}/{first:019d}-{uuid.uuid4().hex[:12]}"
        self.uploads: dict[Segment, Upload] = {}
        self.counts: dict[Segment, int] = {}
        self.rejects: dict[Segment, list[bytes]] = {}
        self.reason = "stop"   # set by the sink when it hands the roll over

    def add(self, seg: Segment, lines: list[bytes]) -> None:
        """Append payload lines to the segment's file (one chunk of the upload)."""
        upload = self.uploads.get(seg)
        if upload is None:
            upload = self.uploads[seg] = Upload(self.store, f"{self.work}/{Layout.raw_work_name(seg)}")
            self.counts[seg] = 0
        upload.write(lines)
        self.counts[seg] += len(lines)

    def reject(self, seg: Segment, line: bytes) -> None:
        self.rejects.setdefault(seg, []).append(line)

    def abandon(self) -> None:
        """End the uploads without landing anything (partition revoked); recovery deletes tmp/."""
        for upload in self.uploads.values():
            try:
                upload.close()
            except Exception:  # noqa: BLE001 - nothing of this roll is used
                pass


class RollStore:
    def __init__(self, layout: Layout, client_factory: Callable[[], object], timeout: float = 60):
        self.layout, self.timeout = layout, timeout
        self._client_factory = client_factory
        self._local = threading.local()
        self._known_dirs: set[str] = set()   # final folders made by this process: one MKDIRS per folder
        self._markers: dict[int, str] = {}   # partition -> its newest marker (rolls/<range>)
        self._lock = threading.Lock()

    @property
    def hdfs(self):
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._client_factory()
        return client

    def stream(self, path: str, chunks) -> None:
        """Create path (overwriting) with the lines of each list in chunks: WebHDFS's two steps by hand.

        The NameNode answers CREATE with the DataNode URL to send the data to
        (the hdfs library's request, without following the redirect); the data
        goes there as a chunked PUT on a plain http.client connection.
        """
        import http.client
        from urllib.parse import urlsplit

        excluded: list[str] = []
        while True:
            # A DataNode killed a moment ago still counts as live at the NameNode (for minutes, until its
            # heartbeats expire), so CREATE may send the data to one that refuses the connection. Nothing
            # of the file is sent yet: ask again without that DataNode (WebHDFS's excludedatanodes).
            params = {"excludedatanodes": ",".join(excluded)} if excluded else {}
            url = urlsplit(self.hdfs._create(path, overwrite=True, **params).headers["location"])
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=self.timeout)
            try:
                conn.connect()
                break
            except OSError as e:
                conn.close()
                if len(excluded) >= CREATE_EXCLUDED_MAX:
                    raise SinkError(f"WebHDFS CREATE {path}: no DataNode answers (tried {', '.join(excluded)} "
                                    f"and {url.hostname}:{url.port}): {e}") from e
                log.warning("WebHDFS CREATE %s: DataNode %s:%s does not answer (%s); asking the NameNode for "
                            "another", path, url.hostname, url.port, e)
                excluded.append(url.hostname)
        try:
            conn.putrequest("PUT", f"{url.path}?{url.query}", skip_accept_encoding=True)
            conn.putheader("Transfer-Encoding", "chunked")
            conn.putheader("Content-Type", "application/octet-stream")
            conn.endheaders()
            for lines in chunks:
                if lines:
                    conn.send(chunk_frame(lines))
            conn.send(b"0\r\n\r\n")
            res = conn.getresponse()
            body = res.read()
            if res.status != 201:
                raise SinkError(f"WebHDFS CREATE {path} at {url.hostname}:{url.port} answered {res.status}: "
                                f"{body[:300].decode(errors='replace')}")
        finally:
            conn.close()

    def _exists(self, path: str) -> bool:
        return self.hdfs.status(path, strict=False) is not None

    def _makedirs(self, path: str) -> None:
        self.hdfs.makedirs(path)
        with self._lock:
            self._known_dirs.add(path)

    def _move(self, src: str, dst: str) -> None:
        """Rename a complete file to its final name; never over an existing file."""
        from hdfs.util import HdfsError

        parent = str(PurePosixPath(dst).parent)
        if parent not in self._known_dirs:
            self._makedirs(parent)
        try:
            self.hdfs.rename(src, dst)
        except HdfsError:
            # The folder was known but removed by hand since: make it again and retry once.
            self._makedirs(parent)
            self.hdfs.rename(src, dst)

    # ------------------------------------------------------------------ rolling
    def land(self, roll: OpenRoll, last: int) -> Landed:
        """Steps 2-3 of a roll (see the module doc); the caller commits the offsets afterwards."""
        t0 = time.monotonic()
        p, layout = roll.partition, self.layout
        for upload in roll.uploads.values():
            upload.close()
        for seg, lines in sorted(roll.rejects.items()):
            self.hdfs.write(f"{roll.work}/{layout.rejected_work_name(seg)}", data=b"\n".join(lines) + b"\n",
                            overwrite=True)
        marker = f"{layout.rolls_dir(p)}/{range_name(roll.first, last)}"
        self.hdfs.rename(roll.work, marker)                   # phase 1 done: all files complete
        names = [layout.raw_work_name(seg) for seg in sorted(roll.uploads)]
        names += [layout.rejected_work_name(seg) for seg in sorted(roll.rejects)]
        for work_name, final in layout.final_paths(names, p, roll.first, last).items():
            self._move(f"{marker}/{work_name}", final)
        previous, self._markers[p] = self._markers.get(p), marker
        if previous:
            # The new marker says more than the previous one: the previous is no longer needed.
            try:
                self.hdfs.delete(previous, recursive=True)
            except Exception as e:  # noqa: BLE001 - a stale marker is harmless; recovery removes it
                log.warning("partition %d: could not remove the old marker %s: %s", p, previous, e)
        return Landed(p, roll.first, last, sum(roll.counts.values()), sum(len(v) for v in roll.rejects.values()),
                      sorted({(day, hour) for day, hour, _ in roll.uploads}), len(names), time.monotonic() - t0,
                      roll.reason)

    # ------------------------------------------------------------------ recovery
    def _finish(self, partition: int, rng: str) -> None:
        marker = f"{self.layout.rolls_dir(partition)}/{rng}"
        first, last = parse_range_name(rng)
        for work_name, final in self.layout.final_paths(self.hdfs.list(marker), partition, first, last).items():
            if not self._exists(final):
                self._move(f"{marker}/{work_name}", final)

    def _recover_legacy_intent(self, partition: int) -> int:
        """Sinks before this layout kept one intent.json per partition with explicit (tmp, final) pairs."""
        path = self.layout.legacy_intent(partition)
        if not self._exists(path):
            return -1
        try:
            with self.hdfs.read(path) as r:
                intent = json.loads(r.read())
        except ValueError:
            intent = None  # cut short while being written, before any rename started
        if intent:
            for tmp, final in intent["moves"]:
                if self._exists(final):
                    continue
                if not self._exists(tmp):
                    raise SinkError(f"roll {intent['first']}..{intent['last']} of partition {partition}: "
                                    f"neither {tmp} nor {final} exists; the raw zone was changed by hand")
                self._move(tmp, final)
            # Carry the "landed up to" fact over to the new layout before dropping the intent.
            self.hdfs.makedirs(f"{self.layout.rolls_dir(partition)}/{range_name(intent['first'], intent['last'])}")
        self.hdfs.delete(path)
        return intent["last"] + 1 if intent else -1

    def recover(self, partition: int) -> int:
        """Finish the partition's written rolls; returns the next offset to land (-1: none landed yet)."""
        rolls = self.layout.rolls_dir(partition)
        self.hdfs.makedirs(rolls)
        landed_next = self._recover_legacy_intent(partition)
        markers = sorted(self.hdfs.list(rolls))
        for rng in markers:
            self._finish(partition, rng)
        if markers:
            landed_next = max(landed_next, parse_range_name(markers[-1])[1] + 1)
            for rng in markers[:-1]:
                self.hdfs.delete(f"{rolls}/{rng}", recursive=True)
            self._markers[partition] = f"{rolls}/{markers[-1]}"
        # Whatever is left in tmp/ was never renamed into rolls/: not a complete roll, never visible.
        self.hdfs.delete(self.layout.tmp_dir(partition), recursive=True)
        return landed_next
