"""What every release writer shares: the FormatWriter Protocol, the one-token turns, a streamed JSON array."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any, ClassVar, Protocol

from ophin.release.record import IMAGE_TOKEN, SOURCE_TYPES, SPLITS, ReleaseRecord


class FormatWriter(Protocol):
    """One trainer's format. Streams: memory stays constant in the number of records."""

    name: ClassVar[str]

    def __init__(self, root: Path, *, shard_records: int = 5000) -> None: ...

    def add(self, record: ReleaseRecord) -> None:
        """Write one record; its image is already at ``root / record.image_path``. Splits may interleave."""
        ...

    def close(self) -> None:
        """Finish and flush every file; after close the files are final."""
        ...


def require_split(split: str) -> str:
    """The split, refused unless it is one of SPLITS (consumers infer splits from these names)."""
    if split not in SPLITS:
        raise ValueError(f"split {split!r} is not one of {SPLITS}")
    return split


def strip_image_tokens(text: str) -> str:
    """The text with no image token left, even one spelled across a removed one ("<ima<image>ge>")."""
    while IMAGE_TOKEN in text:
        text = text.replace(IMAGE_TOKEN, "")
    return text


def image_conversation(record: ReleaseRecord) -> list[dict[str, str]]:
    """The turns as ``{"from", "value"}`` with exactly one image token, at the start of the first human turn.

    Tokens already in the text are removed first: a turn that quotes ``<image>`` must not add an image slot.
    """
    conversation = [{"from": turn.role, "value": strip_image_tokens(turn.text)} for turn in record.turns]
    first_human = next((turn for turn in conversation if turn["from"] == "human"), None)
    if first_human is None:
        raise ValueError(f"record {record.id} has no human turn to carry the image")
    first_human["value"] = f"{IMAGE_TOKEN}\n{first_human['value']}"
    return conversation


def typed_source(record: ReleaseRecord) -> dict[str, Any]:
    """The Source fields with their declared types (a float field given as 3 is written 3.0)."""
    source = record.source_dict()
    for name, annotation in SOURCE_TYPES.items():
        if source[name] is not None and str(annotation).startswith("float"):
            source[name] = float(source[name])
    return source


def dumps(obj: Any) -> str:
    """Deterministic JSON: sorted keys, UTF-8 text as is."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


class JsonArrayFiles:
    """One JSON array per split, written a record at a time: ``[``, records joined by ``,\\n``, ``]``.

    A file is opened on its split's first record, so a split that gets none gets no file.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._files: dict[str, IO[str]] = {}
        self._closed = False

    def append(self, split: str, obj: Any) -> None:
        if self._closed:
            raise ValueError(f"{self.folder} is closed")
        handle = self._files.get(require_split(split))
        if handle is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = self._files[split] = (self.folder / f"{split}.json").open("w", encoding="utf-8")
            handle.write("[\n")
        else:
            handle.write(",\n")
        handle.write(dumps(obj))

    @property
    def splits(self) -> list[str]:
        return list(self._files)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for handle in self._files.values():
            handle.write("\n]\n")
            handle.close()


class JsonArrayWriter:
    """One JSON array per split, ``<root>/<name>/<split>.json``; a subclass shapes each record."""

    name: ClassVar[str]

    def __init__(self, root: Path, *, shard_records: int = 5000) -> None:
        self.root = root
        self._files = JsonArrayFiles(root / self.name)

    def record(self, record: ReleaseRecord) -> dict[str, Any]:
        raise NotImplementedError

    def add(self, record: ReleaseRecord) -> None:
        self._files.append(record.split, self.record(record))

    def close(self) -> None:
        self._files.close()
