"""Run one function over many items with a bounded number at once; each item's outcome kept apart."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Outcome(Generic[R]):
    value: R | None = None
    error: Exception | None = None


def _outcome(fn: Callable[[T], R], item: T) -> Outcome[R]:
    try:
        return Outcome(value=fn(item))
    except Exception as exc:  # noqa: BLE001 - the caller decides which errors sink one item
        return Outcome(error=exc)


def map_concurrent(fn: Callable[[T], R], items: Sequence[T], max_workers: int) -> list[Outcome[R]]:
    """Outcomes in the order of items. Threads, because the work is waiting on a server."""
    if max_workers <= 1 or len(items) <= 1:
        return [_outcome(fn, item) for item in items]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(items)), thread_name_prefix="llm") as pool:
        return list(pool.map(lambda item: _outcome(fn, item), items))
