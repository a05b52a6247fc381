"""RATE pacing on a fake clock: right average rate, few sleeps, no catch-up bursts, no spinning."""
from __future__ import annotations

import pytest

from ingestion.sources.pacing import paced


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []
        self.reads = 0

    def clock(self) -> float:
        self.reads += 1
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += seconds


def test_paces_to_the_rate_by_sleeping():
    fake = FakeClock()
    out = list(paced(range(1001), 100, clock=fake.clock, sleep=fake.sleep))
    assert out == list(range(1001))
    assert fake.now - 100.0 == pytest.approx(10.0, abs=0.011)  # 1000 intervals of 10 ms
    assert fake.reads == 1001  # one clock read per item: no busy loop


def test_high_rates_batch_small_sleeps():
    fake = FakeClock()
    list(paced(range(100_001), 50_000, clock=fake.clock, sleep=fake.sleep, min_sleep=0.002))
    assert fake.now - 100.0 == pytest.approx(2.0, abs=0.003)
    assert len(fake.sleeps) <= 1000 and min(fake.sleeps) >= 0.002


def test_slow_consumer_is_not_followed_by_a_burst():
    fake = FakeClock()
    items = paced(range(10), 10, clock=fake.clock, sleep=fake.sleep, max_lag=1.0)
    next(items)
    fake.now += 5.0  # the consumer stalls for 5 s
    next(items)
    next(items)
    assert fake.sleeps and fake.sleeps[-1] == pytest.approx(0.1)  # back to the rate, no 50-item burst


def test_only_counted_items_use_the_budget():
    fake = FakeClock()
    list(paced(["r", "x", "r", "x", "r"], 1, counted=lambda i: i == "r", clock=fake.clock, sleep=fake.sleep))
    assert fake.now - 100.0 == pytest.approx(2.0)


def test_no_rate_means_unpaced_and_negative_is_an_error():
    fake = FakeClock()
    assert list(paced(range(5), None, clock=fake.clock, sleep=fake.sleep)) == list(range(5))
    assert list(paced(range(5), 0, clock=fake.clock, sleep=fake.sleep)) == list(range(5))
    assert fake.reads == 0
    with pytest.raises(ValueError, match="rate must be positive"):
        list(paced(range(5), -1))
