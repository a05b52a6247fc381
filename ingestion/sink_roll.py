"""The raw sink's two-phase roll on HDFS, and its recovery after a crash.

Per Kafka partition, under <state_root>/<topic>/p=<partition>/:

    tmp/<first>-<last>/     a roll being written: one file per (ingest date, hour), one per reject date
    rolls/<first>-<last>/   a roll whose files are all written; its files are being moved into place.
                            Once empty it stays as the partition's "landed up to <last>" marker
                            until the next roll's marker exists.

A roll (land()):
  1. writes every file of the batch into tmp/<range>/ (WebHDFS creates the folder);
  2. renames tmp/<range> to rolls/<range>: one atomic NameNode call that says
     "every file of this roll is complete" (this is the intent of the two-phase
     commit; it used to be an intent.json file, whose close cost a second
     DataNode round trip and often a 0.4 s completeFile retry);
  3. renames each file to its final name (the file name alone says where);
  4. the caller commits offset <last>+1 to Kafka, and the previous marker is removed.

Recovery (recover()) finishes the moves of every marker, deletes tmp/ (rolls
cut short before step 2, never visible), and returns <last of the newest
marker>+1: the sink resumes at max(that, committed offset). A crash at any
point therefore redoes a roll none of whose files became visible, or completes
one whose files were all written: no offset is lost and none lands twice.

Methods may run in several threads at once (one roll per partition at a
time): each thread has its own WebHDFS client.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Callable

log = logging.getLogger("raw-sink")


class SinkError(RuntimeError):
    pass


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
class Batch:
    """What one roll of one partition lands: offsets first..last, lines grouped by destination folder."""

    partition: int
    first: int
    last: int
    raw: dict[tuple[str, str], list[bytes]]      # (ingest_date, ingest_hour) -> payload lines
    rejects: dict[str, list[bytes]]              # ingest_date -> reject records

    @property
    def records(self) -> int:
        return sum(len(v) for v in self.raw.values())

    @property
    def rejected(self) -> int:
        return sum(len(v) for v in self.rejects.values())


@dataclass
class Landed:
    batch: Batch
    files: int
    seconds: float


class Layout:
    """Where a roll's files live: in the state dir while rolling, and finally in the raw/rejected zones.

    A working file's name alone determines its final path, so recovery needs no
    side file: raw-<date>-<hour>-<final name> or rejected-<date>-<final name>.
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
    def raw_work_name(day: str, hour: str, name: str) -> str:
        return f"raw-{day}-{hour}-{name}"

    @staticmethod
    def rejected_work_name(day: str, name: str) -> str:
        return f"rejected-{day}-{name}"

    def final_path(self, work_name: str) -> str:
        """raw-YYYY-MM-DD-HH-<name> -> <raw_root>/ingest_date=.../ingest_hour=../<name>; rejected-... likewise."""
        if work_name.startswith("raw-"):
            day, hour, name = work_name[4:14], work_name[15:17], work_name[18:]
            return f"{self.raw_root}/ingest_date={day}/ingest_hour={hour}/{name}"
        if work_name.startswith("rejected-"):
            day, name = work_name[9:19], work_name[20:]
            return f"{self.rejected_root}/ingest_date={day}/{name}"
        raise SinkError(f"unexpected file {work_name!r} in the raw sink's state dir")

    def work_files(self, batch: Batch) -> list[tuple[str, list[bytes]]]:
        name = file_name(self.topic, batch.partition, batch.first, batch.last)
        files = [(self.raw_work_name(day, hour, name), lines) for (day, hour), lines in sorted(batch.raw.items())]
        files += [(self.rejected_work_name(day, name), lines) for day, lines in sorted(batch.rejects.items())]
        return files


class RollStore:
    def __init__(self, layout: Layout, client_factory: Callable[[], object]):
        self.layout = layout
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
    def land(self, batch: Batch) -> Landed:
        """Steps 1-3 of a roll (see the module doc); the caller commits the offsets afterwards."""
        t0 = time.monotonic()
        p, rng = batch.partition, range_name(batch.first, batch.last)
        work = f"{self.layout.tmp_dir(p)}/{rng}"
        files = self.layout.work_files(batch)
        for work_name, lines in files:
            self.hdfs.write(f"{work}/{work_name}", data=b"\n".join(lines) + b"\n", overwrite=True)
        marker = f"{self.layout.rolls_dir(p)}/{rng}"
        self.hdfs.rename(work, marker)                        # phase 1 done: all files written
        for work_name, _ in files:
            self._move(f"{marker}/{work_name}", self.layout.final_path(work_name))
        previous, self._markers[p] = self._markers.get(p), marker
        if previous:
            # The new marker says more than the previous one: the previous is no longer needed.
            try:
                self.hdfs.delete(previous, recursive=True)
            except Exception as e:  # noqa: BLE001 - a stale marker is harmless; recovery removes it
                log.warning("partition %d: could not remove the old marker %s: %s", p, previous, e)
        return Landed(batch, len(files), time.monotonic() - t0)

    # ------------------------------------------------------------------ recovery
    def _finish(self, marker: str) -> None:
        for work_name in self.hdfs.list(marker):
            final = self.layout.final_path(work_name)
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
            self._finish(f"{rolls}/{rng}")
        if markers:
            landed_next = max(landed_next, parse_range_name(markers[-1])[1] + 1)
            for rng in markers[:-1]:
                self.hdfs.delete(f"{rolls}/{rng}", recursive=True)
            self._markers[partition] = f"{rolls}/{markers[-1]}"
        # Whatever is left in tmp/ was never renamed into rolls/: not a complete roll, never visible.
        self.hdfs.delete(self.layout.tmp_dir(partition), recursive=True)
        return landed_next
