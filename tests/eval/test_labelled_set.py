"""The labelled set of the sample corpus (eval/review): a Label Studio JSON export that `ophin review import`
reads without a problem, of at least 150 records, all from the development sets (never a held-out lecture),
each label with its reviewer's note."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlparse

from eval.corpus import ground_truth
from eval.review.__main__ import LABELS, NOTES, SETS
from ophin.review.label_studio import labelling_config, parse_export
from ophin.review.vocabulary import check_tags, check_verdict


def _export() -> list[dict]:
    return json.loads(LABELS.read_text())


def test_every_annotation_reads_as_a_label() -> None:
    parsed = parse_export(_export(), reviewer=None)
    assert parsed.problems == [] and parsed.skipped == 0
    labelled = {label.instruction_id for _, label in parsed.labels}
    assert len(labelled) >= 150
    for _, label in parsed.labels:
        check_verdict(label.verdict)
        check_tags(label.tags)
        assert label.reviewer.startswith("ai-labeller-")  # the README says who labelled, and how
        assert label.batch_id is None  # labels of no batch: they import into any database the run makes
    # Some items were labelled twice, by different reviewers, so agreement (kappa) can be measured.
    per_item = Counter(label.instruction_id for _, label in parsed.labels)
    assert sum(1 for n in per_item.values() if n > 1) >= 10


def test_every_task_passes_the_sdks_labelling_config() -> None:
    from label_studio_sdk.label_interface import LabelInterface

    interface = LabelInterface(labelling_config())
    for task in _export():
        assert interface.validate_task({"data": task["data"]}), task["id"]


def test_the_records_come_from_the_development_sets_only() -> None:
    truths = [ground_truth(s) for s in SETS]
    files = {v["file"] for truth in truths for v in [*truth["videos"], *truth.get("footage", [])]}
    used = {Path(unquote(urlparse(t["data"]["video_url"]).path)).name for t in _export()}
    assert used <= files, used - files


def test_each_label_has_its_reviewers_note() -> None:
    notes = {
        (n["instruction_id"], n["reviewer"]): n["note"]
        for n in map(json.loads, Path(NOTES).read_text().splitlines())
    }
    for _, label in parse_export(_export(), reviewer=None).labels:
        assert notes[(label.instruction_id, label.reviewer)].strip()
