"""YouTube Data API v3 videos.list: a video's licence, as YouTube itself states it, before any download."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ophin.acquisition.errors import AcquireError
from ophin.acquisition.fetch_policy import FetchRefused
from ophin.acquisition.http_get import HttpError, PolicyHttp
from ophin.acquisition.license import LicenseEvidence
from ophin.domain.text import plain_text

BATCH = 50  # videos.list takes at most 50 ids per call (one quota unit per call)
PARTS = "status,snippet,contentDetails"
_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_DURATION = re.compile(
    r"P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?"
)


class YouTubeApiError(AcquireError):
    """The API refused a call: reason is Google's (quotaExceeded, keyInvalid, ...). Never holds the key."""

    def __init__(
        self, reason: str, message: str, *, status: int | None = None, retry_after_s: float | None = None
    ) -> None:
        self.reason = reason
        self.message = message
        self.status = status
        self.retry_after_s = retry_after_s
        super().__init__(f"YouTube Data API: {reason}: {message}")


@dataclass(frozen=True)
class YouTubeVideo:
    id: str
    license_evidence: LicenseEvidence
    title: str | None = None
    channel: str | None = None
    published_at: str | None = None
    language: str | None = None
    duration_s: float | None = None
    live: bool = False  # live now or upcoming: no finished recording to curate yet
    age_restricted: bool = False  # contentDetails.contentRating.ytRating == "ytAgeRestricted"

    def metadata(self) -> dict[str, Any]:
        """The fields in yt-dlp's spelling, for the crawler's filters (unknowns left out)."""
        meta: dict[str, Any] = {"age_limit": 18 if self.age_restricted else 0, "is_live": self.live}
        for name, value in (
            ("title", self.title),
            ("channel", self.channel),
            ("language", self.language),
            ("duration", self.duration_s),
        ):
            if value is not None:
                meta[name] = value
        return meta


def parse_duration(text: str | None) -> float | None:
    """Seconds in an ISO 8601 duration as contentDetails gives it ("PT1H2M3S", "P1DT2H"); None if not one."""
    text = (text or "").strip()
    match = _DURATION.fullmatch(text)
    if not match or text in ("", "P", "PT") or text.endswith("T"):
        return None
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    weeks, days, hours, minutes = (parts.get(k, 0.0) for k in "wdhm")
    return (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + parts.get("s", 0.0)


class YouTubeDataApi:
    def __init__(
        self, api_key: str, http: PolicyHttp, base_url: str = "https://www.googleapis.com/youtube/v3"
    ) -> None:
        self.api_key = api_key
        self.http = http
        self.base_url = base_url.rstrip("/")

    def __repr__(self) -> str:
        return f"YouTubeDataApi(base_url={self.base_url!r})"  # the key stays out of logs and tracebacks

    def videos(self, video_ids: Sequence[str]) -> dict[str, YouTubeVideo]:
        """The videos that exist and are visible, by id; removed and private ones are absent."""
        ids = list(dict.fromkeys(i.strip() for i in video_ids))
        bad = [i for i in ids if not _VIDEO_ID.fullmatch(i)]
        if bad:
            raise ValueError(f"not YouTube video ids: {bad[:5]}")
        found: dict[str, YouTubeVideo] = {}
        for start in range(0, len(ids), BATCH):
            request_url, items = self._list(ids[start : start + BATCH])
            for item in items:
                video = _video(request_url, item)
                if video is not None:
                    found[video.id] = video
        return found

    def _list(self, ids: list[str]) -> tuple[str, list[dict[str, Any]]]:
        """(the request URL without the key, the response's items)."""
        # maxResults is left out: videos.list documents it as unsupported together with id.
        query = {"part": PARTS, "id": ",".join(ids)}
        shown = f"{self.base_url}/videos?{urlencode(query, safe=',')}"
        failure: AcquireError | None = None
        try:
            response = self.http.get(f"{shown}&{urlencode({'key': self.api_key})}")
        except FetchRefused as exc:
            key = self.api_key or "\0"
            failure = FetchRefused(exc.url.replace(key, "<key>"), exc.reason.replace(key, "<key>"))
        except HttpError as exc:
            failure = self._api_error(exc)
        if failure is not None:
            # Raised outside the except block, so no __context__ carries the keyed URL into a traceback.
            raise failure
        try:
            payload = json.loads(response.body)
        except ValueError:
            payload = None
        items = payload.get("items", []) if isinstance(payload, dict) else None
        if not isinstance(items, list):
            raise YouTubeApiError("badResponse", "videos.list answered something other than its JSON shape")
        return shown, [item for item in items if isinstance(item, dict)]

    def _api_error(self, exc: HttpError) -> YouTubeApiError:
        reason, message = f"http{exc.status}" if exc.status else "unreachable", exc.message
        try:
            error = json.loads(exc.body)["error"]
            reasons = [e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)]
            reason = next((r for r in reasons if r), None) or error.get("status") or reason
            message = error.get("message") or message
        except (ValueError, KeyError, TypeError, AttributeError):
            pass  # not Google's JSON error shape (a proxy page, a network failure): keep the HTTP story
        return YouTubeApiError(
            self._redact(reason, 100),
            self._redact(message, 300),
            status=exc.status,
            retry_after_s=exc.retry_after_s,
        )

    def _redact(self, text: object, max_chars: int) -> str:
        # Before sanitising (a cut could leave half a key) and after (markdown stripping could reshape one).
        raw = str(text).replace(self.api_key, "<key>") if self.api_key else str(text)
        clean = plain_text(raw, max_chars) or ""
        return clean.replace(self.api_key, "<key>") if self.api_key else clean


def _video(request_url: str, item: dict[str, Any]) -> YouTubeVideo | None:
    video_id = item.get("id")
    if not isinstance(video_id, str) or not _VIDEO_ID.fullmatch(video_id):
        return None
    snippet = item.get("snippet") or {}
    status = item.get("status") or {}
    details = item.get("contentDetails") or {}
    evidence = LicenseEvidence(
        value=str(status.get("license") or ""),
        field="status.license",
        origin="youtube-data-api",
        url=request_url,
    )
    return YouTubeVideo(
        id=video_id,
        license_evidence=evidence,
        title=plain_text(snippet.get("title"), 500),
        channel=plain_text(snippet.get("channelTitle"), 300),
        published_at=plain_text(snippet.get("publishedAt"), 40),
        language=plain_text(snippet.get("defaultAudioLanguage") or snippet.get("defaultLanguage"), 20),
        duration_s=parse_duration(details.get("duration")),
        live=snippet.get("liveBroadcastContent", "none") not in ("none", None),
        age_restricted=(details.get("contentRating") or {}).get("ytRating") == "ytAgeRestricted",
    )
