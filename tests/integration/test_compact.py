"""`make compact` on a real table while Trino readers count it in a loop: no reader ever sees a
wrong count (missing or doubled rows) or an error, and the small files become one per partition."""
from __future__ import annotations

import threading
import time
from urllib.parse import urlparse

import pytest

from lake.pipeline import compact
from lake.runtime import clients, hdfs_client

pytestmark = pytest.mark.timeout(900)
PARTS, INSERTS, ROWS = 2, 8, 500


def _files(lake, schema: str) -> int:
    return clients.trino(lake, f'SELECT count(DISTINCT "$path") FROM hive.{schema}.events')[0][0]


def test_compaction_is_atomic_for_concurrent_readers(lake, sandbox):
    schema = sandbox.schema
    clients.trino(lake, f"CREATE SCHEMA hive.{schema}")
    clients.trino(lake, f"CREATE TABLE hive.{schema}.events (id bigint, body varchar, day date) "
                        f"WITH (format = 'ORC', partitioned_by = ARRAY['day'])")
    for i in range(INSERTS):  # each INSERT leaves its own small file in each partition
        clients.trino(lake, f"INSERT INTO hive.{schema}.events SELECT x + {i * ROWS}, 'event ' || CAST(x AS varchar), "
                            f"DATE '2024-01-01' + x % {PARTS} * INTERVAL '1' DAY FROM UNNEST(sequence(1, {ROWS})) t(x)")
    expected = clients.trino(lake, f"SELECT count(*), sum(id) FROM hive.{schema}.events")[0]
    assert expected[0] == INSERTS * ROWS
    before = _files(lake, schema)
    assert before >= INSERTS * PARTS

    seen, errors, stop = [], [], threading.Event()

    def reader():
        while not stop.is_set():
            try:
                seen.append((time.monotonic(), clients.trino(lake, f"SELECT count(*), sum(id) FROM hive.{schema}.events")[0]))
            except Exception as e:  # noqa: BLE001 - every failure is a finding
                errors.append(repr(e))

    threads = [threading.Thread(target=reader, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        result = compact.compact(lake, f"{schema}.events", target_mb=128, grace_seconds=3)
        swapped_at = time.monotonic()
        while sum(1 for t, _ in seen if t > swapped_at) < 5:  # readers after the old files are gone
            assert time.monotonic() - swapped_at < 120, "readers stalled after the compaction"
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)

    assert errors == []
    wrong = [r for _, r in seen if r != expected]
    assert wrong == [], f"{len(wrong)} of {len(seen)} reads saw a wrong count: {wrong[:3]}"
    assert len(seen) >= 20
    assert result["rewritten"] == PARTS and result["files_before"] == before and result["files_after"] == PARTS
    assert _files(lake, schema) == PARTS
    # The old directories are gone; only the new ones (under _compacted) hold data.
    client = hdfs_client.client(lake)
    root = urlparse(result["partitions"][0]["location"]).path.rsplit("/day=", 1)[0]
    assert sorted(client.list(root)) == ["_compacted"]
