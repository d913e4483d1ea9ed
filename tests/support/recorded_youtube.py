"""yt-dlp's YouTube answers, replayed: a VideoSource over tests/fixtures/ytdlp/ that needs no network.

The fixtures are built to the shape yt-dlp 2026.10.26 gives (YouTube cannot be reached from the test
machines): search_flat.json is a search playlist as `extract_info(process=False)` returns it, its entries
what youtube/_tab.py `_extract_video` yields, passed through `sanitize_info`; videos/<id>.json are probes
(`extract_info(download=False)`, format 18 selected, so its fields sit at the top level), trimmed to a few
formats, thumbnails and caption languages; probe_errors.json holds the DownloadError text yt-dlp raises
for the two videos that cannot be probed. The listing is in upload order, newest first.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ophin.acquisition.errors import AcquireError, classify
from ophin.acquisition.video_source import FetchedVideo
from ophin.domain.urls import canonical_url

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ytdlp"
QUERY = "diabetic retinopathy ophthalmology"  # what search_flat.json lists

# The recorded videos, in the listing's order.
LIVE = "hQ3vT8nLw2E"  # a live stream
CC_LECTURE = "Xk9mP2rT4bQ"  # Creative Commons, with creator subtitles
API_CC = "Ra7Nc0Vd5Ug"  # no License row on the watch page; the Data API says creativeCommon
STANDARD = "Jt2Wq8Lm6Ys"  # the standard YouTube licence: yt-dlp gives no license key
AGE_RESTRICTED = "Bv5Hn3Kz9Pe"  # age_limit 18
GERMAN = "De4Gf7Aq1Zu"  # language "de"
SHORT = "Fy6Lp1Os8Ti"  # 10 s, listed under /shorts/
# Markup and bidi controls in an 886-character title, a 2,000-character channel name: more than YouTube
# itself allows (it refuses < and > in titles), as a tampered answer or a careless mirror could send.
HOSTILE = "Ux3Ei5Ro7Wa"
PRIVATE = "Pq8Zs2Dv4Nk"  # listed, then made private: the probe fails
GEO_BLOCKED = "Gc1Tb6Mh0Jy"  # the probe fails: not available in this country

# yt-dlp's search key, with the result count yt-dlp takes ("" = 1, "all", or N). yt-dlp removed
# ytsearchdate in 2026.02 (yt-dlp PR #15959): like the real adapter, this source refuses it.
_SEARCH = re.compile(r"ytsearch(?P<n>|[1-9][0-9]*|all):(?P<query>[\s\S]+)")
_RATE_LIMITED = "ERROR: [youtube] {id}: Unable to download API page: HTTP Error 429: Too Many Requests"


def load(name: str, fixtures: Path = FIXTURES) -> Any:
    return json.loads((fixtures / name).read_text(encoding="utf-8"))


def as_acquire_error(message: str) -> AcquireError:
    """The AcquireError the real adapter raises for a yt-dlp error message (its first line, no "ERROR: ")."""
    text = message.removeprefix("ERROR: ").strip()
    first = text.splitlines()[0] if text else "yt-dlp error"
    return classify(first)(first)


def video_id(url: str) -> str | None:
    """The YouTube id of any spelling of a watch URL (watch?v=, /shorts/, youtu.be); None for other URLs."""
    canonical = canonical_url(url)
    if not canonical.startswith("https://www.youtube.com/watch?"):
        return None
    return parse_qs(urlsplit(canonical).query).get("v", [None])[0]


class RecordedVideoSource:
    """The VideoSource protocol over recorded info dicts: listings lazily, probes, no media.

    `yielded` holds, per list_entries call, how many entries the consumer took (a listing that stopped
    early shows a short count); `probed` holds every probed URL, in order.
    """

    def __init__(self, fixtures: Path = FIXTURES) -> None:
        self.fixtures = fixtures
        playlist = load("search_flat.json", fixtures)
        self.entries: dict[str, dict[str, Any]] = {e["id"]: e for e in playlist["entries"]}
        self.searches: dict[str, list[str]] = {playlist["id"]: list(self.entries)}
        self.listings: dict[str, list[str]] = {}
        self.videos = {p.stem: json.loads(p.read_text("utf-8")) for p in (fixtures / "videos").glob("*.json")}
        self.probe_errors: dict[str, str] = load("probe_errors.json", fixtures)
        self.yielded: list[int] = []
        self.probed: list[str] = []
        self._rate_limited = 0

    def record_search(self, query: str, ids: Iterable[str]) -> None:
        """Another query whose results are some of the recorded entries, in the order given."""
        self.searches[query] = self._known(ids)

    def record_listing(self, url: str, ids: Iterable[str]) -> None:
        """A channel or playlist URL that lists some of the recorded entries."""
        self.listings[canonical_url(url)] = self._known(ids)

    def rate_limit(self, probes: int) -> None:
        """The next `probes` probes answer HTTP 429, as YouTube does when it throttles."""
        self._rate_limited = probes

    @property
    def last_yielded(self) -> int:
        return self.yielded[-1] if self.yielded else 0

    def _known(self, ids: Iterable[str]) -> list[str]:
        ids = list(ids)
        unknown = [i for i in ids if i not in self.entries]
        if unknown:
            raise KeyError(f"not in search_flat.json: {unknown}")
        return ids

    def _listing(self, target: str) -> list[str]:
        search = _SEARCH.fullmatch(target)
        if search is None:
            ids = self.listings.get(canonical_url(target))
            if ids is None:
                raise AcquireError(f"recorded source: no listing recorded for {target}")
            return ids
        ids = self.searches.get(" ".join(search["query"].split()))
        if ids is None:
            raise AcquireError(f"recorded source: no search recorded for {search['query']!r}")
        n = search["n"]
        return ids if n == "all" else ids[: int(n or 1)]

    def list_entries(self, target: str) -> Iterator[dict[str, Any]]:
        ids = self._listing(target)  # checked at the first next(), as yt-dlp's lazy listing does
        self.yielded.append(0)
        for vid in ids:
            self.yielded[-1] += 1
            yield copy.deepcopy(self.entries[vid])

    def probe(self, url: str) -> dict[str, Any]:
        self.probed.append(url)
        vid = video_id(url)
        if vid is None:
            raise AcquireError(f"recorded source: {url} is not a YouTube video")
        if self._rate_limited > 0:
            self._rate_limited -= 1
            raise as_acquire_error(_RATE_LIMITED.format(id=vid))
        if vid in self.probe_errors:
            raise as_acquire_error(self.probe_errors[vid])
        if vid not in self.videos:
            raise as_acquire_error(f"ERROR: [youtube] {vid}: Video unavailable. This video is not available")
        return copy.deepcopy(self.videos[vid])

    def fetch(self, url: str, workdir: Path) -> FetchedVideo:
        raise AcquireError("recorded source: no media")
