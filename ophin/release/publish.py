"""Releases in the object store: <prefix>/<release_id>/<file>, written once, never changed.

A release id is derived from its content, so a prefix that holds a manifest holds that content: publishing
it again uploads nothing. The manifest goes up last; a prefix without one is an interrupted upload and is
completed by the next publish.
"""

from __future__ import annotations

import json
import mimetypes
import tempfile
from pathlib import Path
from typing import Any

from ophin.adapters.object_store import ObjectStore, fetch_verified
from ophin.domain.keys import release_key
from ophin.release.build import INDEX, MANIFEST


class ReleaseConflict(RuntimeError):
    """The store holds a different release under this id: something rewrote an immutable release."""


def publish(root: Path, manifest: dict[str, Any], store: ObjectStore, prefix: str) -> bool:
    """Upload the folder; False when the store already held this release (nothing was written)."""
    release_id = manifest["release_id"]
    key = release_key(prefix, release_id, MANIFEST)
    if store.exists(key):
        held = json.loads(store.get_bytes(key))
        if held.get("content_sha256") != manifest["content_sha256"]:
            raise ReleaseConflict(f"{key} holds content {held.get('content_sha256')}, not {release_id}'s")
        return False
    for rel in manifest["files"]:
        kind = mimetypes.guess_type(rel)[0] or "application/octet-stream"
        store.put_file(release_key(prefix, release_id, rel), root / rel, content_type=kind)
    store.put_file(key, root / MANIFEST, content_type="application/json")
    return True


def fetch_for_diff(store: ObjectStore, prefix: str, release_id: str, into: Path | None = None) -> Path:
    """The manifest and index of a stored release in a local folder (all `release diff` reads)."""
    folder = into or Path(tempfile.mkdtemp(prefix=f"release-{release_id[:8]}-"))
    manifest_path = folder / MANIFEST
    store.get_file(release_key(prefix, release_id, MANIFEST), manifest_path)
    digest = json.loads(manifest_path.read_text())["files"][INDEX]["sha256"]
    fetch_verified(store, release_key(prefix, release_id, INDEX), folder / INDEX, digest)
    return folder
