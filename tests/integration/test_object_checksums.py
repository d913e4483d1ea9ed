"""Every stored object's sha256 is recorded when written and checked when read (issue 22, break 5): a
same-size overwrite of a frame, an info.json, a caption track or a release file is caught, on the local
store and on S3 (moto) alike."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from minio import Minio
from sqlalchemy import func, select

from eval.corpus import demo_videos
from ophin.adapters.object_store import (
    LocalObjectStore,
    ObjectCorrupt,
    S3ObjectStore,
    get_verified_bytes,
    holds,
)
from ophin.db.models import Frame, StageRun, Video
from ophin.db.session import session_scope
from ophin.domain.keys import release_key
from ophin.pipeline import run_urls
from ophin.release.build import INDEX, MANIFEST
from ophin.release.publish import fetch_for_diff
from ophin.stages.base import StageFailed
from ophin.stages.export import ExportError, export_release
from tests.conftest import make_services
from tests.integration.test_asr_backends import CAPTIONS, acquire, add_track, english_clip, transcribe
from tests.support.media import cut
from tests.support.release import text_files


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tamper(store, key: str) -> bytes:  # noqa: ANN001
    """Other bytes of the same size under key (what a size or existence check cannot see); the old bytes."""
    good = store.get_bytes(key)
    half = len(good) // 2
    bad = good[:half] + bytes(b ^ 0x5A for b in good[half:])
    assert len(bad) == len(good) and bad != good
    store.put_bytes(key, bad)
    return good


def attempts(svc, stage: str | None = None) -> int:  # noqa: ANN001
    with session_scope(svc.sessions) as session:
        query = select(func.count()).select_from(StageRun)
        return session.scalar(query.where(StageRun.stage == stage) if stage else query)


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path, s3_endpoint):  # noqa: ANN001, ANN201
    if request.param == "local":
        return LocalObjectStore(tmp_path / "objects")
    client = Minio(s3_endpoint, access_key="test", secret_key="testtest", secure=False)
    return S3ObjectStore(client, f"t{uuid.uuid4().hex[:12]}")


@pytest.fixture(scope="module")
def clip_url(tmp_path_factory) -> str:  # noqa: ANN001
    clip = cut(demo_videos()[0], tmp_path_factory.mktemp("clip") / "fundus.mp4", 16.0, 14.0)
    return clip.resolve().as_uri()


def test_object_store_sha256_sees_a_same_size_overwrite(store) -> None:  # noqa: ANN001
    data = b"\xff\xd8 a frame " * 1000
    store.put_bytes("videos/v/frames/f.jpg", data)
    assert store.sha256("videos/v/frames/f.jpg") == sha(data)
    assert holds(store, "videos/v/frames/f.jpg", sha(data))
    assert get_verified_bytes(store, "videos/v/frames/f.jpg", sha(data)) == data

    tamper(store, "videos/v/frames/f.jpg")
    assert store.size("videos/v/frames/f.jpg") == len(data)  # the size still matches...
    assert not holds(store, "videos/v/frames/f.jpg", sha(data))  # ...the hash does not
    with pytest.raises(ObjectCorrupt, match="videos/v/frames/f.jpg"):
        get_verified_bytes(store, "videos/v/frames/f.jpg", sha(data))
    # No recorded hash proves nothing; a missing object is not held.
    with pytest.raises(ObjectCorrupt, match="no sha256 recorded"):
        get_verified_bytes(store, "videos/v/frames/f.jpg", None)
    assert not holds(store, "videos/v/frames/gone.jpg", sha(data))


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_tampered_frame_export_refuses_then_the_next_run_remakes_it(
    kind, tmp_path, db_url, transcriber, clip_url, s3_endpoint
) -> None:  # noqa: ANN001
    svc = make_services(
        tmp_path / "h", db_url, transcriber, s3_endpoint=s3_endpoint if kind == "s3" else None
    )
    assert run_urls([clip_url], svc).ok
    release = tmp_path / "release"
    first = export_release(release, svc=svc)
    before = text_files(release)
    with session_scope(svc.sessions) as session:
        video = session.scalars(select(Video)).one()
        frames = session.execute(select(Frame.object_key, Frame.sha256).where(Frame.kept)).all()
    assert frames and all(h == sha(svc.store.get_bytes(k)) for k, h in frames)
    assert video.info_sha256 == sha(svc.store.get_bytes(video.info_key))

    exported = json.loads((release / INDEX).read_text().splitlines()[0])["frame_id"]
    (key,) = [k for k, _ in frames if exported in k]
    good = tamper(svc.store, key)
    tamper(svc.store, video.info_key)
    # Export refuses: it never publishes a frame whose bytes differ from what keyframes stored.
    with pytest.raises(ExportError, match="does not match its recorded sha256") as refused:
        export_release(release, svc=svc)
    assert key in str(refused.value)
    assert text_files(release) == before  # the earlier release is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h", "release"]  # no staging folder left

    acquired, made = attempts(svc, "acquire"), attempts(svc, "keyframes")
    assert run_urls([clip_url], svc).ok  # acquire and keyframes see the hashes differ and redo them
    assert (attempts(svc, "acquire"), attempts(svc, "keyframes")) == (acquired + 1, made + 1)
    assert svc.store.get_bytes(key) == good
    with session_scope(svc.sessions) as session:  # info.json written again (it holds the fetch's time)
        info_sha256 = session.get(Video, video.id).info_sha256
    assert sha(svc.store.get_bytes(video.info_key)) == info_sha256
    again = export_release(release, svc=svc)
    assert again.release_id == first.release_id and not again.published

    # Untouched, a second run changes nothing: every stage skips, no attempt is recorded.
    runs = attempts(svc)
    assert run_urls([clip_url], svc).ok
    assert attempts(svc) == runs

    # A stored release file overwritten is re-made from the export's own copy; a manifest that no longer
    # gives its release id is refused when read and re-made by the next export.
    prefix = svc.settings.release.prefix
    index_key = release_key(prefix, first.release_id, INDEX)
    good_index = tamper(svc.store, index_key)
    assert export_release(release, svc=svc).published
    assert svc.store.get_bytes(index_key) == good_index
    manifest_key = release_key(prefix, first.release_id, MANIFEST)
    manifest = svc.store.get_bytes(manifest_key)
    held = json.loads(manifest)
    index_sha = held["files"][INDEX]["sha256"]
    svc.store.put_bytes(manifest_key, manifest.replace(index_sha.encode(), index_sha[::-1].encode()))
    with pytest.raises(ObjectCorrupt, match=manifest_key):
        fetch_for_diff(svc.store, prefix, first.release_id, tmp_path / "diff")
    assert export_release(release, svc=svc).published
    assert json.loads(svc.store.get_bytes(manifest_key))["files"] == held["files"]
    assert (fetch_for_diff(svc.store, prefix, first.release_id, tmp_path / "diff2") / INDEX).is_file()


def test_tampered_caption_track_fails_transcribe_with_input_missing(tmp_path, db_url, transcriber) -> None:  # noqa: ANN001
    svc = make_services(tmp_path, db_url, transcriber)
    vid = acquire(svc, english_clip(tmp_path / "en.mp4"))
    add_track(svc, vid, CAPTIONS, "en", "creator")
    assert transcribe(svc, vid).output["sources"] == ["subtitles"]
    key = f"videos/{vid}/subtitles/creator.en.vtt"
    svc.store.put_bytes(key, CAPTIONS.replace("optic disc", "Jane Doe!!").encode())  # same size
    with pytest.raises(StageFailed) as failed:
        transcribe(svc, vid)
    assert type(failed.value.cause).__name__ == "InputMissing"
    assert key in str(failed.value.cause) and "sha256" in str(failed.value.cause)
