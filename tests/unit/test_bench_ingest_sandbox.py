"""bench-ingest cleanup: removes only its own stamp's names, and nothing at all on another Kafka cluster."""
from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace

import pytest

from lake.bench.ingest import sandbox as sandbox_mod
from lake.bench.ingest.sandbox import Sandbox


def _done(value=None) -> Future:
    f: Future = Future()
    f.set_result(value)
    return f


class FakeAdmin:
    def __init__(self, topics: set[str], groups: set[str]):
        self.topics, self.groups = topics, groups
        self.deleted_topics: list[str] = []
        self.deleted_groups: list[str] = []

    def list_topics(self, timeout=None):
        return SimpleNamespace(topics={t: None for t in self.topics})

    def list_consumer_groups(self, request_timeout=None):
        return _done(SimpleNamespace(valid=[SimpleNamespace(group_id=g) for g in sorted(self.groups)]))

    def delete_topics(self, names, operation_timeout=None):
        self.deleted_topics += names
        self.topics -= set(names)
        return {n: _done() for n in names}

    def delete_consumer_groups(self, names, request_timeout=None):
        self.deleted_groups += names
        self.groups -= set(names)
        return {n: _done() for n in names}


class FakeHdfs:
    def __init__(self, dirs: set[str]):
        self.dirs = dirs
        self.deleted: list[str] = []

    def status(self, path, strict=True):
        return {} if path in self.dirs else None

    def delete(self, path, recursive=False):
        self.deleted.append(path)
        self.dirs.discard(path)


STAMP = "20261123t105453z"
STACK_TOPICS = {"tweets.raw", "tweets.dlq", f"bench.other{STAMP}.sink.tweets.raw"}


@pytest.fixture
def fakes(monkeypatch):
    admin = FakeAdmin(STACK_TOPICS | {f"bench.{STAMP}.sink.tweets.raw", f"bench.{STAMP}.sink.tweets.dlq"},
                      {"lake-raw-sink", f"bench.{STAMP}.sink-0", "bench.20990101t000000z.sink-0"})
    hdfs = FakeHdfs({f"/tmp/bench-ingest-{STAMP}", "/lake/raw"})
    import confluent_kafka.admin

    monkeypatch.setattr(confluent_kafka.admin, "AdminClient", lambda conf: admin)
    monkeypatch.setenv("LAKE_KAFKA_ADMIN_PASSWORD", "pw")  # the login needs no secret file
    return admin, hdfs


def test_cleanup_removes_exactly_the_stamped_names(fakes, monkeypatch):
    admin, hdfs = fakes
    monkeypatch.setattr(sandbox_mod, "kafka_cluster_id", lambda bootstrap: "cluster-a")
    out = Sandbox("b:9092", hdfs, STAMP, cluster_id="cluster-a").cleanup()
    assert sorted(out["topics_deleted"]) == [f"bench.{STAMP}.sink.tweets.dlq", f"bench.{STAMP}.sink.tweets.raw"]
    assert out["groups_deleted"] == [f"bench.{STAMP}.sink-0"]
    assert admin.topics == STACK_TOPICS
    assert admin.groups == {"lake-raw-sink", "bench.20990101t000000z.sink-0"}
    assert hdfs.deleted == [f"/tmp/bench-ingest-{STAMP}"] and out["hdfs_dir_left"] is False
    assert out["left_over_topics"] == [] and out["left_over_groups"] == [] and out["errors"] == []


def test_cleanup_touches_nothing_when_another_cluster_answers(fakes, monkeypatch):
    admin, hdfs = fakes
    monkeypatch.setattr(sandbox_mod, "kafka_cluster_id", lambda bootstrap: "cluster-b")
    out = Sandbox("b:9092", hdfs, STAMP, cluster_id="cluster-a").cleanup()
    assert admin.deleted_topics == [] and admin.deleted_groups == [] and hdfs.deleted == []
    assert "another cluster" in out["errors"][0]


def test_cleanup_reports_an_unreachable_kafka_and_still_clears_hdfs(fakes, monkeypatch):
    admin, hdfs = fakes

    def down(bootstrap):
        raise RuntimeError("Broker transport failure")

    monkeypatch.setattr(sandbox_mod, "kafka_cluster_id", down)
    out = Sandbox("b:9092", hdfs, STAMP, cluster_id="cluster-a").cleanup()
    assert admin.deleted_topics == [] and "not reachable" in out["errors"][0]
    assert hdfs.deleted == [f"/tmp/bench-ingest-{STAMP}"]
