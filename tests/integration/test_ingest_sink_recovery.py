"""The raw sink's two-phase roll on the real HDFS, stopped at each step a crash can stop it.

Each test lands or half-lands rolls in its own sandbox dir with the sink's own
RollStore, then runs recovery as a restarted sink would, and checks what is
visible and where the sink resumes. The kill -9 test in test_ingest.py covers
the same design end to end with Kafka; these pin down each crash point.
"""
from __future__ import annotations

import json

import pytest

from ingestion.sink_roll import Batch, Layout, RollStore, SinkError, file_name, range_name
from lake import hdfs_client

TOPIC = "it.tweets.raw"
DAY = "2026-11-23"


@pytest.fixture
def store(lake, sandbox):
    layout = Layout(TOPIC, f"{sandbox.hdfs_dir}/raw", f"{sandbox.hdfs_dir}/rejected", f"{sandbox.hdfs_dir}/state")
    return RollStore(layout, lambda: hdfs_client.client(lake))


def _batch(partition: int, first: int, last: int) -> Batch:
    raw = {(DAY, "10"): [b'{"o": %d}' % o for o in range(first, last)], (DAY, "11"): [b'{"o": %d}' % last]}
    return Batch(partition, first, last, raw=raw, rejects={DAY: [b'{"reason": "invalid_json"}']})


def _landed(store: RollStore) -> dict[str, bytes]:
    c, out = store.hdfs, {}
    for root in (store.layout.raw_root, store.layout.rejected_root):
        if c.status(root, strict=False) is None:
            continue
        for dirpath, _, files in c.walk(root):
            for f in files:
                with c.read(f"{dirpath}/{f}") as r:
                    out[f"{dirpath}/{f}"[len(root):]] = r.read()
    return out


def _write_only(store: RollStore, batch: Batch, into: str) -> list[str]:
    """Step 1 of a roll (and optionally step 2): the files written, nothing renamed into place."""
    work = f"{store.layout.tmp_dir(batch.partition)}/{range_name(batch.first, batch.last)}"
    names = []
    for name, lines in store.layout.work_files(batch):
        store.hdfs.write(f"{work}/{name}", data=b"\n".join(lines) + b"\n")
        names.append(name)
    if into == "marked":
        store.hdfs.makedirs(store.layout.rolls_dir(batch.partition))
        store.hdfs.rename(work, f"{store.layout.rolls_dir(batch.partition)}/{range_name(batch.first, batch.last)}")
    return names


def test_a_landed_roll_is_visible_and_recovery_resumes_after_it(store):
    assert store.recover(0) == -1                       # a fresh partition: nothing landed
    landed = store.land(_batch(0, 0, 4))
    assert landed.files == 3 and landed.batch.records == 5 and landed.batch.rejected == 1
    name = file_name(TOPIC, 0, 0, 4)
    files = _landed(store)
    assert files == {f"/ingest_date={DAY}/ingest_hour=10/{name}": b'{"o": 0}\n{"o": 1}\n{"o": 2}\n{"o": 3}\n',
                     f"/ingest_date={DAY}/ingest_hour=11/{name}": b'{"o": 4}\n',
                     f"/ingest_date={DAY}/{name}": b'{"reason": "invalid_json"}\n'}
    store.land(_batch(0, 5, 9))
    # Only the newest marker is kept; a restart resumes after it even if the commit never happened.
    assert store.hdfs.list(store.layout.rolls_dir(0)) == [range_name(5, 9)]
    assert store.recover(0) == 10
    assert len(_landed(store)) == 6


def test_a_roll_cut_short_before_its_marker_is_dropped_and_redone(store):
    store.recover(1)
    _write_only(store, _batch(1, 0, 4), into="tmp")
    assert store.recover(1) == -1                       # resume at the committed offset: redo the roll
    assert _landed(store) == {}
    assert store.hdfs.status(store.layout.tmp_dir(1), strict=False) is None


def test_a_marked_roll_is_moved_into_place_by_recovery(store):
    store.recover(2)
    names = _write_only(store, _batch(2, 0, 4), into="marked")
    # The crash came after one of the three renames.
    store._move(f"{store.layout.rolls_dir(2)}/{range_name(0, 4)}/{names[0]}", store.layout.final_path(names[0]))
    assert store.recover(2) == 5
    assert sorted(_landed(store)) == sorted(store.layout.final_path(n)[len(store.layout.raw_root):]
                                            if n.startswith("raw-") else
                                            store.layout.final_path(n)[len(store.layout.rejected_root):]
                                            for n in names)
    assert store.recover(2) == 5                        # recovery is repeatable


def test_an_intent_file_from_the_previous_layout_is_finished_and_converted(store):
    """Sinks before this layout wrote intent.json with (tmp, final) pairs; a restart must finish it."""
    layout, c = store.layout, store.hdfs
    name = file_name(TOPIC, 3, 0, 1)
    tmp = f"{layout.state_dir(3)}/tmp/raw-{DAY}-10-{name}"
    final = f"{layout.raw_root}/ingest_date={DAY}/ingest_hour=10/{name}"
    c.write(tmp, data=b'{"o": 0}\n{"o": 1}\n')
    c.write(layout.legacy_intent(3), data=json.dumps(
        {"topic": TOPIC, "partition": 3, "first": 0, "last": 1, "moves": [[tmp, final]]}).encode())
    assert store.recover(3) == 2
    assert _landed(store) == {f"/ingest_date={DAY}/ingest_hour=10/{name}": b'{"o": 0}\n{"o": 1}\n'}
    assert c.status(layout.legacy_intent(3), strict=False) is None
    assert c.list(layout.rolls_dir(3)) == [range_name(0, 1)]
    assert store.recover(3) == 2


def test_a_legacy_intent_whose_files_vanished_is_a_clear_error(store):
    layout, c = store.layout, store.hdfs
    c.write(layout.legacy_intent(0), data=json.dumps(
        {"topic": TOPIC, "partition": 0, "first": 0, "last": 1,
         "moves": [[f"{layout.state_dir(0)}/tmp/gone", f"{layout.raw_root}/gone"]]}).encode())
    with pytest.raises(SinkError, match="changed by hand"):
        store.recover(0)
