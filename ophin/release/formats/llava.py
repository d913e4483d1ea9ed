"""LLaVA's JSON: ``llava/<split>.json``, images relative to ``<release>/images`` (its ``--image_folder``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from ophin.release.formats.base import JsonArrayFiles, image_conversation, typed_source
from ophin.release.record import ReleaseRecord


def llava_record(record: ReleaseRecord) -> dict:
    return {
        "id": record.id,
        "image": f"{record.split}/{record.source.frame_id}.jpg",
        "conversations": image_conversation(record),
        "kind": record.kind,
        "source": typed_source(record),
    }


class LlavaWriter:
    """One LLaVA record per instruction, streamed into one JSON array per split."""

    name: ClassVar[str] = "llava"

    def __init__(self, root: Path, *, shard_records: int = 5000) -> None:
        self.root = root
        self._files = JsonArrayFiles(root / "llava")

    def add(self, record: ReleaseRecord) -> None:
        self._files.append(record.split, llava_record(record))

    def close(self) -> None:
        self._files.close()
