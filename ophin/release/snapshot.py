"""A release as `release diff` reads it: the manifest's config and videos, and one compact key per record.

Memory is O(records): each record is one tuple of its ids and content hashes, with uuids and sha256s
packed to bytes and the names many records share (split, kind, video, model, prompt) interned.
"""

from __future__ import annotations

import json
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

MANIFEST = "manifest.json"
INDEX = "index.jsonl"


class RecordKey(NamedTuple):
    """One record as the diff needs it (a plain tuple in memory: no per-record dict)."""

    split: str
    kind: str
    video_id: str
    pair_id: bytes | str  # packed (see _pack_id)
    text_sha256: bytes | str  # packed (see _pack_hash)
    image_sha256: bytes | str
    generator: str | None
    model: str | None
    prompt_version: str | None


@dataclass(frozen=True)
class ReleaseSnapshot:
    release_id: str
    engine_version: str
    config: dict[str, Any]
    videos: dict[str, dict[str, Any]]  # video_id -> {"title", "url", "license"}
    records: dict[bytes | str, RecordKey]  # packed instruction id -> its key

    def ids(self) -> list[str]:
        return [unpack_id(rid) for rid in self.records]


def load_release(folder: Path) -> ReleaseSnapshot:
    """A release folder's manifest and index; ValueError names the file and line that cannot be read."""
    folder = Path(folder)
    manifest_path, index_path = folder / MANIFEST, folder / INDEX
    for path in (manifest_path, index_path):
        if not path.is_file():
            raise FileNotFoundError(f"{path}: not a release folder (no {path.name})")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{manifest_path}: not JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise ValueError(f"{manifest_path}: expected a JSON object")
    records: dict[bytes | str, RecordKey] = {}
    with index_path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            record_id, key = _read_index_line(line, f"{index_path}:{number}")
            if record_id in records:
                raise ValueError(f"{index_path}:{number}: duplicate record id {unpack_id(record_id)}")
            records[record_id] = key
    return ReleaseSnapshot(
        release_id=str(manifest.get("release_id") or folder.name),
        engine_version=str(manifest.get("engine_version") or "unknown"),
        config=manifest.get("config") or {},
        videos={str(k): v or {} for k, v in (manifest.get("videos") or {}).items()},
        records=records,
    )


def _read_index_line(line: str, where: str) -> tuple[bytes | str, RecordKey]:
    try:
        row = json.loads(line)
        record_id = _pack_id(row["id"])
        key = RecordKey(
            *(_intern(row[name]) for name in ("split", "kind", "video_id")),
            _pack_id(row["pair_id"]),
            _pack_hash(row["text_sha256"]),
            _pack_hash(row["image_sha256"]),
            *(_intern(row.get(name)) for name in ("generator", "model", "prompt_version")),
        )
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{where}: not an index line ({type(exc).__name__}: {exc})") from None
    return record_id, key


def _intern(value: Any) -> Any:
    # A release names few splits, kinds, videos and models: one string object each, shared by every record.
    return sys.intern(value) if isinstance(value, str) else value


def _pack_id(value: str) -> bytes | str:
    """A canonical uuid as its 16 bytes (49 bytes in memory, not 85); any other id as it is."""
    text = str(value)
    try:
        packed = uuid.UUID(text)
    except ValueError:
        return text
    return packed.bytes if str(packed) == text else text


def unpack_id(value: bytes | str) -> str:
    return str(uuid.UUID(bytes=value)) if isinstance(value, bytes) else value


def _pack_hash(value: str) -> bytes | str:
    """A lower-case hex sha256 as its 32 bytes; anything else as it is (it still compares equal to itself)."""
    if len(value) == 64:
        try:
            packed = bytes.fromhex(value)
        except ValueError:
            return value
        return packed if packed.hex() == value else value
    return value
