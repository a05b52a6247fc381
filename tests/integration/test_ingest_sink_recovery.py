"""The raw sink's two-phase roll on the real HDFS, stopped at each step a crash can stop it.

Each test lands or half-lands rolls in its own sandbox dir with the sink's own
RollStore, then runs recovery as a restarted sink would, and checks what is
visible and where the sink resumes. The kill -9 test in test_ingest.py covers
the same design end to end with Kafka; these pin down each crash point.
"""
from __future__ import annotations

import json

import pytest

from ingestion.sink.roll import Layout, OpenRoll, RollStore, SinkError, file_name, range_name
from lake.runtime import hdfs_client

TOPIC = "it.tweets.raw"
DAY = "2026-11-23"


@pytest.fixture
def store(lake, sandbox):
    layout = Layout(TOPIC, f"{sandbox.hdfs_dir}/raw", f"{sandbox.hdfs_dir}/rejected", f"{sandbox.hdfs_dir}/state")
    return RollStore(layout, lambda: hdfs_client.client(lake))


def _open_roll(store: RollStore, partition: int, first: int, last: int) -> OpenRoll:
    """Step 1 of a roll: offsets first..last-1 in hour 10 (two chunks, the last of them a reject), last in hour 11."""
    roll = OpenRoll(store, partition, first)
    roll.add((DAY, "10", first), [b'{"o": %d}' % o for o in range(first, last - 2)])
    roll.add((DAY, "10", first), [b'{"o": %d}' % (last - 2)])
    roll.reject((DAY, "10", first), b'{"reason": "invalid_json"}')
    roll.add((DAY, "11", last), [b'{"o": %d}' % last])
    return roll


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


def _marked(store: RollStore, partition: int, first: int, last: int) -> list[str]:
    """Steps 1-2 of a roll, as land() does them, without the moves: the crash came right after the marker."""
    roll = _open_roll(store, partition, first, last)
    for upload in roll.uploads.values():
        upload.close()
    store.hdfs.write(f"{roll.work}/{Layout.rejected_work_name((DAY, '10', first))}",
                     data=b'{"reason": "invalid_json"}\n')
    store.hdfs.rename(roll.work, f"{store.layout.rolls_dir(partition)}/{range_name(first, last)}")
    return sorted(store.hdfs.list(f"{store.layout.rolls_dir(partition)}/{range_name(first, last)}"))


def test_a_landed_roll_is_visible_and_recovery_resumes_after_it(store):
    assert store.recover(0) == -1                       # a fresh partition: nothing landed
    landed = store.land(_open_roll(store, 0, 0, 4), 4)
    assert (landed.files, landed.records, landed.rejected) == (3, 4, 1)
    assert landed.slots == [(DAY, "10"), (DAY, "11")]
    # The roll crosses an hour: each file is named by its own offsets, the reject by its segment's.
    h10, h11 = file_name(TOPIC, 0, 0, 3), file_name(TOPIC, 0, 4, 4)
    files = _landed(store)
    assert files == {f"/ingest_date={DAY}/ingest_hour=10/{h10}": b'{"o": 0}\n{"o": 1}\n{"o": 2}\n',
                     f"/ingest_date={DAY}/ingest_hour=11/{h11}": b'{"o": 4}\n',
                     f"/ingest_date={DAY}/{h10}": b'{"reason": "invalid_json"}\n'}
    store.land(_open_roll(store, 0, 5, 9), 9)
    # Only the newest marker is kept; a restart resumes after it even if the commit never happened.
    assert store.hdfs.list(store.layout.rolls_dir(0)) == [range_name(5, 9)]
    assert store.recover(0) == 10
    assert len(_landed(store)) == 6


def test_a_roll_cut_short_before_its_marker_is_dropped_and_redone(store):
    store.recover(1)
    roll = _open_roll(store, 1, 0, 4)
    roll.abandon()                                      # uploads ended, never marked complete
    assert len(store.hdfs.list(roll.work)) == 2
    assert store.recover(1) == -1                       # resume at the committed offset: redo the roll
    assert _landed(store) == {}
    assert store.hdfs.status(store.layout.tmp_dir(1), strict=False) is None


def test_a_marked_roll_is_moved_into_place_by_recovery(store):
    store.recover(2)
    names = _marked(store, 2, 0, 4)
    z = "000000000000000000"
    assert names == [f"raw-{DAY}-10-{z}0", f"raw-{DAY}-11-{z}4", f"rejected-{DAY}-10-{z}0"]
    marker = f"{store.layout.rolls_dir(2)}/{range_name(0, 4)}"
    finals = store.layout.final_paths(names, 2, 0, 4)
    # The crash came after the first two of the three renames (hour 10's raw file, then its rejects).
    for moved in list(finals)[:2]:
        store._move(f"{marker}/{moved}", finals[moved])
    assert store.recover(2) == 5
    h10, h11 = file_name(TOPIC, 2, 0, 3), file_name(TOPIC, 2, 4, 4)
    assert _landed(store) == {f"/ingest_date={DAY}/ingest_hour=10/{h10}": b'{"o": 0}\n{"o": 1}\n{"o": 2}\n',
                              f"/ingest_date={DAY}/ingest_hour=11/{h11}": b'{"o": 4}\n',
                              f"/ingest_date={DAY}/{h10}": b'{"reason": "invalid_json"}\n'}
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
