"""The dataset card: README.md with Hugging Face metadata, how the data was made, counts and attribution."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import yaml

from ophin.acquisition.license import license_family
from ophin.domains.pack import current
from ophin.release.card_sections import (
    citation_section,
    how_text_was_made,
    measured_limitations,
    review_section,
    schema_section,
)
from ophin.release.formats import FORMATS
from ophin.release.markdown import md, md_url, one_line, table
from ophin.release.public import check_public
from ophin.release.record import SPLITS

MODEL_ROLES = ("synthesis", "cues", "verification")
# Licence ids the Hub knows (hf.co/docs/hub/repositories-licenses): the lower-cased SPDX id where listed.
HUB_LICENSES = frozenset(
    "cc0-1.0 cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 "
    "cc-by-nc-4.0 cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 "
    "cc-by-nc-sa-4.0".split()
)
_SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))
_SIZE_LARGER = ((10**7, "1M<n<10M"), (10**8, "10M<n<100M"), (10**9, "100M<n<1B"))


@dataclass(frozen=True)
class VideoCredit:
    video_id: str
    title: str | None
    creator: str | None
    url: str
    license: str | None
    upload_date: str | None
    split: str
    records: int
    images: int


@dataclass(frozen=True)
class CardFacts:
    release_id: str
    name: str  # the dataset name, e.g. "ophin-instructions"
    engine_version: str
    formats: list[str]  # a subset of FORMATS
    kinds: list[str]
    splits: dict[str, dict[str, int]]  # split -> {"records", "images", "videos", "groups"}
    by_kind: dict[str, int]  # record counts
    by_modality: dict[str, int]
    by_license: dict[str, int]
    videos: list[VideoCredit]  # every source video in the release
    config: dict[str, Any]  # stage versions and params (thresholds), split settings
    models: list[dict[str, Any]]  # {"role", "model", "prompt_version", "served_model", "records"}
    quality: dict[str, Any]  # figures measured at release time
    left_out: dict[str, int]  # reason -> records left out
    example: dict[str, Any] | None = None  # one released record, as a user reads it (the first written)
    by_image: dict[str, int] = field(default_factory=dict)  # image path -> records
    review: dict[str, Any] | None = None  # people's review of the candidates (ophin.release.reviewed)

    @property
    def records(self) -> int:
        return sum(s.get("records", 0) for s in self.splits.values())


def render_card(facts: CardFacts) -> str:
    """The README.md text; equal facts give equal text. Refuses facts holding a local path or private host."""
    unknown = sorted(set(facts.formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown release formats {unknown}: expected a subset of {', '.join(FORMATS)}")
    _refuse_private(facts, "facts")
    sections = [
        _metadata_block(facts),
        _summary(facts),
        _loading(facts),
        _provenance(facts),
        _counts(facts),
        _quality(facts),
        *([review_section(facts.review)] if facts.review is not None else []),
        _splits(facts),
        _attribution(facts),
        schema_section(facts.example),
        citation_section(facts.engine_version),
        _limitations(facts),
        _license_terms(facts),
    ]
    return "\n\n".join(s.strip("\n") for s in sections) + "\n"


def hub_license(license_id: str | None) -> str | None:
    """The Hub's id for an SPDX-style licence ("CC-BY-4.0" -> "cc-by-4.0"), "unknown" for None, else None."""
    if license_id is None:
        return "unknown"
    lowered = license_id.lower()
    return lowered if lowered in HUB_LICENSES else None


def license_url(license_id: str | None) -> str | None:
    """The Creative Commons deed of a versioned CC licence, CC0 or the Public Domain Mark."""
    if not license_id:
        return None
    match = re.fullmatch(r"CC-BY((?:-NC)?(?:-ND)?(?:-SA)?)-(\d\.\d)", license_id, re.IGNORECASE)
    if match:
        return f"https://creativecommons.org/licenses/by{match.group(1).lower()}/{match.group(2)}/"
    if re.fullmatch(r"CC0(-1\.0)?", license_id, re.IGNORECASE):
        return "https://creativecommons.org/publicdomain/zero/1.0/"
    if re.fullmatch(r"PDM(-1\.0)?", license_id, re.IGNORECASE):
        return "https://creativecommons.org/publicdomain/mark/1.0/"
    return None


def size_category(records: int) -> str:
    for bound, label in _SIZE_CATEGORIES + _SIZE_LARGER:
        if records < bound:
            return label
    return "n>1B"


def _number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return md(value)


def _value(value: object) -> str:
    if isinstance(value, str):
        return md(value, missing='""')
    return md(json.dumps(value, sort_keys=True, ensure_ascii=False))


def flatten(config: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Every leaf of a nested dict as ("a.b.c", value), sorted by key; lists are leaves."""
    leaves: list[tuple[str, Any]] = []
    for key in sorted(config, key=str):
        value = config[key]
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            leaves += flatten(value, f"{path}.")
        else:
            leaves.append((path, value))
    return leaves


def _refuse_private(value: object, where: str) -> None:
    if isinstance(value, str):
        if reason := check_public(value):
            raise ValueError(f"card field {where} is not public-safe: {reason}")
    elif is_dataclass(value):
        for f in fields(value):
            _refuse_private(getattr(value, f.name), f"{where}.{f.name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_private(str(key), f"{where} key")
            _refuse_private(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _refuse_private(item, f"{where}[{i}]")


def _by_count(counts: dict[Any, int]) -> list[tuple[Any, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))


# --- sections -------------------------------------------------------------------------------------------


def _metadata_block(facts: CardFacts) -> str:
    meta: dict[str, Any] = {}
    licences = sorted(_licences(facts), key=str)
    hub = [hub_license(lid) for lid in licences]
    if licences and None not in hub:
        ids = sorted(set(hub))  # type: ignore[arg-type]
        meta["license"] = ids[0] if len(ids) == 1 else ids
    else:
        # A licence the Hub does not list (the Public Domain Mark, an unversioned CC licence): "other",
        # named, and linked to its deed or to this card's licence section.
        meta["license"] = "other"
        single = licences[0] if len(licences) == 1 else None
        meta["license_name"] = one_line(single).lower() if single else "per-video-licences"
        meta["license_link"] = license_url(single) or "README.md"
    meta["language"] = ["en"]
    meta["pretty_name"] = one_line(facts.name) or "OphIn instructions"
    meta["task_categories"] = ["visual-question-answering", "image-text-to-text"]
    meta["tags"] = [*current().manifest.tags, "synthetic"]
    meta["annotations_creators"] = ["machine-generated"]
    meta["size_categories"] = [size_category(facts.records)]
    if "hf" in facts.formats:
        data_files = [
            {"split": split, "path": f"data/{split}-*.parquet"}
            for split in _ordered_splits(facts)
            if facts.splits[split].get("records", 0) > 0
        ]
        if data_files:
            meta["configs"] = [{"config_name": "default", "data_files": data_files}]
    body = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False)
    return f"---\n{body}---"


def _licences(facts: CardFacts) -> set[str | None]:
    """Every licence in the release; None for "not stated" (counted under "unknown")."""
    counted = {None if lid in (None, "unknown") else lid for lid in facts.by_license}
    return counted | {v.license for v in facts.videos}


def _ordered_splits(facts: CardFacts) -> list[str]:
    return [s for s in SPLITS if s in facts.splits] + sorted(s for s in facts.splits if s not in SPLITS)


def _summary(facts: CardFacts) -> str:
    kinds = ", ".join(f"{md(k)} ({n})" for k, n in _by_count(facts.by_kind)) or "none"
    views = ", ".join(f"{md(k)} ({n})" for k, n in _by_count(facts.by_modality)) or "none"
    return (
        f"# {md(facts.name)}\n\n"
        f"{facts.records} image–instruction records ({kinds}) made by OphIn Engine from "
        f"{len(facts.videos)} {current().manifest.title.lower()} teaching videos (each credited under "
        "Attribution). Each record "
        f"pairs one keyframe of a lecture (modalities, as labelled automatically: {views}) with "
        "instructions written from what the lecturer said around that frame by "
        f"{how_text_was_made(facts.models, facts.config)}; every record carries its source video, time "
        "window, licence and what wrote it.\n\n"
        f"Release `{md(facts.release_id)}`, OphIn Engine {md(facts.engine_version)}. "
        "**Research use only: not for clinical use** (see Known limitations)."
    )


def _loading(facts: CardFacts) -> str:
    parts = ["## How to load"]
    splits = [s for s in _ordered_splits(facts) if facts.splits[s].get("records", 0) > 0] or ["train"]
    if "llava" in facts.formats:
        parts.append(
            "### LLaVA\n\n`llava/<split>.json` holds conversations, each `image` relative to `images/`:\n\n"
            "```bash\n--data_path <release>/llava/train.json --image_folder <release>/images\n```"
        )
    if "sharegpt" in facts.formats:
        names = ", ".join(f"`ophin_{s}`" for s in splits)
        parts.append(
            "### LLaMA-Factory (ShareGPT)\n\n`dataset_info.json` at the release root registers "
            f"{names} (`sharegpt/<split>.json`, images relative to the release root):\n\n"
            "```yaml\ndataset_dir: <release>\ndataset: ophin_train\n```"
        )
    if "hf" in facts.formats:
        files = ", ".join(f'"{s}": "<release>/data/{s}-*.parquet"' for s in splits)
        parts.append(
            "### Hugging Face `datasets`\n\nParquet shards with the images embedded; the `configs` in this "
            "card map them to splits:\n\n```python\nfrom datasets import load_dataset\n\n"
            'ds = load_dataset("<release>")  # or the Hub repository it was uploaded to\n'
            f'ds = load_dataset("parquet", data_files={{{files}}})\n'
            'ds = load_dataset("imagefolder", data_dir="<release>/images")  # <split>/metadata.parquet\n'
            "```"
        )
    parts.append(
        "`index.jsonl` lists every record's id, split and content hashes; `manifest.json` every file's "
        "sha256. `ophin release diff OLD NEW` compares two releases."
    )
    return "\n\n".join(parts)


def _provenance(facts: CardFacts) -> str:
    stages = ", ".join(md(k) for k in sorted(facts.config, key=str)) or "none recorded"
    models = [
        [
            md(m.get("role")),
            md(m.get("model")),
            md(m.get("prompt_version"), "none"),
            md(m.get("served_model"), "not reported"),
            _number(m.get("records", 0)),
        ]
        for m in sorted(facts.models, key=_model_order)
    ]
    settings = [[md(key), _value(value)] for key, value in flatten(facts.config)]
    return "\n\n".join(
        [
            "## How it was made",
            _METHOD.format(engine=md(facts.engine_version), stages=stages),
            "### Models and prompts",
            table(["Role", "Model", "Prompt version", "Served model", "Records"], models)
            if models
            else "No model calls were recorded (template and rule-based stages only).",
            "### Settings and thresholds",
            table(["Setting", "Value"], settings) if settings else "No settings were recorded.",
        ]
    )


_METHOD = (
    "OphIn Engine {engine} found openly licensed videos and kept those whose stated licence its licence "
    "policy accepts (see the terms below); it transcribed the speech (ASR), extracted and de-identified "
    "keyframes (faces blurred, burnt-in text redacted), paired each frame with the transcript window around "
    "it, scored the sentences that describe what is visible (cues), wrote instructions from them (synthesis) "
    "and kept only those that passed automatic verification and the quality gates. Stages with recorded "
    "settings: {stages}."
)


def _model_order(model: dict[str, Any]) -> tuple[int, str, str]:
    role = str(model.get("role"))
    rank = MODEL_ROLES.index(role) if role in MODEL_ROLES else len(MODEL_ROLES)
    return rank, str(model.get("model")), str(model.get("prompt_version"))


def _counts(facts: CardFacts) -> str:
    total = facts.records or 1

    def share_table(title: str, counts: dict[Any, int], render=md) -> str:  # noqa: ANN001
        rows = [[render(key), str(n), f"{100 * n / total:.1f}%"] for key, n in _by_count(counts)]
        return table([title, "Records", "Share"], rows) if rows else f"No {title.lower()} counts."

    split_rows = [
        [md(s), *(str(facts.splits[s].get(k, 0)) for k in ("records", "images", "videos", "groups"))]
        for s in _ordered_splits(facts)
    ]
    left_out = [[md(reason), str(n)] for reason, n in _by_count(facts.left_out)]
    return "\n\n".join(
        [
            "## Counts",
            table(["Split", "Records", "Images", "Videos", "Groups"], split_rows) if split_rows else "Empty.",
            share_table("Kind", facts.by_kind),
            share_table("Modality", facts.by_modality),
            share_table("Licence", facts.by_license, lambda lid: _license_cell(lid)),
            "### Left out",
            table(["Reason", "Records"], left_out) if left_out else "No accepted record was left out.",
        ]
    )


def _quality(facts: CardFacts) -> str:
    rows = [[md(name), _number(value)] for name, value in sorted(facts.quality.items(), key=lambda kv: kv[0])]
    return "## Quality at release time\n\n" + (
        "Measured automatically on this release when it was built (not a human evaluation):\n\n"
        + table(["Figure", "Value"], rows)
        if rows
        else "No quality figures were recorded for this release."
    )


def _splits(facts: CardFacts) -> str:
    release = facts.config.get("release")
    release = release if isinstance(release, dict) else {}
    distance = release.get("split_phash_distance")
    near = f" (perceptual hashes within {md(distance)} bits)" if distance is not None else ""
    return (
        "## Splits\n\n"
        "Splits are assigned to groups, not records. A group joins a video with every other video that "
        f"shows a near-duplicate of one of its images{near}, and the whole group goes to one split, so no "
        "image and no video appears in two splits. A group's split is a hash of its key against the split "
        "shares (shares hold over groups, so record counts per split vary around them). A record keeps its "
        "split from release to release as long as its group does not merge with another."
    )


def _attribution(facts: CardFacts) -> str:
    videos = sorted(facts.videos, key=lambda v: (one_line(v.title or "").casefold(), v.video_id))
    rows = [
        [
            md(v.title, "untitled"),
            md(v.creator),
            md_url(v.url),
            _license_cell(v.license),
            md(v.upload_date),
            md(v.split),
            str(v.records),
            str(v.images),
        ]
        for v in videos
    ]
    header = ["Title", "Creator", "Source", "Licence", "Uploaded", "Split", "Records", "Images"]
    return "## Attribution\n\nEvery source video of this release, as its platform names it:\n\n" + (
        table(header, rows) if rows else "No videos."
    )


def _license_cell(license_id: str | None) -> str:
    url = license_url(license_id)
    return f"[{md(license_id)}]({url})" if url else md(license_id)


_LIMITATIONS = (
    "**Machine transcription.** The text comes from automatic speech recognition of lectures; drug "
    "names, anatomical terms, numbers and laterality can be misheard, and the rule-based corrections are "
    "incomplete.",
    "**Synthetic instructions.** Questions, answers, conversations and reasoning were written by machine "
    "(see How it was made) from the transcript, not by clinicians. Automatic verification lowers but does "
    "not remove statements the lecture did not make, or remarks about another slide attributed to this "
    "image.",
    "**One frame per window.** The speaker may describe a moment before or after the keyframe, or something "
    "not visible in it.",
    "**Automatic labels.** Modality labels and visual-cue scores are automatic and can be wrong.",
    "**Not for clinical use.** This is not a diagnostic dataset: records are not reviewed by "
    "clinicians and carry no clinical ground truth. Do not use it, or models trained on it, to make or "
    "support decisions about patients.",
    "**De-identification is automatic.** Faces are blurred and burnt-in text redacted by detectors that can "
    "miss; please report any identifiable content.",
    "**Source bias.** English-language, openly licensed teaching videos from the platforms crawled: textbook "
    "and striking cases are over-represented and patient demographics are unknown.",
    "**Split stability.** Splits stay stable across releases only while groups do not merge: a new video "
    "with a near-duplicate image can join two groups and move records to another split (`ophin release "
    'diff` reports these as "split changed").',
    "**Licences as stated.** Licences are read from the platforms' metadata; an uploader's wrong statement "
    "carries through.",
    "**Quality figures** are automatic measurements of this release, not a human evaluation.",
)


def _limitations(facts: CardFacts) -> str:
    measured = measured_limitations(facts.by_modality, facts.by_image, facts.models, facts.left_out)
    return "## Known limitations\n\n" + "\n".join(f"- {item}" for item in (*measured, *_LIMITATIONS))


def _license_terms(facts: CardFacts) -> str:
    families = {license_family(lid) if lid else None for lid in _licences(facts)}
    terms = [
        "Each record is under the licence of the video it was made from (the `license` field of every record "
        "and the table above); the release as a whole has no single licence. This is not legal advice."
    ]
    if any(f and f.startswith("CC-BY") for f in families):
        terms.append(
            "**Attribution (CC BY and its variants).** Credit the creator, the title, a link to the source "
            "and the licence, and say that the material was changed (frames extracted and de-identified, "
            "speech transcribed by machine, instructions written by a model). The attribution table above is "
            "that credit: keep it, or the per-record `video_title`, `creator`, `video_url` and `license` "
            "fields, with every copy and derivative."
        )
    if any(f and "SA" in f.split("-") for f in families):
        terms.append(
            "**Share-alike (CC BY-SA).** Records made from share-alike videos, and what you adapt from them, "
            "must be shared under the same licence or a compatible one; filter on `license` to keep them "
            "apart."
        )
    if any(f and "NC" in f.split("-") for f in families):
        terms.append("**NonCommercial (CC BY-NC).** Records under an NC licence are not for commercial use.")
    if any(f and "ND" in f.split("-") for f in families):
        terms.append("**NoDerivatives (CC BY-ND).** Records under an ND licence may not be adapted further.")
    if families & {"CC0", "PDM"}:
        terms.append(
            "**CC0 and Public Domain Mark.** No conditions; crediting the creator is still good practice."
        )
    if None in families:
        terms.append(
            "**Licence not stated.** Some videos state no licence and were accepted by a policy that allows "
            "that; check their terms before redistributing those records."
        )
    return "## Licence and attribution terms\n\n" + "\n\n".join(terms)
