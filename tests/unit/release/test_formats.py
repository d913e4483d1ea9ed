"""The release writers, loaded by their real consumers from another working directory."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before datasets is imported anywhere
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import dataclasses
import json
import shutil
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from PIL import Image

from ophin.release.formats import FORMATS, WRITERS
from ophin.release.formats.base import image_conversation
from ophin.release.formats.hf import HfWriter, source_column_type
from ophin.release.record import IMAGE_TOKEN, SOURCE_TYPES, SPLITS, ReleaseRecord, Source, Turn
from tests.support.consumers import (
    ConsumerRefused,
    check_llava_record,
    hf_load_imagefolder,
    hf_load_parquet,
    llamafactory_load,
    llava_check,
)
from tests.support.llamafactory.extras.logging import BrokenExample

TITLE = "Rétinopathie — 網膜症 👁"
HOSTILE = f"Is this {IMAGE_TOKEN} a drusen? <ima{IMAGE_TOKEN}ge>"
FRAMES = {"train": ("tr0", "tr1"), "validation": ("va0",), "test": ("te0",)}


def make_record(
    number: int, split: str, frame_id: str, turns: Iterable[tuple[str, str]] = (), **source: object
) -> ReleaseRecord:
    fields = {
        "video_id": f"vid-{split}",
        "video_url": f"https://www.youtube.com/watch?v=vid-{split}",
        "video_title": TITLE,
        "creator": "Eye Channel",
        "license": None if split == "test" else "creativeCommon",  # one split all null: imagefolder must cope
        "upload_date": "2024-05-01",
        "frame_id": frame_id,
        "frame_time_s": 12,  # an int where a float is declared: written as 12.0
        "window_start_s": 10.0,
        "window_end_s": 20.5,
        "pair_id": f"pair-{number}",
        "modality": "colour_fundus" if number % 2 else None,
        "generator": "template-1",
        "model": None,
        "prompt_version": "v1",
        "served_model": None,
    } | source
    turns = tuple(turns) or (("human", f"What is shown? #{number}"), ("gpt", f"A fundus photo #{number}."))
    return ReleaseRecord(
        id=f"ins-{number:05d}",
        kind="conversation" if len(turns) > 2 else "vqa",
        turns=tuple(Turn(role, text) for role, text in turns),
        split=split,
        image_key=f"frames/{frame_id}.jpg",
        source=Source(**fields),
    )


def synthetic_records() -> list[ReleaseRecord]:
    """Ten records over three splits, interleaved; tr0 carries four of them (rows repeat a file)."""
    layout = "train validation train test train validation train test validation train".split()
    records = []
    for number, split in enumerate(layout):
        frame_id = FRAMES[split][number % len(FRAMES[split])]
        turns = ()
        if number == 2:
            turns = (("human", HOSTILE), ("gpt", f"No {IMAGE_TOKEN}."), ("human", "And?"), ("gpt", "No."))
        records.append(make_record(number, split, frame_id, turns))
    return records


def place_images(root: Path, records: Iterable[ReleaseRecord]) -> None:
    for record in records:
        path = root / record.image_path
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            shade = zlib.crc32(record.source.frame_id.encode()) % 256
            Image.new("RGB", (24, 16), (shade, 90, 160)).save(path, "JPEG")


def write_release(
    root: Path, records: Iterable[ReleaseRecord], formats: Iterable[str] = FORMATS, **kw: int
) -> Path:
    records = list(records)
    place_images(root, records)
    writers = [WRITERS[name](root, **kw) for name in formats]
    for record in records:
        for writer in writers:
            writer.add(record)
    for writer in writers:
        writer.close()
    return root


@pytest.fixture
def release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_release(tmp_path / "parent" / "release", synthetic_records())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # consumers must resolve every path from the release alone
    return root


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "hf-cache"


def counts() -> dict[str, int]:
    result = dict.fromkeys(SPLITS, 0)
    for record in synthetic_records():
        result[record.split] += 1
    return result


def test_formats_names_each_writer() -> None:
    assert FORMATS == ("llava", "sharegpt", "hf")
    assert {name: writer.name for name, writer in WRITERS.items()} == {name: name for name in FORMATS}


def test_image_conversation_keeps_one_token_even_for_spliced_tokens() -> None:
    turns = (("human", HOSTILE), ("gpt", f"{IMAGE_TOKEN}<{IMAGE_TOKEN}image>"))
    record = make_record(0, "train", "tr0", turns)
    conversation = image_conversation(record)
    assert sum(turn["value"].count(IMAGE_TOKEN) for turn in conversation) == 1
    assert conversation[0]["value"] == f"{IMAGE_TOKEN}\nIs this  a drusen? "
    assert conversation[1]["value"] == ""


def test_image_conversation_refuses_a_record_without_human_turn() -> None:
    with pytest.raises(ValueError, match="no human turn"):
        image_conversation(make_record(0, "train", "tr0", (("gpt", "alone"),)))


# --- LLaVA --------------------------------------------------------------------------------------------------


def test_llava_writer_passes_llava_rules_from_another_directory(release: Path) -> None:
    for split, count in counts().items():
        records = llava_check(release, split)
        assert len(records) == count
        assert all(record["image"].startswith(f"{split}/") for record in records)
    [hostile] = [record for record in llava_check(release, "train") if record["id"] == "ins-00002"]
    assert hostile["conversations"][0]["value"] == f"{IMAGE_TOKEN}\nIs this  a drusen? "
    assert hostile["source"]["video_title"] == TITLE and hostile["source"]["frame_time_s"] == 12.0
    assert isinstance(hostile["source"]["frame_time_s"], float) and hostile["kind"] == "conversation"


def test_writers_write_the_same_bytes_whatever_the_interleaving(tmp_path: Path) -> None:
    first = write_release(tmp_path / "a", synthetic_records())
    # the same records in each split, the splits interleaved otherwise
    by_split = sorted(synthetic_records(), key=lambda record: SPLITS.index(record.split))
    second = write_release(tmp_path / "b", by_split)
    files = sorted(path.relative_to(first) for path in first.rglob("*") if path.is_file())
    assert files == sorted(path.relative_to(second) for path in second.rglob("*") if path.is_file())
    assert all((first / name).read_bytes() == (second / name).read_bytes() for name in files)
    text = (first / "llava" / "validation.json").read_text(encoding="utf-8")
    assert text.startswith("[\n{") and text.endswith("}\n]\n") and text.count("},\n{") == 2
    assert TITLE in text  # ensure_ascii=False


def test_llava_check_refuses_a_missing_image(release: Path) -> None:
    (release / "images" / "validation" / "va0.jpg").unlink()
    with pytest.raises(FileNotFoundError):
        llava_check(release, "validation")


def test_check_llava_record_refuses_two_image_tokens(release: Path) -> None:
    good = llava_check(release, "train")[0]
    check_llava_record(good, str(release / "images"))
    two_turns = json.loads(json.dumps(good))
    two_turns["conversations"][1]["value"] += f" {IMAGE_TOKEN}"
    with pytest.raises(ConsumerRefused, match="2 <image> tokens after preprocess_multimodal"):
        check_llava_record(two_turns, str(release / "images"))
    one_turn = json.loads(json.dumps(good))  # LLaVA would merge these two; the text was still corrupted
    one_turn["conversations"][0]["value"] += f" {IMAGE_TOKEN}"
    with pytest.raises(ConsumerRefused, match="must open the first human turn"):
        check_llava_record(one_turn, str(release / "images"))


def test_check_llava_record_refuses_roles_out_of_order(release: Path) -> None:
    good = llava_check(release, "train")[0]
    for roles, message in ((("gpt", "human"), "LLaVA would skip it"), (("human", "human"), "must alternate")):
        bad = json.loads(json.dumps(good))
        bad["conversations"] = [{"from": role, "value": f"{IMAGE_TOKEN}\nx"} for role in roles[:1]]
        bad["conversations"] += [{"from": role, "value": "y"} for role in roles[1:]]
        with pytest.raises(ConsumerRefused, match=message):
            check_llava_record(bad, str(release / "images"))


# --- ShareGPT / LLaMA-Factory -------------------------------------------------------------------------------


def test_sharegpt_writer_loads_in_llamafactory_from_another_directory(release: Path, cache: Path) -> None:
    for split, count in counts().items():
        converted = llamafactory_load(release, split, cache_dir=cache)
        assert len(converted) == count
        for example in converted:
            [image] = example["_images"]
            assert Path(image).is_file() and Path(image).is_relative_to(release / "images" / split)
            assert example["_prompt"][0]["content"].startswith(f"{IMAGE_TOKEN}\n")
            assert example["_response"][-1]["role"] == "assistant"
    info = json.loads((release / "dataset_info.json").read_text(encoding="utf-8"))
    assert info["ophin_train"] == {
        "file_name": "sharegpt/train.json",
        "formatting": "sharegpt",
        "columns": {"messages": "conversations", "images": "images"},
        "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt"},
    }
    assert sorted(info) == ["ophin_test", "ophin_train", "ophin_validation"]


def rewrite_sharegpt(release: Path, split: str, change) -> None:  # noqa: ANN001 - a record -> None callable
    path = release / "sharegpt" / f"{split}.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    for record in records:
        change(record)
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")


def test_llamafactory_load_refuses_images_given_as_a_string(release: Path, cache: Path) -> None:
    rewrite_sharegpt(release, "test", lambda record: record.update(images=record["images"][0]))
    with pytest.raises(ConsumerRefused, match="not a list"):
        llamafactory_load(release, "test", cache_dir=cache)


def test_llamafactory_load_refuses_an_image_count_unlike_the_tokens(release: Path, cache: Path) -> None:
    def add_token(record: dict) -> None:
        record["conversations"][1]["value"] += IMAGE_TOKEN

    rewrite_sharegpt(release, "validation", add_token)
    with pytest.raises(ValueError, match="The number of images does not match"):
        llamafactory_load(release, "validation", cache_dir=cache)


def test_llamafactory_load_refuses_a_missing_image(release: Path, cache: Path) -> None:
    (release / "images" / "test" / "te0.jpg").unlink()
    with pytest.raises(BrokenExample, match="does not exist in `media_dir`"):
        llamafactory_load(release, "test", cache_dir=cache)


def test_llamafactory_load_refuses_roles_the_converter_rejects(release: Path, cache: Path) -> None:
    rewrite_sharegpt(release, "test", lambda record: record["conversations"].reverse())
    with pytest.raises(BrokenExample, match="Invalid role tag"):
        llamafactory_load(release, "test", cache_dir=cache)


# --- Hugging Face -------------------------------------------------------------------------------------------


def test_hf_writer_parquet_loads_with_decoded_images(release: Path, cache: Path) -> None:
    dataset_dict = hf_load_parquet(release, cache_dir=cache)
    assert {split: len(dataset) for split, dataset in dataset_dict.items()} == counts()
    row = next(row for row in dataset_dict["train"] if row["id"] == "ins-00002")
    assert row["image"].size == (24, 16) and row["video_title"] == TITLE and row["frame_time_s"] == 12.0
    assert sum(turn["value"].count(IMAGE_TOKEN) for turn in row["conversations"]) == 1
    assert set(dataset_dict["test"]["license"]) == {None}


def test_hf_writer_features_match_what_datasets_writes(release: Path) -> None:
    import datasets

    schema = pq.read_schema(next((release / "data").glob("train-*.parquet")))
    string, double = datasets.Value("string"), datasets.Value("float64")
    features = datasets.Features(
        {
            "id": string,
            "image": datasets.Image(),
            "conversations": datasets.List({"from": string, "value": string}),
            "kind": string,
        }
        | {name: double if str(kind) == "float" else string for name, kind in SOURCE_TYPES.items()}
    )
    theirs = datasets.Dataset.from_dict({name: [] for name in features}, features=features).data.schema
    assert json.loads(schema.metadata[b"huggingface"]) == json.loads(theirs.metadata[b"huggingface"])
    assert schema.remove_metadata().equals(theirs.remove_metadata())
    assert datasets.Features.from_arrow_schema(schema)["image"] == datasets.Image()


def test_hf_writer_types_every_source_field_as_its_own_column(release: Path) -> None:
    schema = pq.read_schema(next((release / "data").glob("test-*.parquet")))
    assert schema.names == ["id", "image", "conversations", "kind", *SOURCE_TYPES]
    assert str(schema.field("image").type) == "struct<bytes: binary, path: string>"
    for name, annotation in SOURCE_TYPES.items():
        assert str(schema.field(name).type) == ("double" if str(annotation) == "float" else "string"), name
    table = pq.read_table(next((release / "data").glob("train-*.parquet")))
    assert table.column("image").combine_chunks().field("path")[0].as_py() == "tr0.jpg"


def test_source_column_type_refuses_an_untyped_field() -> None:
    assert str(source_column_type("str | None")[0]) == "string"
    with pytest.raises(TypeError, match="no Parquet type"):
        source_column_type("int")


def test_hf_writer_shards_every_shard_records_and_names_the_count(tmp_path: Path, cache: Path) -> None:
    root = write_release(tmp_path / "r", synthetic_records(), formats=["hf"], shard_records=2)
    names = sorted(path.name for path in (root / "data").iterdir())
    assert names == [
        "test-00000-of-00001.parquet",
        "train-00000-of-00003.parquet",
        "train-00001-of-00003.parquet",
        "train-00002-of-00003.parquet",
        "validation-00000-of-00002.parquet",
        "validation-00001-of-00002.parquet",
    ]
    assert [pq.ParquetFile(root / "data" / name).metadata.num_rows for name in names[1:4]] == [2, 2, 1]
    assert {split: len(d) for split, d in hf_load_parquet(root, cache_dir=cache).items()} == counts()
    write_release(root, synthetic_records(), formats=["hf"], shard_records=5)  # a rerun with fewer shards
    assert sorted(path.name for path in (root / "data").glob("train-*")) == ["train-00000-of-00001.parquet"]


def test_hf_load_parquet_refuses_a_shard_count_unlike_the_names(release: Path, cache: Path) -> None:
    shard = next((release / "data").glob("train-*.parquet"))
    shutil.copy(shard, release / "data" / "train-00001-of-00001.parquet")
    with pytest.raises(ConsumerRefused, match="are not"):
        hf_load_parquet(release, cache_dir=cache)


def test_hf_writer_imagefolder_infers_splits_and_keeps_one_row_per_record(release: Path, cache: Path) -> None:
    dataset_dict = hf_load_imagefolder(release, cache_dir=cache)
    assert {split: len(dataset) for split, dataset in dataset_dict.items()} == counts()
    train = dataset_dict["train"]
    assert train["frame_id"].count("tr0") == 4  # one image, one row per instruction
    assert train.features["frame_time_s"].dtype == "float64" and train.features["license"].dtype == "string"
    assert set(dataset_dict["test"]["license"]) == {None}
    row = next(row for row in train if row["id"] == "ins-00002")
    assert row["image"].size == (24, 16) and row["conversations"][0]["value"].startswith(f"{IMAGE_TOKEN}\n")


def test_hf_load_imagefolder_refuses_a_missing_image(release: Path, cache: Path) -> None:
    (release / "images" / "validation" / "va0.jpg").unlink()
    with pytest.raises(FileNotFoundError):
        hf_load_imagefolder(release, cache_dir=cache)


def test_hf_writer_refuses_a_record_whose_image_is_missing(tmp_path: Path) -> None:
    writer = HfWriter(tmp_path)
    with pytest.raises(FileNotFoundError):
        writer.add(make_record(0, "train", "nowhere"))


# --- every writer -------------------------------------------------------------------------------------------


def test_writers_write_only_the_splits_that_received_records(tmp_path: Path, cache: Path) -> None:
    root = write_release(tmp_path / "r", [r for r in synthetic_records() if r.split == "train"])
    assert sorted(path.name for path in (root / "llava").iterdir()) == ["train.json"]
    assert sorted(path.name for path in (root / "sharegpt").iterdir()) == ["train.json"]
    assert json.loads((root / "dataset_info.json").read_text(encoding="utf-8")).keys() == {"ophin_train"}
    assert [path.name for path in (root / "data").iterdir()] == ["train-00000-of-00001.parquet"]
    assert list(hf_load_imagefolder(root, cache_dir=cache)) == ["train"]


@pytest.mark.parametrize("name", FORMATS)
def test_writers_refuse_an_unknown_split(tmp_path: Path, name: str) -> None:
    record = dataclasses.replace(make_record(0, "train", "tr0"), split="dev")
    place_images(tmp_path, [record])
    with pytest.raises(ValueError, match="not one of"):
        WRITERS[name](tmp_path).add(record)


def tiny_records(count: int) -> Iterator[ReleaseRecord]:
    for number in range(count):
        split = SPLITS[number % 3]
        yield make_record(number, split, FRAMES[split][0])


class HoardingWriter:
    """The bad case for the streaming measure: a writer that keeps every record until close."""

    name = "hoarding"

    def __init__(self, root: Path, *, shard_records: int = 5000) -> None:
        self.records: list[ReleaseRecord] = []

    def add(self, record: ReleaseRecord) -> None:
        self.records.append(record)

    def close(self) -> None:
        self.records.clear()


MEASURED = WRITERS | {"hoarding": HoardingWriter}


def peak_bytes(root: Path, name: str, count: int) -> int:
    place_images(root, tiny_records(3))
    tracemalloc.start()
    try:
        writer = MEASURED[name](root, shard_records=5000)
        for record in tiny_records(count):
            writer.add(record)
        writer.close()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# In a fresh interpreter: pytest's own allocations (a global table resized mid-run) would otherwise count.
MEASURE = """
import sys
from pathlib import Path
from tests.unit.release.test_formats import peak_bytes
root, name = Path(sys.argv[1]), sys.argv[2]
peak_bytes(root / "warm", name, 2_000)  # imports and first-use caches count in neither measure
print(peak_bytes(root / "small", name, 2_000), peak_bytes(root / "large", name, 20_000))
"""


def peaks(tmp_path: Path, name: str) -> tuple[int, int]:
    repo = Path(__file__).resolve().parents[3]
    env = os.environ | {"PYTHONPATH": str(repo)}
    command = [sys.executable, "-c", MEASURE, str(tmp_path), name]
    result = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, check=True)
    small, large = map(int, result.stdout.split()[-2:])
    print(f"{name}: peak {small} B for 2k records, {large} B for 20k")
    return small, large


def streams(small: int, large: int) -> bool:
    return large < small * 1.25 + 64_000


@pytest.mark.parametrize("name", FORMATS)
def test_writers_stream_in_memory_independent_of_record_count(tmp_path: Path, name: str) -> None:
    assert streams(*peaks(tmp_path, name))


def test_writers_stream_measure_catches_a_writer_that_keeps_records(tmp_path: Path) -> None:
    assert not streams(*peaks(tmp_path, "hoarding"))
