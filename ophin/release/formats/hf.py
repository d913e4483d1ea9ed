"""Hugging Face: Parquet shards with the images embedded, and ``imagefolder`` rows beside the images.

``data/<split>-NNNNN-of-MMMMM.parquet`` loads with ``datasets.load_dataset("parquet", ...)`` (and is what the
Hub's viewer browses); ``images/<split>/metadata.parquet`` with ``load_dataset("imagefolder", data_dir=
<release>/images)``, which names the splits after the folders. The schema carries the ``huggingface``
features metadata that ``datasets`` itself writes, so ``image`` decodes as ``datasets.Image()`` without
importing ``datasets`` here.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ophin.release.formats.base import image_conversation, require_split, typed_source
from ophin.release.record import SOURCE_TYPES, ReleaseRecord

if TYPE_CHECKING:
    import pyarrow as pa

ROW_GROUP_RECORDS = 100  # readers (and the Hub's viewer) load a row group at a time: 100 images, not a shard
# The imagefolder metadata is one file per split, open for the whole release, and Arrow's writer keeps every
# row group's metadata until it closes: with 100-row groups that grew by ~115 MB over 400K rows
# (bench/release.py). It holds no images, so its row groups can be 5x larger (a buffer of 500 rows of text).
METADATA_ROW_GROUP_RECORDS = 500
# Parquet, not metadata.jsonl: imagefolder infers each split's JSONL types from its first rows and refuses
# splits that differ, so a split whose optional column is all null (one video, no licence) broke loading.
IMAGEFOLDER_METADATA = "metadata.parquet"
FIXED_COLUMNS = ("id", "image", "conversations", "kind")


def _value(dtype: str) -> dict[str, str]:
    return {"dtype": dtype, "_type": "Value"}


def source_column_type(annotation: str) -> tuple[pa.DataType, dict[str, str]]:
    """The Arrow type and the Hugging Face feature of one Source field, from its annotation."""
    import pyarrow as pa

    types = {"str": (pa.string(), _value("string")), "float": (pa.float64(), _value("float64"))}
    base = str(annotation).removesuffix(" | None")
    if base not in types:
        raise TypeError(f"Source annotation {annotation!r} has no Parquet type (known: {sorted(types)})")
    return types[base]


@cache
def parquet_schema() -> pa.Schema:
    """id, image, conversations, kind, then every Source field as its own typed column."""
    import pyarrow as pa

    clash = set(FIXED_COLUMNS) & set(SOURCE_TYPES)
    if clash:
        raise ValueError(f"Source fields {sorted(clash)} clash with the fixed columns")
    turn = pa.struct([("from", pa.string()), ("value", pa.string())])
    fields = [
        ("id", pa.string()),
        ("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
        ("conversations", pa.list_(turn)),
        ("kind", pa.string()),
    ]
    features: dict[str, Any] = {
        "id": _value("string"),
        "image": {"_type": "Image"},
        "conversations": {"feature": {"from": _value("string"), "value": _value("string")}, "_type": "List"},
        "kind": _value("string"),
    }
    for name, annotation in SOURCE_TYPES.items():
        arrow_type, feature = source_column_type(annotation)
        fields.append((name, arrow_type))
        features[name] = feature
    metadata = {"huggingface": json.dumps({"info": {"features": features}})}
    return pa.schema(fields, metadata=metadata)


def hf_row(record: ReleaseRecord, image_bytes: bytes) -> dict[str, Any]:
    return {
        "id": record.id,
        "image": {"bytes": image_bytes, "path": f"{record.source.frame_id}.jpg"},
        "conversations": image_conversation(record),
        "kind": record.kind,
        **typed_source(record),
    }


def imagefolder_row(record: ReleaseRecord) -> dict[str, Any]:
    """One metadata row: ``file_name`` is relative to the metadata file (the split's image folder)."""
    row = hf_row(record, b"")
    del row["image"]
    return {"file_name": f"{record.source.frame_id}.jpg", **row}


@cache
def imagefolder_schema() -> pa.Schema:
    """The metadata columns: ``file_name`` in place of ``image``, the rest typed as in the shards."""
    import pyarrow as pa

    shards = parquet_schema()
    columns = [pa.field("file_name", pa.string())] + [field for field in shards if field.name != "image"]
    return pa.schema(columns)


class _RowGroupFile:
    """One Parquet file written a row group at a time: memory holds one row group, never the file."""

    def __init__(self, path: Path, schema: pa.Schema, row_group_records: int) -> None:
        import pyarrow.parquet as pq

        self.path, self.schema, self.row_group_records = path, schema, row_group_records
        self._writer = pq.ParquetWriter(path, schema)
        self._rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) == self.row_group_records:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=self.schema))
        self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


class _SplitShards:
    """One split's shards: a new one every ``shard_records`` rows, renamed ``-NNNNN-of-MMMMM`` at close."""

    def __init__(self, folder: Path, split: str, shard_records: int) -> None:
        self.folder, self.split, self.shard_records = folder, split, shard_records
        self.partials: list[Path] = []
        self._shard: _RowGroupFile | None = None
        self._rows_in_shard = 0
        # a rerun with fewer shards must not leave old ones where the split's glob finds them
        for stale in folder.glob(f"{split}-*.parquet*"):
            stale.unlink()

    def add(self, row: dict[str, Any]) -> None:
        if self._shard is None:
            path = self.folder / f"{self.split}-{len(self.partials):05d}.parquet.partial"
            self.partials.append(path)
            row_group = min(ROW_GROUP_RECORDS, self.shard_records)
            self._shard, self._rows_in_shard = _RowGroupFile(path, parquet_schema(), row_group), 0
        self._shard.add(row)
        self._rows_in_shard += 1
        if self._rows_in_shard == self.shard_records:
            self._shard.close()
            self._shard = None

    def close(self) -> list[Path]:
        if self._shard is not None:
            self._shard.close()
            self._shard = None
        total = len(self.partials)
        final = [self.folder / f"{self.split}-{i:05d}-of-{total:05d}.parquet" for i in range(total)]
        for partial, path in zip(self.partials, final, strict=True):
            partial.replace(path)
        return final


class HfWriter:
    """Parquet shards (images embedded) and ``imagefolder`` metadata, both streamed per split."""

    name: ClassVar[str] = "hf"

    def __init__(self, root: Path, *, shard_records: int = 5000) -> None:
        if shard_records < 1:
            raise ValueError(f"shard_records must be positive, not {shard_records}")
        self.root, self.shard_records = root, shard_records
        self._shards: dict[str, _SplitShards] = {}
        self._metadata: dict[str, _RowGroupFile] = {}
        self._closed = False

    def add(self, record: ReleaseRecord) -> None:
        if self._closed:
            raise ValueError(f"the hf writer of {self.root} is closed")
        split = require_split(record.split)
        image_bytes = (self.root / record.image_path).read_bytes()  # a missing image fails here, loudly
        shards = self._shards.get(split)
        if shards is None:
            data = self.root / "data"
            data.mkdir(parents=True, exist_ok=True)
            shards = self._shards[split] = _SplitShards(data, split, self.shard_records)
            metadata = self.root / "images" / split / IMAGEFOLDER_METADATA
            self._metadata[split] = _RowGroupFile(metadata, imagefolder_schema(), METADATA_ROW_GROUP_RECORDS)
        shards.add(hf_row(record, image_bytes))
        self._metadata[split].add(imagefolder_row(record))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for shards in self._shards.values():
            shards.close()
        for metadata in self._metadata.values():
            metadata.close()
