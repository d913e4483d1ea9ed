"""The one Retry-After reading: delta-seconds, decimals, HTTP dates; negative, infinite and unreadable values
refused (None), so a client falls back on its own backoff."""

from __future__ import annotations

import email.utils

from ophin.adapters.retry_after import parse_retry_after


def test_reads_delta_seconds_and_http_dates() -> None:
    now = 1_780_000_000.0
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == 30.0
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0  # already past


def test_refuses_what_is_no_wait() -> None:
    for bad in (None, "", "  ", "soon", "-5", "inf", "nan", "Mon, 99 Foo 2026"):
        assert parse_retry_after(bad) is None, bad
