"""YouTubeDataApi against a local fake of videos.list that answers in Google's shapes."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from ophin.acquisition.fetch_policy import FetchPolicy, FetchRefused
from ophin.acquisition.http_get import HttpError, PolicyHttp
from ophin.acquisition.license import LicensePolicy, decide
from ophin.acquisition.youtube_api import YouTubeApiError, YouTubeDataApi, parse_duration
from tests.support.youtube_api import FakeApiState, serve_youtube_api, video_resource

KEY = "AIzaTestKey-0123456789_abcdefghijklmno"


def vid(n: int) -> str:
    return f"vid{n:08d}"  # 11 characters, like a real id


@dataclass
class Api:
    base_url: str
    state: FakeApiState

    def client(self, key: str = KEY) -> YouTubeDataApi:
        http = PolicyHttp(FetchPolicy(allow_hosts=(urlsplit(self.base_url).netloc,)))
        return YouTubeDataApi(key, http, base_url=self.base_url)


VIDEOS = {
    vid(n): video_resource("creativeCommon" if n % 2 else "youtube", title=f"Lecture {n}") for n in range(100)
}
VIDEOS[vid(200)] = video_resource(duration="PT1H2M3S", live="none", language=None)
VIDEOS[vid(201)] = video_resource(duration="P0D", live="upcoming")
VIDEOS[vid(202)] = video_resource(duration="PT45S", live="live")


@pytest.fixture
def api() -> Iterator[Api]:
    state = FakeApiState()
    with serve_youtube_api(VIDEOS, KEY, state=state) as base_url:
        yield Api(base_url, state)


def test_videos_batches_120_ids_into_3_requests_of_at_most_50(api: Api) -> None:
    ids = [vid(n) for n in range(120)]  # 100..119 do not exist
    got = api.client().videos(ids)
    assert len(api.state.requests) == 3
    assert [len(r["id"].split(",")) for r in api.state.requests] == [50, 50, 20]
    assert all(r["part"] == "status,snippet,contentDetails" for r in api.state.requests)
    assert sorted(got) == [vid(n) for n in range(100)]


def test_videos_leaves_out_removed_and_private_ids(api: Api) -> None:
    got = api.client().videos([vid(1), "gone0000000", vid(2), vid(1)])
    assert sorted(got) == [vid(1), vid(2)]
    assert len(api.state.requests) == 1 and api.state.requests[0]["id"] == f"{vid(1)},gone0000000,{vid(2)}"


def test_videos_maps_licences_to_evidence_the_gate_reads(api: Api) -> None:
    got = api.client().videos([vid(1), vid(2)])
    cc, standard = got[vid(1)].license_evidence, got[vid(2)].license_evidence
    assert (cc.value, cc.field, cc.origin) == ("creativeCommon", "status.license", "youtube-data-api")
    assert standard.value == "youtube"
    assert cc.url == f"{api.base_url}/videos?part=status,snippet,contentDetails&id={vid(1)},{vid(2)}"
    assert KEY not in cc.url and "key=" not in cc.url
    policy = LicensePolicy()
    assert decide([cc], policy).license == "CC-BY-3.0" and decide([cc], policy).accepted
    refused = decide([standard], policy)
    assert not refused.accepted and refused.license == "YouTube-Standard"


def test_videos_reads_metadata_durations_and_live_state(api: Api) -> None:
    got = api.client().videos([vid(3), vid(200), vid(201), vid(202)])
    lecture = got[vid(3)]
    assert (lecture.title, lecture.channel, lecture.published_at, lecture.language) == (
        "Lecture 3",
        "Eye Surgery Teaching",
        "2021-03-04T05:06:07Z",
        "en",
    )
    assert lecture.duration_s == 750.0 and not lecture.live
    assert got[vid(200)].duration_s == 3723.0 and got[vid(200)].language is None
    assert got[vid(201)].live and got[vid(201)].duration_s == 0.0
    assert got[vid(202)].live and got[vid(202)].duration_s == 45.0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT1H2M3S", 3723.0),
        ("PT15M", 900.0),
        ("PT0S", 0.0),
        ("P1DT2H", 93600.0),
        ("PT1.5S", 1.5),
        ("P1W", 604800.0),
    ],
)
def test_parse_duration_reads_iso_8601(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "P", "PT", "1:02:03", "PT1H2M3ST", None])
def test_parse_duration_refuses_what_is_not_a_duration(text: str | None) -> None:
    assert parse_duration(text) is None


def _shown(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc) + str(vars(exc))


def test_a_wrong_key_raises_key_invalid_without_the_key(api: Api) -> None:
    wrong = "AIzaWrongKey-9876543210_zyxwvutsrqponml"
    with pytest.raises(YouTubeApiError) as refused:
        api.client(key=wrong).videos([vid(1)])
    assert refused.value.reason == "keyInvalid" and refused.value.status == 400
    assert (
        str(refused.value) == "YouTube Data API: keyInvalid: API key not valid. Please pass a valid API key."
    )
    assert wrong not in _shown(refused.value)


def test_an_exhausted_quota_raises_quota_exceeded_without_the_key(api: Api) -> None:
    api.state.quota_exceeded = True
    with pytest.raises(YouTubeApiError) as refused:
        api.client().videos([vid(1)])
    assert refused.value.reason == "quotaExceeded" and refused.value.status == 403
    assert "exceeded your quota" in refused.value.message
    assert KEY not in _shown(refused.value)


def test_a_refused_api_host_is_reported_without_the_key(api: Api) -> None:
    client = YouTubeDataApi(KEY, PolicyHttp(FetchPolicy()), base_url=api.base_url)  # 127.0.0.1 not allowed
    with pytest.raises(FetchRefused) as refused:
        client.videos([vid(1)])
    assert KEY not in _shown(refused.value) and "key=<key>" in refused.value.url
    assert api.state.requests == []
    assert KEY not in repr(client)


def test_the_fake_refuses_what_the_real_api_refuses(api: Api) -> None:
    with pytest.raises(YouTubeApiError) as too_many:
        api.client()._list([vid(n) for n in range(51)])  # one over the batch the client never exceeds
    assert too_many.value.reason == "invalidFilters" and too_many.value.status == 400
    http = PolicyHttp(FetchPolicy(allow_hosts=(urlsplit(api.base_url).netloc,)))
    for query, reason in [
        (f"id={vid(1)}&key={KEY}", "required"),
        (f"part=snippet,bogus&id={vid(1)}&key={KEY}", "unknownPart"),
        (f"part=snippet&id={vid(1)}", "forbidden"),
    ]:
        with pytest.raises(HttpError) as refused:
            http.get(f"{api.base_url}/videos?{query}")
        assert f'"reason": "{reason}"' in refused.value.body.decode()
    body = http.get(f"{api.base_url}/videos?part=snippet&id={vid(1)}&key={KEY}").body.decode()
    assert (
        '"kind": "youtube#videoListResponse"' in body and '"status"' not in body
    )  # only the parts asked for


def test_videos_refuses_ids_that_are_not_video_ids(api: Api) -> None:
    with pytest.raises(ValueError, match="not YouTube video ids"):
        api.client().videos(["a,b"])
    assert api.client().videos([]) == {} and api.state.requests == []
