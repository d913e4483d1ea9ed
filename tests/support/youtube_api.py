"""A local stand-in for YouTube Data API v3 videos.list (Google's response and error shapes), on 127.0.0.1."""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# The parts videos.list knows; asking for another is Google's 400 unknownPart.
KNOWN_PARTS = frozenset(
    "contentDetails fileDetails id liveStreamingDetails localizations player processingDetails "
    "recordingDetails snippet statistics status suggestions topicDetails".split()
)
MAX_IDS = 50


@dataclass
class FakeApiState:
    """What the fake saw (each request's query, the key left out) and how it should misbehave."""

    requests: list[dict[str, str]] = field(default_factory=list)
    quota_exceeded: bool = False


def video_resource(
    license: str = "creativeCommon",
    *,
    title: str = "Phacoemulsification step by step",
    channel: str = "Eye Surgery Teaching",
    duration: str = "PT12M30S",
    live: str = "none",
    language: str | None = "en",
    published_at: str = "2021-03-04T05:06:07Z",
) -> dict[str, Any]:
    """A video resource's snippet/status/contentDetails parts, as videos.list returns them."""
    snippet: dict[str, Any] = {
        "publishedAt": published_at,
        "channelId": "UC" + hashlib.sha1(channel.encode()).hexdigest()[:22],
        "title": title,
        "description": "",
        "channelTitle": channel,
        "categoryId": "27",
        "liveBroadcastContent": live,
    }
    if language:
        snippet["defaultAudioLanguage"] = language
    return {
        "snippet": snippet,
        "status": {
            "uploadStatus": "processed",
            "privacyStatus": "public",
            "license": license,
            "embeddable": True,
            "publicStatsViewable": True,
            "madeForKids": False,
        },
        "contentDetails": {
            "duration": duration,
            "dimension": "2d",
            "definition": "hd",
            "caption": "false",
            "licensedContent": False,
            "projection": "rectangular",
        },
    }


def _etag(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:27]


_STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}


def _error(code: int, reason: str, message: str, domain: str = "youtube.parameter") -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": _STATUS.get(code, "UNKNOWN"),
        }
    }


def _answer(
    path: str, query: dict[str, list[str]], videos: dict[str, dict], api_key: str, state: FakeApiState
) -> tuple[int, dict[str, Any]]:
    if path != "/youtube/v3/videos":
        return 404, _error(404, "notFound", "Method not found.", "global")
    key = query.get("key", [""])[0]
    if not key:
        return 403, _error(403, "forbidden", "The request is missing a valid API key.", "global")
    if key != api_key:
        return 400, _error(400, "keyInvalid", "API key not valid. Please pass a valid API key.", "global")
    if state.quota_exceeded:
        message = "The request cannot be completed because you have exceeded your quota."
        return 403, _error(403, "quotaExceeded", message, "youtube.quota")
    parts = [p for p in query.get("part", [""])[0].split(",") if p]
    if not parts:
        return 400, _error(400, "required", "Required parameter: part")
    unknown = [p for p in parts if p not in KNOWN_PARTS]
    if unknown:
        return 400, _error(400, "unknownPart", f"'{unknown[0]}'")
    ids = [i for i in query.get("id", [""])[0].split(",") if i]
    if not ids:
        return 400, _error(400, "missingRequiredParameter", "No filter selected. Expected one of: id, chart.")
    if len(ids) > MAX_IDS:
        return 400, _error(400, "invalidFilters", f"At most {MAX_IDS} ids may be given; got {len(ids)}.")
    items = []
    for video_id in ids:
        if video_id not in videos:
            continue  # removed or private: the real API just leaves it out
        resource = videos[video_id]
        item: dict[str, Any] = {"kind": "youtube#video", "etag": _etag(video_id), "id": video_id}
        item.update({p: resource[p] for p in parts if p in resource})
        items.append(item)
    body = {
        "kind": "youtube#videoListResponse",
        "etag": _etag(",".join(ids)),
        "items": items,
        "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
    }
    return 200, body


@contextlib.contextmanager
def serve_youtube_api(
    videos: dict[str, dict], api_key: str, *, state: FakeApiState | None = None
) -> Iterator[str]:
    """Serve videos.list for videos (id -> parts, see video_resource); yields the base URL, .../youtube/v3."""
    seen = state if state is not None else FakeApiState()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            url = urlsplit(self.path)
            query = parse_qs(url.query, keep_blank_values=True)
            seen.requests.append({k: v[0] for k, v in query.items() if k != "key"})
            status, body = _answer(url.path, query, videos, api_key, seen)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/youtube/v3"
    finally:
        server.shutdown()
        server.server_close()
