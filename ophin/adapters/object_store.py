"""Media storage behind one Protocol: a local directory (embedded default) or S3/MinIO via `minio`."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Protocol

from ophin.settings import Settings


class ObjectStore(Protocol):
    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> None: ...
    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...
    def get_file(self, key: str, path: Path) -> None: ...
    def get_bytes(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def uri(self, key: str) -> str: ...


def _safe_key(key: str) -> str:
    # Keys come from ids, but refuse anything that could escape the root all the same.
    if key.startswith("/") or ".." in key.split("/"):
        raise ValueError(f"unsafe object key: {key!r}")
    return key


class LocalObjectStore:
    """A directory laid out like a bucket; writes go through a temp file so readers never see halves."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / _safe_key(key)

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        shutil.copyfile(path, tmp)
        tmp.replace(target)

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)

    def get_file(self, key: str, path: Path) -> None:
        shutil.copyfile(self._path(key), path)

    def get_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def uri(self, key: str) -> str:
        return self._path(key).resolve().as_uri()


class S3ObjectStore:
    """Any S3-compatible store (MinIO in compose, moto in tests) through the minio client."""

    def __init__(self, client: object, bucket: str) -> None:
        from minio import Minio

        assert isinstance(client, Minio)
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
        self.client.fput_object(self.bucket, _safe_key(key), str(path), content_type=content_type)

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(
            self.bucket, _safe_key(key), io.BytesIO(data), len(data), content_type=content_type
        )

    def get_file(self, key: str, path: Path) -> None:
        self.client.fget_object(self.bucket, _safe_key(key), str(path))

    def get_bytes(self, key: str) -> bytes:
        response = self.client.get_object(self.bucket, _safe_key(key))
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
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return False
            raise
        return True

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
