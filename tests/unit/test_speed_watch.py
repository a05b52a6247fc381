"""lake/bench/speed/watch.py: the one poller behind bench-speed's freshness (ids appear in serving.tweets)
and compliance (ids leave it) latencies, against a fake serving table."""
from __future__ import annotations

import threading
import time

import pytest

from lake.bench.speed import watch
from lake.bench.speed.watch import ServingWatch

WHERE = "serving.tweets on Trino at https://127.0.0.1:8443 (log var/log/trino.log)"


class FakeServing:
    """Ids become visible (or stop being visible) `after` seconds once released; every query is counted."""

    def __init__(self, start: set[int] = frozenset(), after: float = 0.05):
        self.rows, self.after, self.due = set(start), after, {}
        self.queries: list[list[int]] = []

    def release(self, tid: int) -> None:
        self.due[tid] = time.monotonic() + self.after

    def served(self, ids: list[int]) -> set[int]:
        self.queries.append(list(ids))
        now = time.monotonic()
        for tid, at in list(self.due.items()):
            if at <= now:
                self.rows ^= {tid}
                del self.due[tid]
        return self.rows & set(ids)


def test_ids_appearing_are_timed_from_add_and_asked_for_together():
    serving = FakeServing()
    with ServingWatch(serving.served, appear=True, poll_seconds=0.01, timeout=5, where=WHERE) as w:
        for tid in (1, 2, 3):
            w.add(tid)
            serving.release(tid)
    assert sorted(w.seen) == [1, 2, 3] and w.late == [] and w.note == ""
    assert all(0.04 <= x < 2 for x in w.latencies), w.latencies
    assert max(len(q) for q in serving.queries) >= 2  # pending ids share one statement
    assert not w._thread.is_alive()


def test_ids_leaving_are_timed_until_serving_no_longer_answers_them():
    serving = FakeServing(start={7, 8})
    with ServingWatch(serving.served, appear=False, poll_seconds=0.01, timeout=5, where=WHERE) as w:
        for tid in (7, 8):
            serving.release(tid)
            w.add(tid)
    assert sorted(w.seen) == [7, 8] and w.late == []
    assert serving.rows == set()


def test_an_id_that_never_shows_is_given_up_after_the_timeout_with_a_note_naming_the_service():
    serving = FakeServing()
    t0 = time.monotonic()
    with ServingWatch(serving.served, appear=True, poll_seconds=0.01, timeout=0.3, where=WHERE) as w:
        w.add(1)
        serving.release(1)
        w.add(2)  # never released
    assert 0.3 <= time.monotonic() - t0 < 3
    assert list(w.seen) == [1] and w.late == [2]
    assert w.note == f"1 of 2 ids not yet in {WHERE} 0.3 s after the last one was added"


def test_a_failing_poll_is_raised_in_the_callers_thread():
    def served(ids):
        raise RuntimeError("Trino refused the login")

    w = ServingWatch(served, appear=True, poll_seconds=0.01, timeout=5, where=WHERE)
    with pytest.raises(RuntimeError, match="refused"):
        with w:
            w.add(1)


def test_a_poll_that_never_returns_is_a_timeout_naming_the_service(monkeypatch):
    monkeypatch.setattr(watch, "JOIN_SLACK_S", 0.2)
    release = threading.Event()

    def served(ids):
        release.wait(10)
        return set()

    w = ServingWatch(served, appear=True, poll_seconds=0.01, timeout=0.1, where=WHERE)
    try:
        with pytest.raises(TimeoutError, match=r"the poll of serving\.tweets on Trino .* did not return within 0.3 s"):
            with w:
                w.add(1)
                time.sleep(0.05)  # let the poller take the id into a statement
    finally:
        release.set()


def test_watch_serving_asks_the_sandbox_and_names_trino_and_the_stream_with_their_logs(tmp_path):
    from types import SimpleNamespace

    from lake import settings

    s = settings.load({"LAKE_VAR_DIR": str(tmp_path / "var")})
    asked = []
    box = SimpleNamespace(s=s, dbs={"SERVING_DB": "bsx_serving"}, run_dir=tmp_path / "box",
                          serving_ids=lambda ids: asked.append(ids) or set())
    with watch.watch_serving(box, appear=True, poll_seconds=0.01, timeout=0.1) as w:
        w.add(5)
    assert asked and asked[0] == [5] and w.late == [5]
    for part in ("bsx_serving.tweets", s.trino_url, str(s.log_file("trino")), str(tmp_path / "box" / "speed.out")):
        assert part in w.note, (part, w.note)
