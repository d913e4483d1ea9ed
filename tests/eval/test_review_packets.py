"""eval.review packets and collect: blind packets leave out what is labelled, labels land on their record."""

from __future__ import annotations

import json
from pathlib import Path

from eval.review.packets import collect, split, write_packets


def _task(n: int, answer: str) -> dict:
    return {
        "id": n,
        "data": {
            "instruction_id": f"iid-{n}",
            "batch_id": "b-1",
            "kind": "vqa",
            "modality": "oct",
            "video_url": "local-file:dev_oct_compartments.mp4",
            "video_at_s": 0.0,
            "image": f"images/f{n}.jpg",
            "narration": "heard words",
            "status": "accepted",
            "checks": "grounded: passed",
            "dialogue": [
                {"role": "human", "text": "What does this OCT scan show?"},
                {"role": "gpt", "text": answer},
            ],
        },
    }


def test_split_deals_round_robin_and_doubles_the_overlap() -> None:
    a, b, c = split(7, 3, overlap=2)
    assert (a.tasks, b.tasks, c.tasks) == ([1, 4, 7], [2, 5, 1, 4], [3, 6])


def test_packets_are_blind_and_leave_out_labelled_records(tmp_path: Path) -> None:
    tasks = [_task(n, f"answer {n}") for n in (1, 2, 3)]
    (tmp_path / "tasks.json").write_text(json.dumps(tasks))
    earlier = [dict(_task(9, "answer 2"), annotations=[])]  # another build's id, the same words as task 2
    [packet] = write_packets(tmp_path / "tasks.json", tmp_path / "p", ("dev",), 1, 0, labelled=earlier)
    text = packet.read_text()
    assert "### task 1" in text and "### task 3" in text and "### task 2" not in text
    assert "accepted" not in text and "grounded" not in text  # nothing of the verifier's verdict
    assert "First scan: where is the fluid?" in text  # the script of that moment
    [again] = write_packets(
        tmp_path / "tasks.json", tmp_path / "q", ("dev",), 1, 0, labelled=earlier, again=1
    )
    assert "### task 2" in again.read_text()


def test_collect_adds_labels_to_the_record_an_earlier_export_holds(tmp_path: Path) -> None:
    tasks = [_task(n, f"answer {n}") for n in (1, 2)]
    (tmp_path / "tasks.json").write_text(json.dumps(tasks))
    old = {"id": 1, "completed_by": {"email": "ai-labeller-a"}, "result": [], "was_cancelled": False}
    keep = [dict(_task(9, "answer 2"), annotations=[old])]
    lines = [{"task": 1, "verdict": "bad", "tags": ["misheard_term"], "note": "n1"},
             {"task": 2, "verdict": "good", "tags": [], "correction": None, "note": "n2"}]  # fmt: skip
    (tmp_path / "h.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    export, notes = collect(tmp_path / "tasks.json", [("ai-labeller-h", tmp_path / "h.jsonl")], keep, [])
    by_iid = {t["data"]["instruction_id"]: t for t in export}
    assert set(by_iid) == {"iid-9", "iid-1"}  # task 2 is the kept record: its label joins the old one
    assert [a["completed_by"]["email"] for a in by_iid["iid-9"]["annotations"]] == [
        "ai-labeller-a",
        "ai-labeller-h",
    ]
    assert "batch_id" not in by_iid["iid-1"]["data"]
    assert by_iid["iid-1"]["annotations"][0]["result"][0]["value"]["choices"] == ["bad"]
    assert {(n["instruction_id"], n["note"]) for n in notes} == {("iid-1", "n1"), ("iid-9", "n2")}
    ids = [a["id"] for t in export for a in t["annotations"]]
    assert len(ids) == len(set(ids))
