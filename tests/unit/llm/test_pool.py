"""map_concurrent: outcomes in input order, one item's exception kept apart, a bound on calls at once."""

from __future__ import annotations

import threading
import time

import pytest

from ophin.llm.pool import Outcome, map_concurrent


class Probe:
    """Sleeps longer for earlier items (so they finish last) and counts calls running at once."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, item: int) -> int:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.threads.add(threading.current_thread().name)
        try:
            time.sleep(0.02 * (8 - item))
            if item == 3:
                raise ValueError("item 3 is bad")
            return item * 10
        finally:
            with self._lock:
                self.running -= 1


@pytest.mark.parametrize("workers", [1, 4])
def test_map_concurrent_keeps_order_and_sinks_only_the_failing_item(workers: int) -> None:
    probe = Probe()
    outcomes = map_concurrent(probe, list(range(8)), max_workers=workers)
    assert [o.value for o in outcomes] == [0, 10, 20, None, 40, 50, 60, 70]
    assert [o.error is None for o in outcomes] == [True, True, True, False, True, True, True, True]
    error = outcomes[3].error
    assert isinstance(error, ValueError) and str(error) == "item 3 is bad"
    assert probe.most == workers  # concurrent when allowed, and never more than the bound


def test_map_concurrent_runs_on_threads_only_when_it_helps() -> None:
    probe = Probe()
    assert map_concurrent(probe, [5], max_workers=8) == [Outcome(value=50)]
    assert probe.threads == {threading.current_thread().name}
    assert map_concurrent(probe, [], max_workers=8) == []
