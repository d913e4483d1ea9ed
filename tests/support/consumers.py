"""A release's real consumers, run as each trainer runs them: LLaVA's rules, LLaMA-Factory's loader, datasets.

Each takes the release folder and nothing else: paths inside the release must resolve as written, from any
working directory. Each raises on the first record its consumer would refuse, skip or mis-load.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from ophin.release.record import IMAGE_TOKEN, SPLITS
from tests.support.llava_rules import LLAVA_DATA_ARGS, check_roles_v1, preprocess_multimodal

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # read by datasets at import, which happens below, lazily
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict


class ConsumerRefused(ValueError):
    """A consumer would refuse, skip or mis-load a record."""


def _cache(cache_dir: Path | None) -> str:
    return str(cache_dir) if cache_dir is not None else tempfile.mkdtemp(prefix="ophin-consumer-cache-")


# --- LLaVA --------------------------------------------------------------------------------------------------


def check_llava_record(record: dict[str, Any], image_folder: str) -> None:
    """One record through the rules of LLaVA's ``LazySupervisedDataset.__getitem__`` (``--image_folder``)."""
    from PIL import Image

    if "image" not in record:
        raise ConsumerRefused(f"{record.get('id')}: no 'image'; LLaVA would train it as text only")
    image_file = record["image"]
    Image.open(os.path.join(image_folder, image_file)).convert("RGB")  # as __getitem__ opens it
    conversations = record["conversations"]
    processed = preprocess_multimodal(copy.deepcopy([conversations]), LLAVA_DATA_ARGS)[0]
    # llava_arch.prepare_inputs_labels_for_multimodal takes one image feature per <image> token
    tokens = sum(sentence["value"].count(IMAGE_TOKEN) for sentence in processed)
    if tokens != 1:
        raise ConsumerRefused(f"{record['id']}: {tokens} {IMAGE_TOKEN} tokens after preprocess_multimodal")
    try:
        check_roles_v1(processed)
    except (KeyError, ValueError) as err:
        raise ConsumerRefused(f"{record['id']}: {err!r}") from err
    raw_tokens = sum(sentence["value"].count(IMAGE_TOKEN) for sentence in conversations)
    first = conversations[0]
    if raw_tokens != 1 or first["from"] != "human" or not first["value"].startswith(f"{IMAGE_TOKEN}\n"):
        raise ConsumerRefused(f"{record['id']}: the one {IMAGE_TOKEN} must open the first human turn")
    if processed[-1]["from"] != "gpt":
        raise ConsumerRefused(f"{record['id']}: the last turn is not gpt's; nothing to learn from")


def llava_check(release: Path, split: str) -> list[dict[str, Any]]:
    """Every record of ``llava/<split>.json`` as LLaVA reads it, with ``--image_folder <release>/images``."""
    with open(release / "llava" / f"{split}.json", encoding="utf-8") as handle:
        records = json.load(handle)  # LazySupervisedDataset: json.load(open(data_path, "r"))
    image_folder = str(release / "images")
    for record in records:
        check_llava_record(record, image_folder)
    return records


# --- LLaMA-Factory ------------------------------------------------------------------------------------------


def llamafactory_load(release: Path, split: str, *, cache_dir: Path | None = None) -> Dataset:
    """``--dataset_dir <release> --dataset ophin_<split>`` through LLaMA-Factory's loader and converter.

    Follows data/loader.py ``_load_single_dataset`` for ``load_from == "file"``, then ``align_dataset`` with
    the real ``SharegptDatasetConverter`` (``media_dir`` = ``dataset_dir``, LLaMA-Factory's default), then
    mm_plugin's ``_validate_messages`` on every example, as each template's ``process_messages`` does.
    """
    from datasets import List, Value, load_dataset

    from tests.support.llamafactory.data.converter import align_dataset
    from tests.support.llamafactory.data.mm_plugin import _validate_messages
    from tests.support.llamafactory.data.parser import get_dataset_list

    dataset_dir = str(release)
    [dataset_attr] = get_dataset_list([f"ophin_{split}"], dataset_dir=dataset_dir)
    if dataset_attr.load_from != "file" or dataset_attr.formatting != "sharegpt":
        raise ConsumerRefused(f"ophin_{split}: load_from={dataset_attr.load_from}, {dataset_attr.formatting}")
    local_path = os.path.join(dataset_dir, dataset_attr.dataset_name)
    if not os.path.isfile(local_path):
        raise ConsumerRefused(f"File {local_path} not found.")
    dataset = load_dataset(
        path="json", data_files=[local_path], split=dataset_attr.split, cache_dir=_cache(cache_dir)
    )
    # LLaMA-Factory wraps a bare string in a list; the release promises a list, so a string is ours to refuse
    images_feature = dataset.features.get(dataset_attr.images)
    if images_feature != List(Value("string")):
        raise ConsumerRefused(f"{local_path}: images is {images_feature}, not a list of paths")
    data_args = SimpleNamespace(
        media_dir=dataset_dir, streaming=False, preprocessing_num_workers=None, overwrite_cache=True
    )
    converted = align_dataset(dataset, dataset_attr, data_args, SimpleNamespace(local_process_index=0))
    for example in converted:
        images = example["_images"] or []
        messages = example["_prompt"] + example["_response"]
        _validate_messages(messages, images, example["_videos"] or [], example["_audios"] or [])
        if not images or not all(os.path.isfile(path) for path in images):
            raise ConsumerRefused(f"images {images} are not all files")
    return converted


# --- Hugging Face datasets ----------------------------------------------------------------------------------


def _require_images(dataset_dict: DatasetDict, column: str = "image") -> None:
    from datasets import Image

    for split, dataset in dataset_dict.items():
        if not isinstance(dataset.features[column], Image):
            raise ConsumerRefused(f"{split}: {column} is {dataset.features[column]}, not datasets.Image")
        for example in dataset:
            example[column].load()  # decoded by datasets; load() reads every pixel


def hf_load_parquet(release: Path, *, cache_dir: Path | None = None) -> DatasetDict:
    """``load_dataset("parquet", data_files={split: "<release>/data/<split>-*.parquet"})``, images decoded."""
    from datasets import load_dataset

    data = release / "data"
    present = [split for split in SPLITS if any(data.glob(f"{split}-*.parquet"))]
    data_files = {split: str(data / f"{split}-*.parquet") for split in present}
    if not data_files:
        raise ConsumerRefused(f"no Parquet shard under {data}")
    for split in data_files:
        shards = sorted(data.glob(f"{split}-*.parquet"))
        expected = [f"{split}-{i:05d}-of-{len(shards):05d}.parquet" for i in range(len(shards))]
        if [shard.name for shard in shards] != expected:
            raise ConsumerRefused(f"{split} shards {[shard.name for shard in shards]} are not {expected}")
    dataset_dict = load_dataset("parquet", data_files=data_files, cache_dir=_cache(cache_dir))
    _require_images(dataset_dict)
    return dataset_dict


def hf_load_imagefolder(release: Path, *, cache_dir: Path | None = None) -> DatasetDict:
    """``load_dataset("imagefolder", data_dir="<release>/images")``: splits named after the folders."""
    from datasets import load_dataset

    images = release / "images"
    dataset_dict = load_dataset("imagefolder", data_dir=str(images), cache_dir=_cache(cache_dir))
    folders = {path.parent.name for path in images.glob("*/metadata.*")}
    if set(dataset_dict) != folders:
        raise ConsumerRefused(f"imagefolder splits {sorted(dataset_dict)}, folders {sorted(folders)}")
    _require_images(dataset_dict)
    return dataset_dict
