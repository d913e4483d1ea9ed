"""Public safety: local paths and private hosts are refused, and public_url turns them into bare names."""

from __future__ import annotations

import pytest

from ophin.release.public import check_public, public_url

PUBLIC = [
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://www.youtube.com/watch?v=abc_DEF-123&t=42s",
    "sample-corpus:demo/x.mp4",
    "local-file:x.mp4",
    "private-host:x.mp4",
    "https://example.org/home/lectures/tmp/index.html",  # a web path, not a local folder
    "https://peertube.example.com/w/9c9de5e8",
    "http://8.8.8.8/video.mp4",
    "A config file: how to set it up",
    "Fundus photography at home/tmp (version 10.1.2.3.4)",
    "qwen2.5-vl-7b-instruct",
    "CC-BY-4.0",
    "",
]

LOCAL = [
    "/home/alice/videos/x.mp4",
    "/tmp/ophin/frames/f.jpg",
    "/Users/bob/Movies/x.mov",
    "/root/.cache/model.gguf",
    "C:\\Users\\carol\\x.mp4",
    "D:/lectures/x.mp4",
    "~/videos/x.mp4",
    "file:///home/alice/x.mp4",
    "FILE:/tmp/x.mp4",
    "file:x.mp4",
    "see /home/alice/notes.txt for details",
    "sample-corpus:/home/alice/x.mp4",
    "\\\\fileserver\\share\\x.mp4",
]

PRIVATE = [
    "http://localhost:8080/v1",
    "http://LOCALHOST/x",
    "http://127.0.0.1:9000/bucket/x.mp4",
    "http://127.8.9.10/x",
    "http://10.1.2.3/x",
    "http://172.16.0.5/x",
    "http://172.31.255.1/x",
    "http://192.168.1.20:8000/x",
    "http://169.254.169.254/latest/meta-data",
    "https://nas.local/share/x.mp4",
    "https://minio.svc.internal/bucket/x",
    "http://[::1]:8080/x",
    "http://[fd12:3456::1]/x",
    "http://[fc00::1]/x",
    "http://[::ffff:127.0.0.1]/x",
    "http://2130706433/x",  # 127.0.0.1 as one number
    "http://minio:9000/bucket/x.mp4",  # a container-network name
    "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres",
    "served by localhost:8080 today",
    "database at 192.168.0.10",
    "https://user:secret@example.com/x",
    "http://[::1",
]


@pytest.mark.parametrize("value", PUBLIC)
def test_check_public_passes_public_values(value: str) -> None:
    assert check_public(value) is None


@pytest.mark.parametrize("value", LOCAL)
def test_check_public_refuses_local_paths(value: str) -> None:
    reason = check_public(value)
    assert reason and ("local path" in reason)


@pytest.mark.parametrize("value", PRIVATE)
def test_check_public_refuses_private_hosts(value: str) -> None:
    reason = check_public(value)
    assert reason and any(word in reason for word in ("host", "password"))


def test_check_public_does_not_take_172_32_for_private() -> None:
    assert check_public("http://172.32.0.1/x") is None and check_public("http://172.15.0.1/x") is None


@pytest.mark.parametrize(
    "value",
    ["https://www.youtube.com/watch?v=dQw4w9WgXcQ", "sample-corpus:demo/x.mp4", "local-file:x.mp4"],
)
def test_public_url_passes_public_urls_unchanged(value: str) -> None:
    assert public_url(value) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("file:///home/alice/lectures/x.mp4", "local-file:x.mp4"),
        ("file:///tmp/a%20b.mp4", "local-file:a b.mp4"),
        ("file:x.mp4", "local-file:x.mp4"),
        ("/home/alice/x.mp4", "local-file:x.mp4"),
        ("C:\\Users\\carol\\x.mp4", "local-file:x.mp4"),
        ("http://127.0.0.1:8000/videos/x.mp4?token=1", "private-host:x.mp4"),
        ("http://minio:9000/bucket/demo/y.mp4", "private-host:y.mp4"),
        ("http://[::1]/", "private-host:unnamed"),
        ("http://10.0.0.2/%2Fhome%2Falice", "private-host:alice"),  # an encoded separator is a separator
        ("see localhost:8080", "private-host:unnamed"),
    ],
)
def test_public_url_replaces_local_and_private_urls_by_their_name(value: str, expected: str) -> None:
    result = public_url(value)
    assert result == expected and check_public(result) is None


def test_public_url_drops_a_password_but_keeps_a_public_url() -> None:
    assert public_url("https://user:secret@example.com/x.mp4") == "https://example.com/x.mp4"
