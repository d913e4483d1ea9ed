"""The Label Studio formats without a database: the config parses in the SDK, exports parse into labels."""

from __future__ import annotations

import uuid

import pytest

from ophin.review.label_studio import ExportFormatError, labelling_config, parse_export, task_of
from ophin.review.records import CheckVerdict, ReviewRecord
from ophin.review.vocabulary import LabelError, check_tags, check_verdict

INSTRUCTION = "6f1d3b2e-9a57-5c1e-8f0a-0b5e11a0e501"


def _record(**overrides) -> ReviewRecord:  # noqa: ANN003
    values = dict(
        position=0,
        stratum="vqa|oct|accepted",
        instruction_id=uuid.UUID(INSTRUCTION),
        kind="vqa",
        status="accepted",
        generator="template",
        turns=[{"role": "human", "text": "What is shown?"}, {"role": "gpt", "text": "Drusen <b>here</b>."}],
        frame_id=uuid.UUID(int=7),
        image_key="frames/7.jpg",
        image_sha256=None,
        modality="oct",
        narration="Here you see drusen.",
        start_s=75.0,
        end_s=80.0,
        video_id=uuid.UUID(int=1),
        video_url="https://example.org/talk.html",
        video_title='A <talk> & "more"',
        video_href="https://example.org/talk.html",
        checks=(CheckVerdict("grounded", False, 0.41, "2 of 5 words unsupported"),),
    )
    return ReviewRecord(**{**values, **overrides})


def test_the_labelling_config_and_a_task_pass_the_sdks_parser() -> None:
    from label_studio_sdk.label_interface import LabelInterface

    interface = LabelInterface(labelling_config())
    interface.validate()
    assert sorted(c.name for c in interface.controls) == ["correction", "tags", "verdict"]
    task = task_of(_record(), uuid.UUID(int=9), "http://127.0.0.1:8081/images/")
    assert interface.validate_task(task)
    assert task["data"]["image"] == f"http://127.0.0.1:8081/images/{uuid.UUID(int=7)}.jpg"
    assert task["data"]["checks"] == "grounded: refused (0.41): 2 of 5 words unsupported"
    # The title is escaped in the HyperText link; the minute and second are shown
    assert (
        "A &lt;talk&gt; &amp; &quot;more&quot;" in task["data"]["video"]
        and "at 1:15.0" in task["data"]["video"]
    )


def test_a_broken_config_is_refused_by_the_sdk() -> None:
    from label_studio_sdk._legacy.exceptions import LabelStudioValidationErrorSentryIgnored
    from label_studio_sdk.label_interface import LabelInterface

    broken = labelling_config().replace('toName="dialogue"', 'toName="nowhere"')
    with pytest.raises(LabelStudioValidationErrorSentryIgnored, match='toName="nowhere" not found'):
        LabelInterface(broken).validate()


def _annotation(*results: dict, **extra) -> dict:  # noqa: ANN003
    return {"id": 1, "completed_by": 3, "result": list(results), **extra}


def _choice(name: str, *values: str) -> dict:
    return {"from_name": name, "to_name": "image", "type": "choices", "value": {"choices": list(values)}}


def test_parse_export_reads_verdict_tags_correction_and_annotator() -> None:
    correction = {
        "from_name": "correction",
        "to_name": "dialogue",
        "type": "textarea",
        "value": {"text": ["Fixed."]},
    }
    task = {
        "id": 5,
        "data": {"instruction_id": INSTRUCTION, "batch_id": None},
        "annotations": [
            _annotation(
                _choice("verdict", "bad"),
                _choice("tags", "phi", "invented"),
                correction,
                completed_by={"id": 3, "email": "ann@example.org"},
            )
        ],
    }
    parsed = parse_export(task, reviewer=None)  # one task, not a list: Label Studio's converter takes both
    ((where, label),) = parsed.labels
    assert where == "task 5 annotation 1" and parsed.problems == []
    assert (label.verdict, label.tags, label.correction, label.reviewer) == (
        "bad",
        ("phi", "invented"),
        "Fixed.",
        "ann@example.org",
    )
    assert parse_export([task], reviewer="lead").labels[0][1].reviewer == "lead"


def test_parse_export_names_each_annotation_it_cannot_use() -> None:
    tasks = [
        {"id": 1, "data": {}, "annotations": [_annotation(_choice("verdict", "good"))]},
        {
            "id": 2,
            "data": {"instruction_id": INSTRUCTION},
            "annotations": [_annotation(_choice("tags", "phi"))],
        },
        {
            "id": 3,
            "data": {"instruction_id": INSTRUCTION},
            "annotations": [_annotation(_choice("verdict", "good"), completed_by=None)],
        },
        {"id": 4, "data": {"instruction_id": INSTRUCTION}, "annotations": [_annotation(was_cancelled=True)]},
        {
            "id": 5,
            "data": {"instruction_id": INSTRUCTION},
            "completions": [_annotation(_choice("verdict", "usable"))],
        },
    ]
    parsed = parse_export(tasks, reviewer=None)
    assert parsed.problems == [
        "task 1 annotation 1: the task has no instruction_id (not exported by ophin)",
        "task 2 annotation 1: no verdict chosen",
        "task 3 annotation 1: the annotation names no annotator (completed_by)",
    ]
    assert parsed.skipped == 1
    assert [(w, x.verdict, x.reviewer) for w, x in parsed.labels] == [
        ("task 5 annotation 1", "usable", "label-studio:user-3")  # the older "completions" key still reads
    ]


def test_parse_export_refuses_other_files() -> None:
    with pytest.raises(ExportFormatError, match="JSON-MIN"):
        parse_export([{"id": 1, "verdict": "bad"}], reviewer=None)
    with pytest.raises(ExportFormatError, match="no task has annotations"):
        parse_export([{"id": 1, "data": {}}], reviewer=None)
    with pytest.raises(ExportFormatError, match="list of tasks"):
        parse_export("tasks", reviewer=None)


def test_vocabulary_checks() -> None:
    assert check_verdict(" Bad ") == "bad"
    assert check_tags(["phi", "invented", "phi", ""]) == ["invented", "phi"]  # the fixed order, once each
    with pytest.raises(LabelError, match="unknown verdict 'fine'"):
        check_verdict("fine")
    with pytest.raises(LabelError, match="unknown tag 'blurry'"):
        check_tags(["phi", "blurry"])
