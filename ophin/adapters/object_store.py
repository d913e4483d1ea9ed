"""Media storage behind one Protocol: a local directory (embedded default) or S3/MinIO via `minio`."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from ophin.domain.ids import sha256_file
from ophin.settings import Settings

if TYPE_CHECKING:
    from urllib3 import BaseHTTPResponse


class ObjectMissing(LookupError):
    """The store holds no object under the key."""


class ObjectCorrupt(ValueError):
    """The object's bytes do not hash to the sha256 the caller recorded for it."""


class ObjectStore(Protocol):
    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> None: ...
    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...
    def get_file(self, key: str, path: Path) -> None: ...
    def get_bytes(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...  # bytes of the object; ObjectMissing when absent
    def sha256(self, key: str) -> str: ...  # hex digest of the object, hashed as it streams; ObjectMissing
    def delete(self, key: str) -> None: ...
    def uri(self, key: str) -> str: ...


def _safe_key(key: str) -> str:
    # Keys come from ids, but refuse anything that could escape the root all the same.
    if key.startswith("/") or ".." in key.split("/"):
        raise ValueError(f"unsafe object key: {key!r}")
    return key


def _umask() -> int:
    # os.umask can only be read by setting it, so read it once, at import (not per write, racing threads).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# mkstemp creates 0600 files; objects and downloads get what a plain open() would have given them.
_FILE_MODE = 0o666 & ~_umask()


@contextmanager
def _temp_beside(target: Path) -> Iterator[tuple[IO[bytes], Path]]:
    """A fresh, uniquely named temp file in target's directory (so the final rename stays on one filesystem).

    The caller writes, then renames it onto target; whatever is still at the temp path on exit (an error,
    a mismatch) is removed. Only a kill -9 can orphan one, and it never sits at the target's name.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), _FILE_MODE)
            yield fh, tmp
    finally:
        tmp.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    # The rename itself is only durable once the directory entry is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(target: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Readers of target see the old bytes or all the new ones, never a prefix, even across kill -9."""
    with _temp_beside(target) as (fh, tmp):
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        os.replace(tmp, target)
    _fsync_dir(target.parent)


def fetch_verified(store: ObjectStore, key: str, path: Path, sha256: str | None) -> Path:
    """Download key to path only if its bytes hash to sha256; path is never left holding other bytes.

    Raises ObjectMissing when the key is absent and ObjectCorrupt on a mismatch (or no recorded sha256).
    """
    with _temp_beside(path) as (fh, tmp):
        fh.close()
        store.get_file(key, tmp)
        _check(key, sha256_file(str(tmp)), sha256)
        os.replace(tmp, path)
    return path


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check(key: str, got: str, sha256: str | None) -> None:
    # A row from before checksums were recorded (NULL) proves nothing about the bytes: refuse it too.
    if sha256 is None:
        raise ObjectCorrupt(f"{key}: no sha256 recorded for it, so its bytes cannot be trusted")
    if got != sha256.lower():
        raise ObjectCorrupt(f"{key}: sha256 {got} != expected {sha256.lower()}")


def get_verified_bytes(store: ObjectStore, key: str, sha256: str | None) -> bytes:
    """The object's bytes, only if they hash to the sha256 recorded when it was written.

    For small objects (frames, captions, info.json) read whole anyway: the hash costs no extra read.
    Raises ObjectMissing when the key is absent and ObjectCorrupt on a mismatch or a missing record.
    """
    data = store.get_bytes(key)
    _check(key, sha256_bytes(data), sha256)
    return data


def holds(store: ObjectStore, key: str, sha256: str | None) -> bool:
    """Whether the store still holds exactly the bytes recorded for key (a stage's skip check)."""
    try:
        _check(key, store.sha256(key), sha256)
    except (ObjectMissing, ObjectCorrupt):
        return False
    return True


class LocalObjectStore:
    """A directory laid out like a bucket; every write goes through its own temp file and an atomic rename.

    A temp name per writer (not one shared `.part`) is what lets two processes put the same key at once:
    each renames a complete file into place and the last rename wins.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / _safe_key(key)

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> None:
        with open(path, "rb") as src:
            _write_atomically(self._path(key), lambda out: shutil.copyfileobj(src, out, 1 << 22))

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        _write_atomically(self._path(key), lambda out: out.write(data))

    def get_file(self, key: str, path: Path) -> None:
        try:
            src = self._path(key).open("rb")  # before any temp exists: a missing key leaves nothing
        except FileNotFoundError as exc:
            raise ObjectMissing(f"no object at {key!r} in {self.root}") from exc
        with src:
            _write_atomically(path, lambda out: shutil.copyfileobj(src, out, 1 << 22))

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise ObjectMissing(f"no object at {key!r} in {self.root}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError as exc:
            raise ObjectMissing(f"no object at {key!r} in {self.root}") from exc

    def sha256(self, key: str) -> str:
        try:
            return sha256_file(str(self._path(key)))
        except FileNotFoundError as exc:
            raise ObjectMissing(f"no object at {key!r} in {self.root}") from exc

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def uri(self, key: str) -> str:
        return self._path(key).resolve().as_uri()


_MISSING_CODES = ("NoSuchKey", "NoSuchObject", "NotFound")


class S3ObjectStore:
    """Any S3-compatible store (MinIO in compose, moto in tests) through the minio client."""

    def __init__(self, client: object, bucket: str) -> None:
        from minio import Minio

        assert isinstance(client, Minio)  # noqa: S101 - type narrowing: the client is typed object to keep minio lazy
        self.client = client
        self.bucket = bucket
        if not client.bucket_exists(bucket):
            client.make_bucket(bucket)

    @classmethod
    def from_settings(cls, settings: Settings) -> S3ObjectStore:
        from minio import Minio

        s = settings.store
        client = Minio(
            s.endpoint, access_key=s.access_key, secret_key=s.secret_key, secure=s.secure, region=s.region
        )
        return cls(client, s.bucket)

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> None:
        # S3 makes a PUT visible only once complete, so uploads need no temp object.
        self.client.fput_object(self.bucket, _safe_key(key), str(path), content_type=content_type)

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(
            self.bucket, _safe_key(key), io.BytesIO(data), len(data), content_type=content_type
        )

    def _open(self, key: str) -> BaseHTTPResponse:
        from minio.error import S3Error

        try:
            return self.client.get_object(self.bucket, _safe_key(key))
        except S3Error as exc:
            if exc.code in _MISSING_CODES:
                raise ObjectMissing(f"no object at {key!r} in s3://{self.bucket}") from exc
            raise

    def get_file(self, key: str, path: Path) -> None:
        # Not minio's fget_object: its temp name (path + etag + ".part.minio") is shared by two concurrent
        # downloads of one object, it is left behind on error, and it deletes path before the rename.
        response = self._open(key)
        try:

            def copy(out: IO[bytes]) -> None:
                written = sum(out.write(block) for block in response.stream(1 << 20))
                expected = response.headers.get("content-length")
                if expected is not None and written != int(expected):
                    raise OSError(f"{key}: got {written} of {expected} bytes from s3://{self.bucket}")

            _write_atomically(path, copy)
        finally:
            response.close()
            response.release_conn()

    def get_bytes(self, key: str) -> bytes:
        response = self._open(key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def exists(self, key: str) -> bool:
        from minio.error import S3Error

        try:
            self.client.stat_object(self.bucket, _safe_key(key))
        except S3Error as exc:
            if exc.code in _MISSING_CODES:
                return False
            raise
        return True

    def size(self, key: str) -> int:
        from minio.error import S3Error

        try:
            stat = self.client.stat_object(self.bucket, _safe_key(key))
        except S3Error as exc:
            if exc.code in _MISSING_CODES:
                raise ObjectMissing(f"no object at {key!r} in s3://{self.bucket}") from exc
            raise
        return int(stat.size or 0)

    def sha256(self, key: str) -> str:
        # Streamed through the hash, never held whole: release shards can be large. (S3's ETag is an MD5
        # only for single-part uploads, and moto/MinIO differ on checksum headers, so hash the bytes.)
        response = self._open(key)
        digest = hashlib.sha256()
        try:
            for block in response.stream(1 << 20):
                digest.update(block)
        finally:
            response.close()
            response.release_conn()
        return digest.hexdigest()

    def delete(self, key: str) -> None:
        # S3 answers 204 for an absent key too, so this is idempotent as it stands.
        self.client.remove_object(self.bucket, _safe_key(key))

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


def build_object_store(settings: Settings) -> ObjectStore:
    if settings.store.kind == "s3":
        return S3ObjectStore.from_settings(settings)
    root = (
        Path(settings.store.root)
        if settings.store.root
        else settings.home_dir / "objects" / settings.store.bucket
    )
    return LocalObjectStore(root)
