"""Links that open a video at a second: per host, and never for local names or non-web schemes."""

from __future__ import annotations

import pytest

from ophin.lineage.view import video_link


def test_video_link_youtube_takes_whole_seconds_and_replaces_a_start() -> None:
    link = video_link("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=9s", 14.7)
    assert link == {"href": "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=14s", "at_s": 14.0, "timed": True}
    assert video_link("https://youtu.be/dQw4w9WgXcQ", 3.2)["href"] == "https://youtu.be/dQw4w9WgXcQ?t=3s"


def test_video_link_direct_media_uses_a_media_fragment() -> None:
    assert (
        video_link("http://127.0.0.1:8000/a%20b.mp4", 14.7)["href"]
        == "http://127.0.0.1:8000/a%20b.mp4#t=14.7"
    )
    assert (
        video_link("https://cdn.example.org/x.webm#t=99", 2.0)["href"] == "https://cdn.example.org/x.webm#t=2"
    )
    assert video_link("https://vimeo.com/76979871", 61.9)["href"] == "https://vimeo.com/76979871#t=61s"


def test_video_link_page_of_unknown_host_has_no_time() -> None:
    link = video_link("https://lectures.example.org/watch/12#chapter", 30.0)
    assert link == {"href": "https://lectures.example.org/watch/12", "at_s": 30.0, "timed": False}


@pytest.mark.parametrize(
    "url",
    ["sample-corpus:demo/lecture_macula.mp4", "local-file:x.mp4", "javascript:alert(1)", "file:///etc/x", ""],
)
def test_video_link_is_none_for_local_names_and_other_schemes(url: str) -> None:
    assert video_link(url, 5.0) is None
