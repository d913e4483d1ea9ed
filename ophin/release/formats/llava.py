"""LLaVA's JSON: ``llava/<split>.json``, images relative to ``<release>/images`` (its ``--image_folder``)."""

from __future__ import annotations

from typing import ClassVar

from ophin.release.formats.base import JsonArrayWriter, image_conversation, typed_source
from ophin.release.record import ReleaseRecord


def llava_record(record: ReleaseRecord) -> dict:
    return {
        "id": record.id,
        "image": f"{record.split}/{record.source.frame_id}.jpg",
        "conversations": image_conversation(record),
        "kind": record.kind,
        "source": typed_source(record),
    }


class LlavaWriter(JsonArrayWriter):
    """One LLaVA record per instruction, streamed into one JSON array per split."""

    name: ClassVar[str] = "llava"
    record = staticmethod(llava_record)
