"""The dataset card: a Hub-valid metadata block, escaped tables, every video credited, nothing private."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from ophin.release.card import CardFacts, VideoCredit, hub_license, render_card, size_category  # noqa: E402
from ophin.release.markdown import md, md_url  # noqa: E402

HOSTILE = "| --- |\n---\nlicense: mit"
ATTRIBUTION_COLUMNS = 8


def _video(
    vid: str, title: str | None, license: str | None = "CC-BY-4.0", split: str = "train"
) -> VideoCredit:
    return VideoCredit(
        video_id=vid,
        title=title,
        creator="Dr. Example | Eye Clinic",
        url=f"https://www.youtube.com/watch?v={vid}",
        license=license,
        upload_date="2024-03-01",
        split=split,
        records=3,
        images=2,
    )


def _facts(**overrides: object) -> CardFacts:
    facts = CardFacts(
        release_id="0b9f3c1e-1111-5222-8333-444455556666",
        name="ophin-instructions",
        engine_version="0.1.0",
        formats=["llava", "sharegpt", "hf"],
        kinds=["vqa", "conversation"],
        splits={
            "train": {"records": 6, "images": 4, "videos": 2, "groups": 2},
            "validation": {"records": 0, "images": 0, "videos": 0, "groups": 0},
            "test": {"records": 3, "images": 2, "videos": 1, "groups": 1},
        },
        by_kind={"vqa": 5, "conversation": 4},
        by_modality={"oct": 6, "colour_fundus": 3},
        by_license={"CC-BY-4.0": 9},
        videos=[
            _video("vid1", "OCT basics"),
            _video("vid2", "Drusen"),
            _video("vid3", "Glaucoma", split="test"),
        ],
        config={
            "cues": {"threshold": 0.5, "scorer": "rule-lexicon", "version": "3"},
            "verify": {"min_score": 0.7},
            "release": {"splits": {"train": 0.8, "test": 0.2}, "split_phash_distance": 8},
        },
        models=[
            {
                "role": "verification",
                "model": "judge-7b",
                "prompt_version": "judge-v2",
                "served_model": None,
                "records": 9,
            },
            {
                "role": "synthesis",
                "model": "qwen2.5-vl-7b",
                "prompt_version": "synth-v3",
                "served_model": "qwen2.5-vl-7b-instruct-q4",
                "records": 9,
            },
        ],
        quality={"judge_pass_rate": 0.912345, "duplicate_rate": 0.0, "records_checked": 9},
        left_out={"cross-video near-duplicate": 2},
    )
    return replace(facts, **overrides)


def _metadata(card: str) -> dict:
    # The Hub's own rule (huggingface_hub.repocard.REGEX_YAML_BLOCK): the block ends at the first line "---".
    match = re.match(r"^(\s*---[\r\n]+)([\S\s]*?)([\r\n]+---(\r\n|\n|$))", card)
    assert match, card[:200]
    return yaml.safe_load(match.group(2))


def _section(card: str, heading: str) -> str:
    return card.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]


def _cells(row: str) -> list[str]:
    # A pipe ends a cell unless an odd number of backslashes precedes it (GFM, markdown-it).
    return re.split(r"(?<!\\)(?:\\\\)*\|", row.strip())[1:-1]


def _table_rows(section: str) -> list[str]:
    return [line for line in section.splitlines() if line.startswith("|")]


def test_render_card_metadata_block_has_hub_fields() -> None:
    meta = _metadata(render_card(_facts()))
    assert meta["license"] == "cc-by-4.0"
    assert meta["language"] == ["en"]
    assert meta["task_categories"] == ["visual-question-answering", "image-text-to-text"]
    assert {"medical", "ophthalmology"} <= set(meta["tags"])
    assert meta["size_categories"] == ["n<1K"]
    assert meta["pretty_name"] == "ophin-instructions"
    assert meta["configs"] == [
        {
            "config_name": "default",
            "data_files": [
                {"split": "train", "path": "data/train-*.parquet"},
                {"split": "test", "path": "data/test-*.parquet"},
            ],
        }
    ]  # validation is empty: no entry, so load_dataset does not look for files that are not there


def test_render_card_metadata_is_read_by_huggingface_hub() -> None:
    from huggingface_hub import DatasetCard

    card = DatasetCard(render_card(_facts()))
    assert card.data.license == "cc-by-4.0" and card.data.configs[0]["config_name"] == "default"


def test_render_card_configs_only_with_hf_format() -> None:
    meta = _metadata(render_card(_facts(formats=["llava", "sharegpt"])))
    assert "configs" not in meta


def test_render_card_hostile_title_breaks_neither_yaml_nor_table() -> None:
    facts = _facts(
        name="ophin\n---\nlicense: mit",
        videos=[_video("vid1", HOSTILE), _video("vid2", "back`tick [x](javascript:alert(1)) <img src=x>")],
    )
    card = render_card(facts)
    meta = _metadata(card)
    assert meta["license"] == "cc-by-4.0" and meta["pretty_name"] == "ophin --- license: mit"
    rows = _table_rows(_section(card, "Attribution"))
    assert len(rows) == 2 + 2  # header, rule, one row per video
    assert all(len(_cells(row)) == ATTRIBUTION_COLUMNS for row in rows)
    block = card.split("\n---\n", 1)[0].splitlines()
    assert [line for line in block if line.startswith("license")] == ["license: cc-by-4.0"]
    assert not re.search(r"(?<!\\)\]\(javascript:|(?<!\\)<img|(?<!\\)`", _section(card, "Attribution"))


def test_render_card_credits_every_video_with_its_licence() -> None:
    videos = [_video(f"vid{i}", f"Lecture {i}", "CC-BY-SA-4.0" if i % 2 else "CC-BY-4.0") for i in range(40)]
    card = render_card(_facts(videos=videos, by_license={"CC-BY-4.0": 5, "CC-BY-SA-4.0": 4}))
    attribution = _section(card, "Attribution")
    assert len(_table_rows(attribution)) == 2 + 40
    for v in videos:
        assert f"<https://www.youtube.com/watch?v={v.video_id}>" in attribution
    assert "[CC-BY-SA-4.0](https://creativecommons.org/licenses/by-sa/4.0/)" in attribution
    assert "Dr. Example \\| Eye Clinic" in attribution


def test_render_card_several_hub_licences_are_listed() -> None:
    videos = [
        _video("vid1", "a", "CC-BY-4.0"),
        _video("vid2", "b", "CC-BY-SA-4.0"),
        _video("vid3", "c", "CC0-1.0"),
    ]
    card = render_card(_facts(videos=videos, by_license={"CC-BY-4.0": 3, "CC-BY-SA-4.0": 3, "CC0-1.0": 3}))
    assert _metadata(card)["license"] == ["cc-by-4.0", "cc-by-sa-4.0", "cc0-1.0"]
    terms = _section(card, "Licence and attribution terms")
    assert "Share-alike" in terms and "Attribution (CC BY" in terms and "CC0" in terms


def test_render_card_licence_the_hub_lacks_is_other_with_name_and_link() -> None:
    card = render_card(_facts(videos=[_video("vid1", "a", "PDM-1.0")], by_license={"PDM-1.0": 9}))
    meta = _metadata(card)
    assert meta["license"] == "other" and meta["license_name"] == "pdm-1.0"
    assert meta["license_link"] == "https://creativecommons.org/publicdomain/mark/1.0/"
    mixed = render_card(
        _facts(videos=[_video("v1", "a", "PDM"), _video("v2", "b")], by_license={"PDM": 4, "CC-BY-4.0": 5})
    )
    assert _metadata(mixed)["license"] == "other" and _metadata(mixed)["license_name"] == "per-video-licences"


def test_render_card_share_alike_terms_only_when_a_video_is_share_alike() -> None:
    terms = _section(render_card(_facts()), "Licence and attribution terms")
    assert "Share-alike" not in terms and "Attribution (CC BY" in terms


def test_render_card_unknown_licence_is_said() -> None:
    card = render_card(_facts(videos=[_video("vid1", "a", None)], by_license={"unknown": 9}))
    assert _metadata(card)["license"] == "unknown"  # the Hub's id for "not stated"
    mixed = render_card(
        _facts(videos=[_video("v1", "a", None), _video("v2", "b")], by_license={"unknown": 9})
    )
    assert _metadata(mixed)["license"] == ["cc-by-4.0", "unknown"]
    assert "Licence not stated" in _section(card, "Licence and attribution terms")


def test_render_card_records_how_it_was_made_counts_and_quality() -> None:
    card = render_card(_facts())
    made = _section(card, "How it was made")
    assert "| synthesis | qwen2.5-vl-7b | synth-v3 | qwen2.5-vl-7b-instruct-q4 | 9 |" in made
    assert "| verification | judge-7b | judge-v2 | not reported | 9 |" in made
    assert made.index("synthesis") < made.index("verification")
    assert "| cues.threshold | 0.5 |" in made and "| verify.min\\_score | 0.7 |" in made
    counts = _section(card, "Counts")
    assert "| train | 6 | 4 | 2 | 2 |" in counts and "| conversation | 4 | 44.4% |" in counts
    assert "| colour\\_fundus | 3 | 33.3% |" in counts and "| cross-video near-duplicate | 2 |" in counts
    quality = _section(card, "Quality at release time")
    assert "| judge\\_pass\\_rate | 0.9123 |" in quality and "| records\\_checked | 9 |" in quality
    assert "within 8 bits" in _section(card, "Splits")
    limitations = _section(card, "Known limitations")
    assert "Not for clinical use" in limitations and "speech recognition" in limitations


def test_render_card_load_instructions_follow_the_formats() -> None:
    card = render_card(_facts(formats=["llava"]))
    loading = _section(card, "How to load")
    assert "--data_path <release>/llava/train.json --image_folder <release>/images" in loading
    assert "dataset_dir" not in loading and "load_dataset" not in loading
    full = _section(render_card(_facts()), "How to load")
    assert "dataset: ophin_train" in full and 'load_dataset("parquet"' in full and "imagefolder" in full


def test_render_card_is_deterministic_for_equal_facts() -> None:
    facts = _facts()
    reordered = _facts(
        config={
            "release": facts.config["release"],
            "verify": {"min_score": 0.7},
            "cues": facts.config["cues"],
        },
        videos=list(reversed(facts.videos)),
        quality=dict(reversed(list(facts.quality.items()))),
    )
    assert render_card(facts) == render_card(facts) == render_card(reordered)


@pytest.mark.parametrize(
    "overrides",
    [
        {"config": {"synthesis": {"model": "/home/alice/models/qwen.gguf"}}},
        {"config": {"llm": {"base_url": "http://127.0.0.1:8080/v1"}}},
        {
            "videos": [
                _video("vid1", "a").__class__(**{**_video("vid1", "a").__dict__, "url": "file:///tmp/x.mp4"})
            ]
        },
        {"models": [{"role": "synthesis", "model": "m", "served_model": "/tmp/m.gguf", "records": 1}]},
        {"left_out": {"missing image /tmp/ophin/f.jpg": 1}},
    ],
)
def test_render_card_refuses_a_local_path_or_private_host(overrides: dict) -> None:
    with pytest.raises(ValueError, match="not public-safe"):
        render_card(_facts(**overrides))


def test_render_card_refuses_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown release formats"):
        render_card(_facts(formats=["llava", "csv"]))


def test_size_category_bounds() -> None:
    assert [size_category(n) for n in (0, 999, 1000, 9999, 10_000, 150_000, 2_000_000)] == [
        "n<1K",
        "n<1K",
        "1K<n<10K",
        "1K<n<10K",
        "10K<n<100K",
        "100K<n<1M",
        "1M<n<10M",
    ]


def test_hub_license_maps_listed_ids_only() -> None:
    assert hub_license("CC-BY-SA-4.0") == "cc-by-sa-4.0" and hub_license("CC0-1.0") == "cc0-1.0"
    assert hub_license(None) == "unknown"
    assert hub_license("PDM") is None and hub_license("CC-BY-SA-2.0") is None


def test_md_escapes_markdown_and_md_url_encodes_breaking_characters() -> None:
    assert md("a|b\nc") == "a\\|b c" and md("\\|") == "\\\\\\|" and md(None) == "unknown"
    assert md_url("https://x.org/a b|c>d") == "<https://x.org/a%20b%7Cc%3Ed>"
    assert md_url("sample-corpus:demo/x_y.mp4") == "sample-corpus:demo/x\\_y.mp4"


def test_render_card_hf_config_loads_parquet_by_split(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import load_dataset

    (tmp_path / "data").mkdir()
    for split, n in (("train", 3), ("test", 2)):
        table = pa.table({"id": [f"{split}-{i}" for i in range(n)], "kind": ["vqa"] * n})
        pq.write_table(table, tmp_path / "data" / f"{split}-00000-of-00001.parquet")
    (tmp_path / "llava").mkdir()  # other formats sit beside the shards; the configs ignore them
    (tmp_path / "llava" / "train.json").write_text('[{"id": "x", "conversations": []}]')
    (tmp_path / "README.md").write_text(render_card(_facts()), encoding="utf-8")
    ds = load_dataset(str(tmp_path), cache_dir=str(tmp_path / "cache"))
    assert sorted(ds) == ["test", "train"]
    assert ds["train"].num_rows == 3 and ds["test"]["id"] == ["test-0", "test-1"]


def test_render_card_says_templates_wrote_template_text_and_names_only_present_views() -> None:
    template = [{"role": "synthesis", "model": "offline-cue-template", "prompt_version": None, "records": 9}]
    example = {"id": "i1", "kind": "vqa", "turns": [{"role": "human", "text": "Q?"}], "modality": "oct"}
    card = render_card(
        _facts(models=template, by_modality={"oct": 9}, example=example, by_image={"images/train/f.jpg": 9})
    )
    summary = card.split("## How to load")[0]
    assert "templates (offline generator `offline-cue-template`" in summary
    assert "language model" not in summary and "slit-lamp" not in summary and "surgical" not in summary
    assert "oct (9)" in summary
    schema = _section(card, "Record schema")
    assert '"kind": "vqa"' in schema and "| modality |" in schema
    assert "arXiv 2605.27916" in _section(card, "Citation")
    limitations = _section(card, "Known limitations")
    assert "Only these modalities occur" in limitations and "(100% of the release)" in limitations
    assert "Template text" in limitations
    model = [{"role": "synthesis", "model": "qwen2.5-vl-7b", "prompt_version": "v3", "records": 9}]
    assert (
        "the language model `qwen2.5-vl-7b`" in render_card(_facts(models=model)).split("## How to load")[0]
    )
