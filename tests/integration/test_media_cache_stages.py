"""transcribe and keyframes on one video: its media is downloaded once per worker, not once per stage."""

from __future__ import annotations

import uuid

import pytest

from eval.corpus import demo_videos
from ophin.adapters.media_cache import cache_for, configure
from ophin.db.models import Video
from ophin.db.session import session_scope
from ophin.pipeline import params_for
from ophin.stages.acquire import acquire_video
from ophin.stages.keyframes import extract_keyframes
from ophin.stages.transcribe import transcribe_video
from tests.conftest import make_services
from tests.support.counting_store import CountingStore
from tests.support.media import cut


@pytest.fixture(scope="module")
def clip(tmp_path_factory):  # noqa: ANN001, ANN201
    return cut(demo_videos()[0], tmp_path_factory.mktemp("clip") / "glaucoma.mp4", 16.0, 12.0).as_uri()


def _acquired(tmp_path, db_url, transcriber, clip, cache_gb: float):  # noqa: ANN001, ANN202
    svc = make_services(tmp_path, db_url, transcriber)
    svc.store = CountingStore(svc.store.root)  # type: ignore[attr-defined]
    configure(svc.workdir, cache_gb)
    params = params_for(svc)
    vid = uuid.UUID(acquire_video(clip, params.acquire, svc=svc).output["video_id"])
    with session_scope(svc.sessions) as session:
        key = session.get(Video, vid).media_key
    return svc, params, vid, key


def test_second_stage_on_same_video_downloads_nothing(tmp_path, db_url, transcriber, clip) -> None:  # noqa: ANN001
    svc, params, vid, key = _acquired(tmp_path, db_url, transcriber, clip, 1.0)
    assert transcribe_video(vid, params.transcribe, svc=svc).output["segments"] > 0
    assert extract_keyframes(vid, params.keyframes, svc=svc).output["frames"] > 0
    extract_keyframes(vid, params.keyframes, svc=svc, force=True)  # a re-run on the same worker too
    assert svc.store.reads[key] == 1
    cache = cache_for(svc.workdir)
    assert cache is not None and len(list(cache.root.iterdir())) == 1
    # The attempts' scratch folders are gone; the cached file, outside them, stays.
    assert [p.name for p in svc.workdir.iterdir()] == ["media"]


def test_stages_with_the_cache_off_download_per_stage(tmp_path, db_url, transcriber, clip) -> None:  # noqa: ANN001
    svc, params, vid, key = _acquired(tmp_path, db_url, transcriber, clip, 0)
    assert transcribe_video(vid, params.transcribe, svc=svc).output["segments"] > 0
    assert extract_keyframes(vid, params.keyframes, svc=svc).output["frames"] > 0
    assert svc.store.reads[key] == 2
    assert not (svc.workdir / "media").exists()


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_store_size_is_the_objects_and_missing_raises(kind, tmp_path, s3_endpoint) -> None:  # noqa: ANN001
    from ophin.adapters.object_store import ObjectMissing, build_object_store
    from ophin.settings import Settings

    store_cfg = (
        {"kind": "s3", "endpoint": s3_endpoint, "bucket": f"b{uuid.uuid4().hex[:12]}"} if kind == "s3" else {}
    )
    store_cfg |= {"access_key": "test", "secret_key": "testtest"} if kind == "s3" else {}
    store = build_object_store(Settings(home=tmp_path, store=store_cfg))
    store.put_bytes("media/ab/abc.mp4", b"x" * 1234)
    assert store.size("media/ab/abc.mp4") == 1234
    with pytest.raises(ObjectMissing):
        store.size("media/no/such.mp4")
