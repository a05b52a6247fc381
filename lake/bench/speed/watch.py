"""Watching serving.tweets for ids: the speed benchmark's freshness (ids appear) and compliance (ids leave)
latencies both come from one poller that asks for every pending id at once, every poll_seconds."""
from __future__ import annotations

import threading
import time
from typing import Callable, Iterable

# How long a poll that does not come back (a Trino statement retries a service down for 60 s) may hold
# finish() beyond the watch's own timeout before it is reported as stuck.
JOIN_SLACK_S = 120.0


class ServingWatch:
    """Times each added id from add() until `served(ids)` (the subset of `ids` serving answers) shows it
    (appear=True) or no longer shows it (appear=False). finish() stops adding: the poller keeps asking
    for what is pending for at most `timeout` s, then leaves the rest in `late`; `where` names the
    service (and its log) in that note and in the error of a poll that never returns.

        with ServingWatch(served, appear=True, poll_seconds=0.5, timeout=120, where="...") as w:
            w.add(tid)
        w.latencies, w.late, w.note
    """

    def __init__(self, served: Callable[[list[int]], Iterable[int]], appear: bool, poll_seconds: float,
                 timeout: float, where: str):
        self.served, self.appear, self.poll_seconds = served, appear, poll_seconds
        self.timeout, self.where = timeout, where
        self.pending: dict[int, float] = {}
        self.seen: dict[int, float] = {}
        self.late: list[int] = []
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._deadline = float("inf")
        self._thread = threading.Thread(target=self._run, name="serving-watch", daemon=True)

    def __enter__(self) -> ServingWatch:
        self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.finish()
        else:  # the caller failed: stop polling, keep its error
            self._deadline = 0.0
            self._done.set()

    def add(self, tid: int) -> None:
        with self._lock:
            self.pending[tid] = time.monotonic()

    def _run(self) -> None:
        try:
            while True:
                with self._lock:
                    asked = list(self.pending)
                if asked:
                    answered = set(self.served(asked))
                    now = time.monotonic()
                    with self._lock:
                        for tid in asked:
                            if (tid in answered) == self.appear and tid in self.pending:
                                self.seen[tid] = now - self.pending.pop(tid)
                if self._done.is_set() and (not self.pending or time.monotonic() >= self._deadline):
                    return
                time.sleep(self.poll_seconds)  # the polling interval, not a readiness wait
        except BaseException as e:  # noqa: BLE001 - handed to finish(), in the caller's thread
            self.error = e

    def finish(self) -> list[float]:
        """Wait for the pending ids (at most `timeout` s); the latencies, in seconds, of those seen."""
        self._deadline = time.monotonic() + self.timeout
        self._done.set()
        self._thread.join(self.timeout + JOIN_SLACK_S)
        if self._thread.is_alive():
            raise TimeoutError(f"the poll of {self.where} did not return within "
                               f"{self.timeout + JOIN_SLACK_S:g} s")
        if self.error is not None:
            raise self.error
        with self._lock:
            self.late = sorted(self.pending)
        return self.latencies

    @property
    def latencies(self) -> list[float]:
        return list(self.seen.values())

    @property
    def note(self) -> str:
        """One line on the ids given up on ("" when there are none)."""
        if not self.late:
            return ""
        state = "not yet in" if self.appear else "still in"
        return (f"{len(self.late)} of {len(self.late) + len(self.seen)} ids {state} {self.where} "
                f"{self.timeout:g} s after the last one was added")


# How long a watch keeps asking after the last id was added; ids still pending then count as missing.
WATCH_TIMEOUT_S = 120.0


def watch_serving(box, appear: bool, poll_seconds: float, timeout: float = WATCH_TIMEOUT_S) -> ServingWatch:
    """A sandbox's serving.tweets (lake/demos/sandbox.py SpeedSandbox) watched for ids appearing (freshness) or
    leaving (compliance), through Trino; its note names Trino and the private speed layer, with their logs."""
    where = (f"{box.dbs['SERVING_DB']}.tweets (Trino at {box.s.trino_url}, log {box.s.log_file('trino')}; "
             f"private speed layer, log {box.run_dir / 'speed.out'})")
    return ServingWatch(box.serving_ids, appear, poll_seconds, timeout, where)
