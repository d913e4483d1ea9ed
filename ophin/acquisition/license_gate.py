"""The open-access gate: gather what a video's sources say about its licence, then let the policy decide.

Runs before any media is downloaded. Evidence comes from yt-dlp's metadata, YouTube's Data API (with a
key), the page or feed that listed the video; once downloaded, the file's container tags are judged with
it before the video is accepted (a local file's, before anything is read).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ophin.acquisition.errors import AcquireError
from ophin.acquisition.fetch_policy import FetchPolicy
from ophin.acquisition.license import LicenseDecision, LicenseEvidence, LicensePolicy, decide
from ophin.acquisition.page_license import license_from_html
from ophin.domain.text import plain_text
from ophin.domain.urls import file_path, is_file_url

if TYPE_CHECKING:
    from ophin.services import Services

_CONTAINER_TAGS = ("license", "licence", "copyright")
_PAGE_EXTRACTORS = ("Generic", "HTML5MediaEmbed")


class LicenseRejected(AcquireError):
    """The licence policy refused the video: nothing of it is downloaded."""

    failure_class = "license"


@dataclass(frozen=True)
class Verdict:
    """A licence decision and the metadata read to reach it (reused as the attribution hints)."""

    decision: LicenseDecision
    info: dict[str, Any]


def evidence_from_info(info: dict[str, Any]) -> list[LicenseEvidence]:
    value = plain_text(info.get("license"), 300)
    if not value:
        return []
    return [LicenseEvidence(value, "license", "yt-dlp", info.get("webpage_url"))]


def container_evidence(tags: dict[str, str], url: str) -> list[LicenseEvidence]:
    found = []
    for tag in _CONTAINER_TAGS:
        value = plain_text(tags.get(tag), 300)
        if value:
            found.append(LicenseEvidence(value, f"container:{tag}", "container", url))
    return found


def with_container_tags(verdict: Verdict, tags: dict[str, str], url: str, svc: Services) -> Verdict:
    """The verdict again, with what the downloaded file's own tags say (ffprobe's format tags): a container
    that says "All rights reserved" or names another licence than the metadata refuses the video."""
    found = [e for e in container_evidence(tags, url) if e not in verdict.decision.evidence]
    if not found:
        return verdict
    decision = decide([*verdict.decision.evidence, *found], policy_for(svc))
    if not decision.accepted:
        raise LicenseRejected(f"container tags: {decision.reason}")
    return Verdict(decision, verdict.info)


def policy_for(svc: Services) -> LicensePolicy:
    s = svc.settings.license
    return LicensePolicy.from_names(s.allowed, s.accept_unknown)


def judge_url(url: str, svc: Services, extra: Sequence[LicenseEvidence] = ()) -> Verdict:
    """Decide one URL's licence from its metadata; downloads no media (a local file is only probed)."""
    if is_file_url(url):
        FetchPolicy.from_settings(svc.settings.acquire).check(url)  # file:// must be opted into
        media = svc.media.probe(file_path(url))
        info = {"title": media.tags.get("title"), "channel": media.tags.get("artist")}
        evidence = [*extra, *container_evidence(media.tags, url)]
        return Verdict(decide(evidence, policy_for(svc)), info)
    info = svc.video_source.probe(url)
    return judge_info(info, svc, [*extra, *page_evidence(info, svc)])


def page_evidence(info: dict[str, Any], svc: Services) -> list[LicenseEvidence]:
    """A web page's own licence markup (rel=license, dcterms.license), when the URL is a page with a video
    in it (yt-dlp's generic extractors); a direct media link has none, and is not fetched twice."""
    page = info.get("webpage_url")
    if info.get("direct") or (info.get("extractor_key") not in _PAGE_EXTRACTORS) or not page:
        return []
    response = svc.http.get(page)
    return license_from_html(response.body.decode("utf-8", "replace"), response.url)


def judge_info(
    info: dict[str, Any], svc: Services, extra: Sequence[LicenseEvidence] = (), *, ask_api: bool = True
) -> Verdict:
    asked = youtube_api_evidence(info, svc) if ask_api else []
    evidence = [*asked, *evidence_from_info(info), *extra]
    return Verdict(decide(evidence, policy_for(svc)), info)


def youtube_api_evidence(info: dict[str, Any], svc: Services) -> list[LicenseEvidence]:
    if svc.youtube_api is None or (info.get("extractor_key") or info.get("ie_key")) != "Youtube":
        return []
    found = svc.youtube_api.videos([info["id"]]).get(info["id"])
    return [found.license_evidence] if found else []
