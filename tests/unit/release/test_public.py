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
    # Issue 22: every absolute path, not only home and temp folders.
    "/srv/media/lecture.mp4",
    "/var/tmp/ophin/x.jpg",
    "/opt/ophin/models/base",
    "/data/frames/1.jpg",
    "config read from /etc/ophin/settings.env",
    "installed under /opt",
    "/usr/local/share/x",
    "(/mnt/nas/x)",
    '"/workspace/run/x"',
    "~alice/videos/x.mp4",
    "file://localhost/srv/x.mp4",
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
    # Issue 22: bare host:port, IPv6 and the short, decimal, octal and hex spellings of private addresses.
    "minio:9000",
    "the store at minio:9000/bucket",
    "llm-server:8000",
    "http://127.1/x",
    "http://127.1:9000/x",
    "127.1:8080",
    "http://0177.0.0.1/x",
    "http://0x7f.0.0.1/x",
    "http://0x7f000001/x",
    "http://10.1/x",
    "http://192.168.257/x",
    "0x0a.0.0.1",
    "http://[fe80::1%25eth0]/x",
    "fe80::1",
    "listening on ::1",
    "[::1]:8080",
    "::ffff:192.168.0.1",
    "http://[64:ff9b::c0a8:1]/x",
    "http://[2002:c0a8:101::1]/x",
    "http://0.0.0.0:8000/x",
    "http://100.64.0.1/x",
    "http://intranet/x",
    "http://db.corp/x",
    "http://printer.home.arpa/x",
    "http://1.2.3.4.5/x",
    "http://localhost./x",
    "http://%31%32%37.0.0.1/x",
    "http://\uff11\uff12\uff17.0.0.1/x",
]

CREDENTIALS = [
    "https://bucket.s3.amazonaws.com/x.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc123",
    "https://bucket.s3.amazonaws.com/x.mp4?X-Amz-Credential=AKIA%2F20260101",
    "https://storage.googleapis.com/b/x.mp4?X-Goog-Signature=deadbeef",
    "https://cdn.example.com/v.mp4?token=abc",
    "https://cdn.example.com/v.mp4?exp=1&sig=xyz",
    "https://api.example.com/v?access_token=ya29.a0",
    "https://api.example.com/v?key=AIzaSy123",
    "https://x.blob.core.windows.net/c/v.mp4?sv=2021&sig=abc%3D",
    "access_key=AKIAIOSFODNN7EXAMPLE",
    "set AWSAccessKeyId=AKIA and go",
    "secret_key=minioadmin",
    "client_secret=s3cr3t",
]

# Ordinary clinical text: nothing in it is a path, a host or a credential.
CLINICAL = [
    "20/20 vision",
    "Visual acuity 6/6 OD and 6/12 OS",
    "VA OD:20/40, OS:20/200",
    "1/2 disc diameter from the fovea",
    "5/10 patients improved",
    "~5/10 patients",
    "IOP 21 mmHg",
    "IOP 10.5 mmHg, then 15/17 mmHg",
    "a tear at 3 o'clock",
    "at 10:30 the patient returned",
    "cup/disc ratio 0.3:1",
    "a 1:100 dilution",
    "0.5 mg/kg/day of prednisolone",
    "retina and/or choroid",
    "Fig. 3: OCT of the macula",
    "ICD-10: H35.31",
    "doi:10.1001/jama.2020.1234",
    "refraction -2.00/-0.50x180",
    "Score:12 on the questionnaire",
    "time 12:30:45",
    "Glaucoma / OCT basics",
    "Stage 2+/4 cells",
    "the key finding is drusen",
    "a token amount of haemorrhage",
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


@pytest.mark.parametrize("value", CREDENTIALS)
def test_check_public_refuses_credential_parameters(value: str) -> None:
    reason = check_public(value)
    assert reason and "credential" in reason


@pytest.mark.parametrize("value", CLINICAL)
def test_check_public_passes_ordinary_clinical_text(value: str) -> None:
    assert check_public(value) is None


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


def test_public_url_drops_a_signed_query_but_keeps_a_public_url() -> None:
    signed = "https://b.s3.amazonaws.com/x.mp4?X-Amz-Signature=abc&X-Amz-Credential=AKIA"
    assert public_url(signed) == "https://b.s3.amazonaws.com/x.mp4"
