"""Why a video or page could not be acquired: one exception class per failure kind (the kind is recorded on
the attempt and decides the retry), and the kind a yt-dlp error message describes."""

from __future__ import annotations

import re


class AcquireError(RuntimeError):
    """The URL could not be fetched (unreachable, unsupported, no media)."""

    failure_class = "error"


class VideoUnavailable(AcquireError):
    """Removed, private, or gone (404/410)."""

    failure_class = "unavailable"


class GeoBlocked(AcquireError):
    failure_class = "geo_blocked"


class SignInRequired(AcquireError):
    """The host wants a login (age gate, members only, bot check): cookies may help."""

    failure_class = "sign_in_required"


class RateLimited(AcquireError):
    """429 or a 5xx: the host asks us to slow down; retried later with backoff."""

    failure_class = "rate_limited"


class TooLarge(AcquireError):
    """Over the size or resolution cap."""

    failure_class = "too_large"


# yt-dlp reports most failures as one message string; these are the words each host uses.
_CLASSES: tuple[tuple[type[AcquireError], re.Pattern[str]], ...] = (
    (RateLimited, re.compile(r"HTTP Error (429|5\d\d)|Too Many Requests|rate.?limit", re.I)),
    (GeoBlocked, re.compile(r"available (in|from) your (country|location)|geo.?restrict", re.I)),
    # Before sign-in: a private video's message says "Sign in if you've been granted access".
    (
        VideoUnavailable,
        re.compile(r"HTTP Error (404|410)|unavailable|not available|private video|removed|deleted", re.I),
    ),
    (SignInRequired, re.compile(r"sign in|log ?in|cookies|confirm your age|members.only|not a bot", re.I)),
    (TooLarge, re.compile(r"larger than max-filesize|too large", re.I)),
)


def classify(message: str) -> type[AcquireError]:
    """The AcquireError subclass a yt-dlp error message describes (AcquireError when none fits)."""
    return next((cls for cls, pattern in _CLASSES if pattern.search(message)), AcquireError)
