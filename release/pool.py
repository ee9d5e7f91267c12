"""One bound on concurrent Hub work, shared by nested levels (repos, then branches in a repo).

`--parallelism` bounds how many things talk to the Hub at once. A repo's work holds one slot
(`Pool.slot`); inside it, independent pieces (the run branches of one repo: their tree reads at
plan, their commits at apply) are run with `fan_out`, on the caller's own slot and on whatever
slots are free at that moment. So a single repo with hundreds of branches uses the whole pool,
a thousand small repos still get one slot each, the total never exceeds the bound, and nested
work never waits for a slot its own caller holds (no deadlock: the caller always works too).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Self, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Pool:
    """At most `size` tasks at once, counted across `slot()` holders and their `fan_out`s."""

    def __init__(self, size: int, name: str = "release") -> None:
        self.size = max(1, size)
        self._free = threading.Semaphore(self.size)
        self._name = name
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        #: The most tasks that ran at once (slots held plus borrowed), for tests and benches.
        self.peak = 0
        self._busy = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the block (waits for a free one)."""
        self._free.acquire()
        self._count(+1)
        try:
            yield
        finally:
            self._count(-1)
            self._free.release()

    def map(self, run: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`run(item)` for every item, in order, from a caller that holds no slot."""
        with self.slot():
            return self.fan_out(run, items)

    def fan_out(self, run: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`run(item)` for every item, results in order; called from a task holding a slot.

        The caller runs items itself and lends out the work to free slots it borrows (again
        after each item, as slots free up). If one raises, the items not started are not run
        and the first exception is raised once those in flight have finished.
        """
        items = list(items)
        if len(items) <= 1:
            return [run(item) for item in items]
        results: list[R | None] = [None] * len(items)
        state = _FanOut(len(items))

        def work() -> None:
            while (index := state.take()) is not None:
                try:
                    results[index] = run(items[index])
                except BaseException as exc:  # noqa: BLE001 - re-raised by the caller below
                    state.fail(exc)
                    return
                borrow()

        def helper() -> None:
            try:
                state.started_helper()
                work()
            finally:
                self._count(-1)
                self._free.release()
                state.helper_done()

        def borrow() -> None:
            while state.wants_helper() and self._free.acquire(blocking=False):
                self._count(+1)
                state.add_helper()
                self._pool().submit(helper)

        borrow()
        work()
        state.wait_helpers()
        if state.error is not None:
            raise state.error
        return results  # type: ignore[return-value] # every index was filled (no error)

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                # Borrowed slots never exceed `size`; the spare threads cover a helper that
                # released its slot but has not yet returned its thread.
                self._executor = ThreadPoolExecutor(max_workers=2 * self.size,
                                                    thread_name_prefix=self._name)
            return self._executor

    def _count(self, delta: int) -> None:
        with self._lock:
            self._busy += delta
            self.peak = max(self.peak, self._busy)


class _FanOut:
    """The shared state of one `fan_out`: the next item, helpers in flight, the first error."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.next = 0
        self.pending_helpers = 0  # borrowed, not yet taking items
        self.helpers = 0
        self.error: BaseException | None = None
        self._done = threading.Condition()

    def take(self) -> int | None:
        with self._done:
            if self.error is not None or self.next >= self.total:
                return None
            self.next += 1
            return self.next - 1

    def fail(self, exc: BaseException) -> None:
        with self._done:
            if self.error is None:
                self.error = exc

    def wants_helper(self) -> bool:
        with self._done:
            return self.error is None and self.total - self.next > self.pending_helpers

    def add_helper(self) -> None:
        with self._done:
            self.pending_helpers += 1
            self.helpers += 1

    def started_helper(self) -> None:
        with self._done:
            self.pending_helpers -= 1

    def helper_done(self) -> None:
        with self._done:
            self.helpers -= 1
            self._done.notify_all()

    def wait_helpers(self) -> None:
        with self._done:
            while self.helpers:
                self._done.wait()
