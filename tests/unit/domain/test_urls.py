from __future__ import annotations

import pytest

from ophin.domain.urls import canonical_url, is_file_url

VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


def test_canonical_url_gives_one_string_for_five_youtube_spellings() -> None:
    spellings = [
        "https://youtu.be/dQw4w9WgXcQ?si=AbCdEf&t=30",
        "http://www.youtube.com/watch?v=dQw4w9WgXcQ&t=30&list=PLx&index=2",
        "https://m.youtube.com/watch?feature=share&v=dQw4w9WgXcQ",
        "https://music.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtube.com/shorts/dQw4w9WgXcQ?feature=share",
        "https://www.youtube.com/embed/dQw4w9WgXcQ?start=30",
        "https://www.youtube.com/live/dQw4w9WgXcQ?si=x",
        "https://www.youtube.com/v/dQw4w9WgXcQ",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        "  HTTPS://WWW.YOUTUBE.COM:443/watch?v=dQw4w9WgXcQ#t=1m  ",
    ]
    assert {canonical_url(u) for u in spellings} == {VIDEO}


def test_canonical_url_keeps_differing_youtube_ids_apart() -> None:
    assert canonical_url("https://youtu.be/dQw4w9WgXcQ") != canonical_url("https://youtu.be/dQw4w9WgXcR")
    assert canonical_url("https://youtu.be/abcdefghijk") == "https://www.youtube.com/watch?v=abcdefghijk"
    # Case is part of the id.
    assert canonical_url("https://youtu.be/ABCDEFGHIJK") == "https://www.youtube.com/watch?v=ABCDEFGHIJK"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.youtube.com/@SomeChannel/videos?si=x", "https://www.youtube.com/@SomeChannel/videos"),
        ("https://www.youtube.com/playlist?list=PL123", "https://www.youtube.com/playlist?list=PL123"),
        # "videoseries" has the shape of an id but is the playlist player.
        (
            "https://www.youtube.com/embed/videoseries?list=PL1",
            "https://www.youtube.com/embed/videoseries?list=PL1",
        ),
        # An id of the wrong length is not an id.
        ("https://youtube.com/watch?v=short", "https://youtube.com/watch?v=short"),
    ],
)
def test_canonical_url_leaves_youtube_urls_without_a_video_id(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_lowercases_scheme_and_host_but_not_path() -> None:
    assert canonical_url("HTTPS://Example.COM/Lectures/A.mp4") == "https://example.com/Lectures/A.mp4"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://[2001:DB8::1]:443/a", "https://[2001:db8::1]/a"),
    ],
)
def test_canonical_url_drops_only_default_ports(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_drops_fragment_and_tracking_params_keeping_others_in_order() -> None:
    url = (
        "https://example.com/v?utm_source=x&b=2&fbclid=1&a=1&UTM_Medium=y&gclid=g&si=s&feature=f"
        "&ref=r&ref_src=t&spm=p&_ga=q&yclid=z&dclid=d&msclkid=m&mc_cid=c&mc_eid=e&igshid=i&c=3#part"
    )
    assert canonical_url(url) == "https://example.com/v?b=2&a=1&c=3"


def test_canonical_url_keeps_kept_params_encoding_and_drops_empty_query() -> None:
    assert canonical_url("https://example.com/v?q=a%20b&x=1+2") == "https://example.com/v?q=a%20b&x=1+2"
    assert canonical_url("https://example.com/v?utm_source=x#y") == "https://example.com/v"


def test_canonical_url_adds_root_path_to_bare_host() -> None:
    assert canonical_url("https://Example.com") == canonical_url("https://example.com/")


def test_canonical_url_normalises_file_url_encoding_and_dot_segments() -> None:
    expected = "file:///a/b%20c.mp4"
    assert canonical_url("file:///a/b%20c.mp4") == expected
    assert canonical_url("file:///a/b c.mp4") == expected
    assert canonical_url("FILE://localhost/a/x/../b%20c.mp4#t=3") == expected
    assert canonical_url("file:////a/./b c.mp4") == expected


def test_canonical_url_cannot_climb_above_file_root() -> None:
    assert canonical_url("file:///../../etc/passwd") == "file:///etc/passwd"


def test_is_file_url_reads_the_scheme_only() -> None:
    assert is_file_url("file:///a.mp4") and is_file_url("  FILE:///a.mp4")
    assert not is_file_url("https://example.com/file:///a.mp4")
    assert not is_file_url("/a/b.mp4")
