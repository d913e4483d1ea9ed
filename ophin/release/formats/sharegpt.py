"""ShareGPT for LLaMA-Factory: ``sharegpt/<split>.json`` and the ``dataset_info.json`` that names each split.

The release root is LLaMA-Factory's ``dataset_dir`` (and its default ``media_dir``), so image paths are
relative to it: ``--dataset_dir <release> --dataset ophin_train``.
"""

from __future__ import annotations

import json
from typing import ClassVar

from ophin.release.formats.base import JsonArrayWriter, image_conversation, typed_source
from ophin.release.record import SPLITS, ReleaseRecord

DATASET_INFO = "dataset_info.json"  # LLaMA-Factory's extras.constants.DATA_CONFIG


def sharegpt_record(record: ReleaseRecord) -> dict:
    return {
        "id": record.id,
        "conversations": image_conversation(record),
        "images": [record.image_path],  # always a list, one image per record: one <image> in the turns
        "kind": record.kind,
        "source": typed_source(record),
    }


def dataset_info_entry(split: str) -> dict:
    """The entry LLaMA-Factory's parser.get_dataset_list reads (DatasetAttr.join's keys)."""
    return {
        "file_name": f"sharegpt/{split}.json",
        "formatting": "sharegpt",
        "columns": {"messages": "conversations", "images": "images"},
        "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt"},
    }


class SharegptWriter(JsonArrayWriter):
    """One ShareGPT record per instruction, streamed per split; ``dataset_info.json`` written at close."""

    name: ClassVar[str] = "sharegpt"
    record = staticmethod(sharegpt_record)

    def close(self) -> None:
        super().close()
        written = [split for split in SPLITS if split in self._files.splits]
        info = {f"ophin_{split}": dataset_info_entry(split) for split in written}
        text = json.dumps(info, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        (self.root / DATASET_INFO).write_text(text, encoding="utf-8")
