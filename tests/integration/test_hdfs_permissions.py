"""HDFS permissions (issue #21): the raw zone belongs to the lake's user and is closed to other users;
the warehouse is open for reading. Another local user reaches WebHDFS under their own name (simple
authentication), which is what these checks play."""
from __future__ import annotations

import uuid

import pytest
from hdfs import HdfsError, InsecureClient

from lake.runtime import hdfs_client
from lake.settings import HDFS_MODES, RAW_ROOT


def _read(c, path: str) -> bytes:
    with c.read(path) as f:
        return f.read()


@pytest.fixture
def intruder(lake):
    return InsecureClient(lake.webhdfs_url, user=f"intruder{uuid.uuid4().hex[:6]}", timeout=30)


def test_the_raw_zone_is_owned_by_the_lakes_user_and_closed_to_others(lake):
    c = hdfs_client.client(lake)
    for path, mode in HDFS_MODES.items():
        st = c.status(path)
        assert (st["owner"], st["permission"]) == (lake.user, mode), path
    assert HDFS_MODES["/lake/raw"] == "700"


def test_another_user_can_neither_list_read_nor_write_raw(lake, intruder):
    lake_c = hdfs_client.client(lake)
    # a file that exists, so a refusal is about permission, not about a missing path; in a folder of its
    # own beside the raw zone's tables, so no build or query ever reads it
    folder = f"/lake/raw/_permission_probe_{uuid.uuid4().hex[:8]}"
    probe = f"{folder}/tweets.jsonl"
    lake_c.write(probe, data=b'{"id": "1"}\n')
    try:
        for attempt in (lambda: intruder.list("/lake/raw"), lambda: intruder.list(RAW_ROOT),
                        lambda: _read(intruder, probe),
                        lambda: intruder.write(f"{RAW_ROOT}/intruder.jsonl", data=b"x")):
            with pytest.raises(HdfsError, match="Permission denied"):
                attempt()
        assert _read(lake_c, probe) == b'{"id": "1"}\n'  # the owner still reads it
    finally:
        lake_c.delete(folder, recursive=True)
    assert lake_c.status(f"{RAW_ROOT}/intruder.jsonl", strict=False) is None


def test_another_user_may_read_the_warehouse_but_not_write_it(lake, intruder):
    listing = intruder.list("/lake/warehouse")
    assert listing == hdfs_client.client(lake).list("/lake/warehouse")
    with pytest.raises(HdfsError, match="Permission denied"):
        intruder.write(f"/lake/warehouse/intruder-{uuid.uuid4().hex[:6]}", data=b"x")
