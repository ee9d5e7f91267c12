"""`release.pool.Pool`: one bound across nested levels, without deadlock."""

from __future__ import annotations

import threading
import time

import pytest

from release.pool import Pool


class Gauge:
    """How many calls run at once, and the most that ever did."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.lock = threading.Lock()

    def run(self, seconds: float) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(seconds)
        with self.lock:
            self.now -= 1


def test_nested_fan_outs_share_one_bound_and_keep_the_order() -> None:
    gauge = Gauge()
    with Pool(4) as pool:
        def repo(n: int) -> list[int]:
            gauge.run(0.01)
            return pool.fan_out(lambda b: (gauge.run(0.02), n * 100 + b)[1], range(10))

        results = pool.map(repo, range(5))
    assert results == [[n * 100 + b for b in range(10)] for n in range(5)]
    assert gauge.peak == 4  # the whole pool was used, never more
    assert pool.peak == 4


def test_a_single_task_borrows_every_free_slot() -> None:
    gauge = Gauge()
    with Pool(3) as pool, pool.slot():
        pool.fan_out(lambda _: gauge.run(0.05), range(9))
    assert gauge.peak == 3


def test_nesting_never_waits_for_its_own_slot() -> None:
    with Pool(1) as pool:  # one slot, held by the caller at every level
        def deep(level: int) -> int:
            return 1 if level == 0 else sum(pool.fan_out(deep, [level - 1] * 2))

        assert pool.map(deep, [3, 3]) == [8, 8]
        assert pool.peak == 1


def test_the_first_error_is_raised_after_the_rest_in_flight_finished() -> None:
    started: list[int] = []
    finished: list[int] = []

    def work(n: int) -> int:
        started.append(n)
        if n == 2:
            raise ValueError("boom")
        time.sleep(0.05)
        finished.append(n)
        return n

    with Pool(2) as pool, pytest.raises(ValueError, match="boom"):
        pool.map(work, range(50))
    assert 2 in started and len(started) < 50  # items after the failure were not started
    assert sorted(finished) == sorted(n for n in started if n != 2)
