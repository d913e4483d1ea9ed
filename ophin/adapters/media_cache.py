"""A worker's local copies of video media: content addressed by sha256, verified once, bounded (LRU).

Without it every stage that reads a video (transcribe, keyframes, a re-run) downloads and hashes it again.
An entry is named `<sha256>-<size><ext>`: the bytes were verified against the sha256 when they came in,
and every hit checks the size again, so a file truncated or deleted behind the cache's back is fetched anew;
a hit also stats the store's object (no bytes), so a lost or cut-short object is still noticed.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
from pathlib import Path

from ophin.adapters.object_store import ObjectCorrupt, ObjectStore, fetch_verified

log = logging.getLogger("ophin.adapters.media_cache")

STALE_TEMP_S = 3600.0  # a temp file untouched this long belongs to a killed download: swept with eviction


class MediaCache:
    """Entries in `root`; past `max_bytes` the least recently used (by mtime, touched on hits) are removed.

    fetch hard-links an entry into the caller's folder: the caller may read it, or remove its folder, and an
    eviction never pulls a file from under a reader (the inode lives while a link to it does). A download is
    verified before it is renamed into the cache, so a corrupt one never enters it. Within a process one
    thread downloads a key while the others wait for its entry; across processes each downloads and the
    renames of identical bytes onto one name leave a whole file whichever lands last.
    """

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._evicting = threading.Lock()

    def fetch(self, store: ObjectStore, key: str, sha256: str, out: Path) -> Path:
        """The object's verified bytes at `out`. Raises ObjectMissing / ObjectCorrupt like fetch_verified."""
        want = sha256.lower()
        self.root.mkdir(parents=True, exist_ok=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        with self._lock(want):
            size = self._hit(want, out)
            if size is not None:
                _same_in_store(store, key, size, out)
                return out
            tmp = self.root / f".{want}.{uuid.uuid4().hex}.verified"
            try:
                fetch_verified(store, key, tmp, want)
                os.chmod(tmp, 0o444)  # read through a link, a stage's stray write would fail, not corrupt it
                size = tmp.stat().st_size
                _place(tmp, out)
                if size <= self.max_bytes:  # a file larger than the whole cache stays the caller's own
                    os.replace(tmp, self.root / f"{want}-{size}{Path(key).suffix}")
            finally:
                tmp.unlink(missing_ok=True)
        self.evict()
        return out

    def _lock(self, sha256: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(sha256, threading.Lock())

    def _hit(self, sha256: str, out: Path) -> int | None:
        """The entry's size once placed at out, or None on a miss (nothing cached, or a damaged entry)."""
        for entry in self.root.glob(f"{sha256}-*"):
            expected = _entry_size(entry, sha256)
            try:
                _place(entry, out)
                got = out.stat().st_size  # of the very inode handed out
            except FileNotFoundError:  # evicted by another process between the listing and the link
                continue
            if got == expected:
                os.utime(entry)  # least recently used is by mtime: atime is often not kept (noatime)
                return got
            log.warning("media cache: %s holds %d of %s bytes; fetching it again", entry.name, got, expected)
            entry.unlink(missing_ok=True)
            out.unlink(missing_ok=True)
        return None

    def evict(self) -> None:
        """Remove least recently used entries until the cache is within max_bytes, and stale temp files."""
        with self._evicting:
            entries = []
            for path in self.root.iterdir():
                try:
                    st = path.stat()
                except FileNotFoundError:
                    continue
                if path.name.startswith("."):
                    if time.time() - st.st_mtime > STALE_TEMP_S:
                        path.unlink(missing_ok=True)
                    continue
                entries.append((st.st_mtime, st.st_size, path))
            total = sum(size for _, size, _ in entries)
            for _, size, path in sorted(entries):
                if total <= self.max_bytes:
                    break
                path.unlink(missing_ok=True)
                total -= size

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.root.glob("*-*") if not p.name.startswith("."))


def _same_in_store(store: ObjectStore, key: str, size: int, out: Path) -> None:
    """A hit still asks the store (a stat, no bytes) whether the object is there at the verified size: a
    stage on a cached copy notices a store object that was lost or cut short, as a download would, and
    backfill repairs it (else it would go unnoticed until this worker evicts its copy)."""
    try:
        stored = store.size(key)
        if stored != size:
            raise ObjectCorrupt(f"{key}: the store holds {stored} bytes, not the {size} whose sha256 matched")
    except BaseException:
        out.unlink(missing_ok=True)
        raise


def _entry_size(entry: Path, sha256: str) -> int | None:
    digits = entry.name[len(sha256) + 1 :].split(".", 1)[0]
    return int(digits) if digits.isdigit() else None


def _place(src: Path, out: Path) -> None:
    """src at out: a hard link (no bytes copied), or a copy where the filesystem cannot link."""
    out.unlink(missing_ok=True)
    try:
        os.link(src, out)
    except FileNotFoundError:
        raise
    except OSError:  # another filesystem (EXDEV) or one without links (EPERM)
        shutil.copyfile(src, out)


_caches: dict[Path, MediaCache] = {}
_bounds: dict[Path, int] = {}
_registry = threading.Lock()


def _default_bytes() -> int:
    from ophin.settings import RunSettings

    return int(RunSettings().media_cache_gb * 2**30)


def configure(workdir: Path, max_gb: float) -> None:
    """Bound the cache of the worker whose work directory is `workdir` (run.media_cache_gb; 0: off)."""
    where = workdir.resolve()
    with _registry:
        _bounds[where] = int(max_gb * 2**30)
        if where in _caches:  # the same instance keeps its per-key locks for the threads holding it
            _caches[where].max_bytes = _bounds[where]


def cache_for(workdir: Path) -> MediaCache | None:
    """This process's media cache under a worker's work directory (one per directory, so its threads share
    the per-key locks), or None when it is configured off."""
    where = workdir.resolve()
    with _registry:
        bound = _bounds.get(where, None)
        if bound is None:
            bound = _bounds[where] = _default_bytes()
        if bound <= 0:
            return None
        cache = _caches.get(where)
        if cache is None:
            cache = _caches[where] = MediaCache(where / "media", bound)
        return cache
