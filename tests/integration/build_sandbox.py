"""The private lake a build test lands raw files in and builds: schemas it_<tag>_raw, _bronze, _silver,
_gold, _ops (and any other layer the test adds), an HDFS folder /tmp/it-<tag> holding its raw zone,
Kafka topics it.<tag>.*, and its PII key in the environment spark-submit hands to the jobs. All of it
is removed when the test is done, whatever happened.

Also where those tests run Spark (`spark_master`).
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import pytest

from lake.pipeline.layers import Databases
from lake.runtime import clients, hdfs_client
from spark.transforms import pii

# The order they are dropped in: the layers built on others first.
BUILD_LAYERS = ("gold", "silver", "ops", "bronze", "raw")
SPARK_MASTER_ENV = "LAKE_TEST_SPARK_MASTER"


def spark_master() -> str:
    """Spark's master for the builds of the tests whose subject is what a build computes, not where it runs:
    local[2] (the same engine, metastore and HDFS in one JVM, without the AM and executor containers each
    YARN application starts and the queueing behind other builds), or LAKE_TEST_SPARK_MASTER=yarn.
    YARN stays tested by test_build's first build, test_bronze, test_mqtt, test_replay_shapes,
    test_hdfs_yarn and the `lake build` of test_superset."""
    return os.environ.get(SPARK_MASTER_ENV, "local[2]")


@dataclass(frozen=True)
class BuildSandbox:
    tag: str

    @property
    def dbs(self) -> Databases:
        return Databases(f"it_{self.tag}_")

    @property
    def base(self) -> str:
        return f"/tmp/it-{self.tag}"

    @property
    def root(self) -> str:
        """The raw zone, laid out as the raw sink lays out /lake/raw/tweets."""
        return f"{self.base}/raw/tweets"

    @property
    def topic_prefix(self) -> str:
        return f"it.{self.tag}."


@contextmanager
def build_sandbox(lake, key: str, extra_layers: tuple[str, ...] = ()) -> Iterator[BuildSandbox]:
    """A new sandbox with `key` as the PII key for as long as the block runs; then its HDFS folder and
    its schemas (the build's layers and `extra_layers`) are dropped. The block drops what it made besides
    (views, topics, consumer groups): a view must go before its schema."""
    box = BuildSandbox(uuid.uuid4().hex[:10])
    mp = pytest.MonkeyPatch()
    mp.setenv(pii.KEY_ENV, key)  # spark-submit passes the environment to the jobs
    try:
        yield box
    finally:
        mp.undo()
        hdfs_client.client(lake).delete(box.base, recursive=True)
        for layer in (*BUILD_LAYERS, *extra_layers):
            try:
                clients.hive(lake, f"DROP DATABASE IF EXISTS {box.dbs.prefix}{layer} CASCADE")
            except Exception:  # noqa: BLE001 - best-effort cleanup
                pass
