"""Politeness towards each host: spaced requests, a bounded number of downloads at once, backoff."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from ophin.acquisition.errors import AcquireError, RateLimited, VideoUnavailable
from ophin.acquisition.http_get import HttpError

Sleep = Callable[[float], None]


def host_of(url: str) -> str:
    if url.startswith("ytsearch"):
        return "www.youtube.com"
    return (urlsplit(url).hostname or "local").lower()


class HostThrottle:
    """At least `interval_s` between two requests to one host from this process."""

    def __init__(
        self, interval_s: float, sleep: Sleep = time.sleep, clock: Callable[[], float] = time.monotonic
    ):
        self.interval_s = interval_s
        self.sleep = sleep
        self.clock = clock
        self._last: dict[str, float] = {}

    def wait(self, url: str, interval_s: float | None = None) -> None:
        host = host_of(url)
        gap = self.interval_s if interval_s is None else interval_s
        last = self._last.get(host)
        if last is not None:
            remaining = gap - (self.clock() - last)
            if remaining > 0:
                self.sleep(remaining)
        self._last[host] = self.clock()


def backoff_s(attempt: int, base_s: float, cap_s: float, retry_after_s: float | None = None) -> float:
    """Exponential from base_s (attempt 1 waits base_s), capped, never shorter than the host's Retry-After."""
    wait = min(cap_s, base_s * 2 ** max(0, attempt - 1))
    return max(wait, retry_after_s or 0.0)


def as_acquire_error(exc: BaseException) -> AcquireError | None:
    """A fetch failure in the crawler's terms: HTTP statuses map onto the yt-dlp failure classes."""
    if isinstance(exc, HttpError) and exc.status is not None:
        if exc.status == 429 or exc.status >= 500:
            err: AcquireError = RateLimited(str(exc))
        elif exc.status in (404, 410):
            err = VideoUnavailable(str(exc))
        else:
            return exc
        err.retry_after_s = exc.retry_after_s  # type: ignore[attr-defined]
        return err
    return exc if isinstance(exc, AcquireError) else None


@contextlib.contextmanager
def download_slot(
    sessions: sessionmaker[Session], url: str, slots: int, sleep: Sleep = time.sleep, poll_s: float = 1.0
) -> Iterator[None]:
    """One of `slots` downloads from this URL's host, across every worker: a Postgres advisory lock each."""
    host = host_of(url)
    keys = [
        int.from_bytes(hashlib.sha256(f"ophin-download:{host}:{i}".encode()).digest()[:8], "big", signed=True)
        for i in range(slots)
    ]
    with sessions() as session:
        while True:
            held = next(
                (
                    k
                    for k in keys
                    if session.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": k}).scalar()
                ),
                None,
            )
            session.commit()  # no transaction kept open while downloading: the lock is per session
            if held is not None:
                break
            sleep(poll_s)
        try:
            yield
        finally:
            session.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": held})
            session.commit()
