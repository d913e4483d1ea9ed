"""Releases in the object store: <prefix>/<release_id>/<file>, written once, never changed.

A release id is derived from its content, so a prefix that holds a manifest holds that content: publishing
it again uploads only files lost or overwritten since (each is hashed against the manifest). The manifest
goes up last; a prefix without one is an interrupted upload and is completed by the next publish.
"""

from __future__ import annotations

import json
import mimetypes
import tempfile
from pathlib import Path
from typing import Any

from ophin.adapters.object_store import ObjectCorrupt, ObjectMissing, ObjectStore, fetch_verified, holds
from ophin.domain.ids import make_id
from ophin.domain.keys import release_key
from ophin.release.build import INDEX, MANIFEST, content_digest


def publish(root: Path, manifest: dict[str, Any], store: ObjectStore, prefix: str) -> bool:
    """Upload the folder; False when the store already held this release whole (nothing was written).

    A held release is checked file by file against its manifest's sha256 (one read of the stored copy,
    only when the same release is exported again): a file lost or overwritten is uploaded again from root.
    """
    release_id = manifest["release_id"]
    key = release_key(prefix, release_id, MANIFEST)
    held = _held_manifest(store, key)
    # The id is derived from the content hashes, so a held manifest whose hashes still give its id is this
    # release's; one that does not was overwritten, and the whole release is made again.
    if held is not None and manifest_holds_together(held, release_id):
        stale = [
            rel
            for rel, f in held["files"].items()
            if not holds(store, release_key(prefix, release_id, rel), f["sha256"])
        ]
        if not stale:
            return False
        # Only what the held manifest vouches for is re-made, so it stays true of the stored files.
        if all(held["files"][rel]["sha256"] == manifest["files"].get(rel, {}).get("sha256") for rel in stale):
            for rel in stale:
                _put(store, release_key(prefix, release_id, rel), root / rel)
            return True
    for rel in manifest["files"]:
        _put(store, release_key(prefix, release_id, rel), root / rel)
    _put(store, key, root / MANIFEST)
    return True


def _held_manifest(store: ObjectStore, key: str) -> dict[str, Any] | None:
    try:
        held = json.loads(store.get_bytes(key))
    except ObjectMissing:
        return None
    except ValueError:  # not JSON (or not UTF-8) any more: overwritten
        return {}
    return held if isinstance(held, dict) else {}


def _put(store: ObjectStore, key: str, path: Path) -> None:
    store.put_file(key, path, content_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream")


def manifest_holds_together(manifest: dict[str, Any], release_id: str) -> bool:
    """Whether a manifest's file hashes still give its release id (which names where it is stored)."""
    files = manifest.get("files")
    if not isinstance(files, dict):
        return False
    digest = content_digest(files)
    return manifest.get("content_sha256") == digest and str(make_id("release", digest)) == release_id


def fetch_for_diff(store: ObjectStore, prefix: str, release_id: str, into: Path | None = None) -> Path:
    """The manifest and index of a stored release in a local folder (all `release diff` reads), each checked:
    the manifest against the release id its hashes give, the index against the manifest."""
    folder = into or Path(tempfile.mkdtemp(prefix=f"release-{release_id[:8]}-"))
    manifest_path = folder / MANIFEST
    key = release_key(prefix, release_id, MANIFEST)
    store.get_file(key, manifest_path)
    try:
        manifest = json.loads(manifest_path.read_text())
    except ValueError:
        manifest = None
    if not isinstance(manifest, dict) or not manifest_holds_together(manifest, release_id):
        manifest_path.unlink()
        raise ObjectCorrupt(f"{key}: its file hashes do not give release id {release_id}")
    digest = manifest["files"][INDEX]["sha256"]
    fetch_verified(store, release_key(prefix, release_id, INDEX), folder / INDEX, digest)
    return folder
