"""Integration tier: the real stack, started by `lake up` or reused if running.

Each test gets a sandbox (its own HDFS dir, Kafka topic and Hive schema) that
is removed afterwards, so tests never see each other's data or the user's.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from lake import settings
from lake.demos import smoke
from lake.runtime import hdfs_client
from lake.stack import lifecycle as stack
from lake.errors import LakeError
from lake.settings import Settings


@pytest.fixture(scope="session")
def lake() -> Settings:
    s = settings.get()
    try:
        stack.up(s)
    except LakeError as e:
        # No integration test can pass without the stack: stop here with the cause and the
        # daemon's log tail (CI shows only what pytest prints), rather than one error per test.
        pytest.exit(f"the stack did not come up: {e}\n{e.details}", returncode=1)
    return s


@dataclass
class Sandbox:
    hdfs_dir: str
    topic: str
    schema: str


@pytest.fixture
def sandbox(lake):
    tag = uuid.uuid4().hex[:10]
    box = Sandbox(hdfs_dir=f"/tmp/it-{tag}", topic=f"it.{tag}", schema=f"it_{tag}")
    hdfs_client.client(lake).makedirs(box.hdfs_dir)
    yield box
    hdfs_client.client(lake).delete(box.hdfs_dir, recursive=True)
    try:
        smoke.delete_topic(lake, box.topic)
    except Exception:  # noqa: BLE001 - tests that make no topic
        pass
    try:
        smoke.drop_schema(lake, box.schema)
    except Exception:  # noqa: BLE001
        pass


# What users look at (issue #20): Superset and the topic browser, with only the services they need.
UI_SERVICES = ("superset", "topic-browser")


@pytest.fixture(scope="module")
def ui_stack() -> Settings:
    """Superset and the topic browser up (with PostgreSQL, Kafka and Trino), started like `lake up`
    does (prepare, probe, dashboard import); those this fixture started are stopped afterwards."""
    from lake.stack import services

    s = settings.get()
    started_before = {name: services.by_name(s, name).daemon.pid() is not None for name in UI_SERVICES}
    try:
        stack.up(s, only=["postgres", "kafka", "trino", *UI_SERVICES])
    except LakeError as e:
        pytest.fail(f"Superset or the topic browser did not come up: {e}\n{e.details}")
    yield s
    for name in UI_SERVICES:
        if not started_before[name]:
            services.by_name(s, name).daemon.stop()
