"""Pace a stream to a target rate (RATE=tweets/s) by sleeping, never by spinning.

Items are scheduled at start + n/rate. Sleeps shorter than `min_sleep` are
skipped and paid back later, so high rates do not drown in tiny sleep calls; a
consumer that falls more than `max_lag` seconds behind restarts the schedule
instead of bursting to catch up.
"""
from __future__ import annotations

import time
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")


def paced(items: Iterable[T], rate: float | None, *, counted: Callable[[T], bool] | None = None,
          clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
          min_sleep: float = 0.002, max_lag: float = 1.0) -> Iterator[T]:
    """Yield `items` at no more than `rate` counted items per second; None or 0 means unpaced.

    `counted` selects the items that consume the budget (e.g. only Records, so
    rejected lines do not slow a replay); others pass straight through.
    """
    if not rate:
        yield from items
        return
    if rate < 0:
        raise ValueError(f"rate must be positive (tweets per second), got {rate}")
    interval = 1.0 / rate
    due: float | None = None
    for item in items:
        if counted is None or counted(item):
            now = clock()
            if due is None or now - due > max_lag:
                due = now
            elif due - now >= min_sleep:
                sleep(due - now)
            due += interval
        yield item
