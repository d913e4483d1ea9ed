"""The one reading of a Retry-After header (RFC 9110 10.2.3), for every client that backs off on 429/503:
pages and feeds (http_get), the LLM client, the ASR server client."""

from __future__ import annotations

import email.utils
import math
import time


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait: delta-seconds (a decimal is read too), or an HTTP-date (0 when already past); None
    when absent, negative or unreadable."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        return max(0.0, when.timestamp() - (time.time() if now is None else now))
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
