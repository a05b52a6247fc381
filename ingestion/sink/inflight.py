"""Rolls running in worker threads while the raw sink keeps consuming.

The sink's ordering rule lives here: at most one roll per Kafka partition is
in flight, so a partition's rolls land, and its offsets are committed, in
offset order; rolls of different partitions overlap. The consume loop hands
finished rolls to the committer; it never commits an offset whose roll has not
finished, and a failed roll is reported, never retried here (recovery redoes it).
"""
from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Callable


class InFlight:
    def __init__(self, workers: int):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="roll")
        self._running: dict[int, Future] = {}

    def __len__(self) -> int:
        return len(self._running)

    def busy(self, partition: int) -> bool:
        return partition in self._running

    def start(self, partition: int, fn: Callable[..., Any], *args) -> None:
        if partition in self._running:
            raise RuntimeError(f"partition {partition} already has a roll in flight")
        self._running[partition] = self._pool.submit(fn, *args)

    def _take(self, partitions) -> list[tuple[int, Any, BaseException | None]]:
        out = []
        for p in sorted(partitions):
            fut = self._running.pop(p)
            err = fut.exception()
            out.append((p, None if err else fut.result(), err))
        return out

    def finished(self, timeout: float = 0) -> list[tuple[int, Any, BaseException | None]]:
        """(partition, result, error) of every roll done by now, waiting up to `timeout` for the first one."""
        if timeout > 0 and self._running:
            wait(list(self._running.values()), timeout=timeout, return_when=FIRST_COMPLETED)
        return self._take([p for p, f in self._running.items() if f.done()])

    def wait(self, partitions=None) -> list[tuple[int, Any, BaseException | None]]:
        """Wait for the rolls of these partitions (default: all) and hand them back."""
        chosen = [p for p in (self._running if partitions is None else partitions) if p in self._running]
        wait([self._running[p] for p in chosen])
        return self._take(chosen)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
