"""The media cache on a real local store: one download per video, verified, bounded, safe to share."""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from pathlib import Path

import pytest

from ophin.adapters.media_cache import MediaCache, cache_for, configure
from ophin.adapters.object_store import ObjectCorrupt, ObjectMissing
from ophin.db.models import Video
from ophin.stages.common import InputMissing, fetch_media
from tests.support.counting_store import CountingStore


def _put(store: CountingStore, data: bytes) -> tuple[str, str]:
    sha = hashlib.sha256(data).hexdigest()
    key = f"media/{sha[:2]}/{sha}.mp4"
    store.put_bytes(key, data)
    return key, sha


def _entries(cache: MediaCache) -> list[Path]:
    return sorted(cache.root.iterdir()) if cache.root.exists() else []


@pytest.fixture
def store(tmp_path: Path) -> CountingStore:
    return CountingStore(tmp_path / "store")


def test_fetch_second_time_reads_nothing_from_the_store(store: CountingStore, tmp_path: Path) -> None:
    data = os.urandom(50_000)
    key, sha = _put(store, data)
    cache = MediaCache(tmp_path / "work" / "media", 10**9)
    one = cache.fetch(store, key, sha, tmp_path / "a" / "m.mp4")
    two = cache.fetch(store, key, sha, tmp_path / "b" / "m.mp4")
    assert store.reads[key] == 1
    assert one.read_bytes() == two.read_bytes() == data
    assert [p.name for p in _entries(cache)] == [f"{sha}-{len(data)}.mp4"]
    # The caller's copy is its own name: removing it (as the attempt's scratch cleanup does) keeps the entry.
    one.unlink()
    assert cache.fetch(store, key, sha, tmp_path / "c" / "m.mp4").read_bytes() == data
    assert store.reads[key] == 1


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_fetch_damaged_entry_is_fetched_again(store: CountingStore, tmp_path: Path, damage: str) -> None:
    data = os.urandom(40_000)
    key, sha = _put(store, data)
    cache = MediaCache(tmp_path / "media", 10**9)
    cache.fetch(store, key, sha, tmp_path / "a" / "m.mp4")
    (entry,) = _entries(cache)
    os.chmod(entry, 0o644)
    if damage == "truncate":
        os.truncate(entry, 1000)
    else:
        entry.unlink()
    got = cache.fetch(store, key, sha, tmp_path / "b" / "m.mp4")
    assert got.read_bytes() == data
    assert store.reads[key] == 2
    assert [p.stat().st_size for p in _entries(cache)] == [len(data)]


def test_fetch_hit_on_a_store_object_cut_short_or_lost_raises(store: CountingStore, tmp_path: Path) -> None:
    data = os.urandom(40_000)
    key, sha = _put(store, data)
    cache = MediaCache(tmp_path / "media", 10**9)
    cache.fetch(store, key, sha, tmp_path / "a" / "m.mp4")
    store.put_bytes(key, data[:1000])
    out = tmp_path / "b" / "m.mp4"
    with pytest.raises(ObjectCorrupt, match="1000 bytes"):
        cache.fetch(store, key, sha, out)
    store.delete(key)
    with pytest.raises(ObjectMissing):
        cache.fetch(store, key, sha, out)
    assert not out.exists() and store.reads[key] == 1  # noticed by a stat, not a download
    store.put_bytes(key, data)  # repaired (backfill re-acquires the same bytes): the copy serves again
    assert cache.fetch(store, key, sha, out).read_bytes() == data and store.reads[key] == 1


def test_fetch_mismatched_download_raises_and_leaves_no_cache_file(
    store: CountingStore, tmp_path: Path
) -> None:
    key, _ = _put(store, b"the bytes in the store")
    recorded = hashlib.sha256(b"the bytes acquisition hashed").hexdigest()
    cache = MediaCache(tmp_path / "media", 10**9)
    out = tmp_path / "a" / "m.mp4"
    with pytest.raises(ObjectCorrupt):
        cache.fetch(store, key, recorded, out)
    assert _entries(cache) == [] and not out.exists()


def test_fetch_media_mismatch_raises_input_missing_with_the_cache_on(
    store: CountingStore, tmp_path: Path
) -> None:
    key, _ = _put(store, b"the bytes in the store")
    video = Video(id=uuid.uuid4(), media_key=key, sha256=hashlib.sha256(b"other").hexdigest())
    workdir = tmp_path / "work"
    configure(workdir, 1.0)
    with pytest.raises(InputMissing, match="sha256"):
        fetch_media(store, video, workdir / "keyframes-1")
    cache = cache_for(workdir)
    assert cache is not None and _entries(cache) == []


def test_fetch_media_with_the_cache_off_downloads_every_time(store: CountingStore, tmp_path: Path) -> None:
    data = os.urandom(10_000)
    key, sha = _put(store, data)
    video = Video(id=uuid.uuid4(), media_key=key, sha256=sha)
    workdir = tmp_path / "work"
    configure(workdir, 0)
    assert cache_for(workdir) is None
    for stage in ("transcribe", "keyframes"):
        assert fetch_media(store, video, workdir / f"{stage}-1").read_bytes() == data
    assert store.reads[key] == 2
    assert not (workdir / "media").exists()


def test_evict_keeps_the_cache_under_its_bound_least_recently_used_first(
    store: CountingStore, tmp_path: Path
) -> None:
    size = 30_000
    objects = [_put(store, os.urandom(size)) for _ in range(4)]
    cache = MediaCache(tmp_path / "media", int(2.5 * size))  # room for two
    (a, sha_a), (b, sha_b), (c, sha_c), (d, sha_d) = objects
    for n, (key, sha) in enumerate(objects[:2]):
        cache.fetch(store, key, sha, tmp_path / f"f{n}" / "m.mp4")
    # Make recency unambiguous whatever the filesystem's mtime resolution: b used after a...
    entry_a, entry_b = (next(cache.root.glob(f"{s}-*")) for s in (sha_a, sha_b))
    os.utime(entry_a, (1_000, 1_000))
    os.utime(entry_b, (2_000, 2_000))
    cache.fetch(store, a, sha_a, tmp_path / "hit" / "m.mp4")  # ...then a hit makes a the most recent
    cache.fetch(store, c, sha_c, tmp_path / "fc" / "m.mp4")
    assert cache.size_bytes() <= cache.max_bytes
    assert {p.name.split("-")[0] for p in _entries(cache)} == {sha_a, sha_c}  # b went
    cache.fetch(store, d, sha_d, tmp_path / "fd" / "m.mp4")
    assert cache.size_bytes() <= cache.max_bytes and len(_entries(cache)) == 2
    assert store.reads[a] == 1  # the hit was a hit


def test_evicted_entry_stays_readable_through_the_copy_handed_out(
    store: CountingStore, tmp_path: Path
) -> None:
    first = os.urandom(30_000)
    key, sha = _put(store, first)
    cache = MediaCache(tmp_path / "media", 40_000)  # room for one
    held = cache.fetch(store, key, sha, tmp_path / "reader" / "m.mp4")
    other_key, other_sha = _put(store, os.urandom(30_000))
    cache.fetch(store, other_key, other_sha, tmp_path / "other" / "m.mp4")
    assert not list(cache.root.glob(f"{sha}-*"))  # evicted...
    assert held.read_bytes() == first  # ...while a stage still reads its file


def test_fetch_larger_than_the_cache_is_handed_out_but_not_kept(store: CountingStore, tmp_path: Path) -> None:
    data = os.urandom(20_000)
    key, sha = _put(store, data)
    cache = MediaCache(tmp_path / "media", 10_000)
    assert cache.fetch(store, key, sha, tmp_path / "a" / "m.mp4").read_bytes() == data
    assert _entries(cache) == []


def _fetch_at_once(
    caches: list[MediaCache], store: CountingStore, key: str, sha: str, tmp: Path
) -> list[bytes]:
    start = threading.Barrier(len(caches))
    got: list[bytes] = [b""] * len(caches)
    errors: list[BaseException] = []

    def fetch(n: int) -> None:
        try:
            start.wait()
            got[n] = caches[n].fetch(store, key, sha, tmp / f"t{n}" / "m.mp4").read_bytes()
        except BaseException as exc:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=fetch, args=(n,)) for n in range(len(caches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return got


def test_two_threads_fetching_one_video_at_once_download_it_once(tmp_path: Path) -> None:
    store = CountingStore(
        tmp_path / "store", delay_s=0.3
    )  # a slow download: the second thread arrives mid-way
    data = os.urandom(200_000)
    key, sha = _put(store, data)
    cache = MediaCache(tmp_path / "media", 10**9)
    assert _fetch_at_once([cache, cache], store, key, sha, tmp_path) == [data, data]
    assert store.reads[key] == 1
    assert [p.stat().st_size for p in _entries(cache)] == [len(data)]


def test_two_processes_fetching_one_video_at_once_both_get_a_whole_file(tmp_path: Path) -> None:
    # Two caches over one folder share nothing but the filesystem, as two worker processes do.
    store = CountingStore(tmp_path / "store", delay_s=0.3)
    data = os.urandom(200_000)
    key, sha = _put(store, data)
    caches = [MediaCache(tmp_path / "media", 10**9) for _ in range(2)]
    assert _fetch_at_once(caches, store, key, sha, tmp_path) == [data, data]
    assert store.reads[key] == 2  # each downloaded; the renames of identical bytes left one entry
    assert [p.stat().st_size for p in _entries(caches[0])] == [len(data)]
