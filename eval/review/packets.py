"""Blind labelling packets for the sample corpus's review batch, and their labels back into one Label Studio
JSON export.

A packet shows a reviewer each record's image, turns, the engine's transcript of that moment and what the
lecturer really said there (the corpus's script), and nothing of the verifier's verdict or checks. A reviewer
answers with one JSON line per record: ``{"task": N, "verdict": "good|usable|bad", "tags": [...],
"correction": null, "note": "one line"}``. ``collect`` writes those lines into Label Studio's export format
(``completed_by`` = the reviewer, no batch id), the file `ophin review import` and `python -m eval.review
measure` read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from eval.corpus import ground_truth

SCRIPT_WINDOW_S = 12.0  # the script shown for a record: what was said from its start to this much later


def _file(url: str) -> str:
    return Path(unquote(urlparse(url).path)).name


def record_key(video_url: str, kind: str, turns: list[dict]) -> tuple:
    """What a record says: its video (by file name: the corpus may live anywhere), kind and turns."""
    return (_file(video_url), kind, tuple((t["role"], t["text"]) for t in turns))


def task_key(task: dict) -> tuple:
    d = task["data"]
    return record_key(d["video_url"], d["kind"], d["dialogue"])


def _scripts(sets: Iterable[str]) -> dict[str, list[dict]]:
    """Each corpus file's scripted sentences, timed."""
    out: dict[str, list[dict]] = {}
    for set_name in sets:
        truth = ground_truth(set_name)
        for video in truth["videos"]:
            out[video["file"]] = [s for scene in video["scenes"] for s in scene["sentences"]]
        for footage in truth.get("footage", []):
            out[footage["file"]] = [s for span in footage["spans"] for s in span["sentences"]]
    return out


def _said(sentences: list[dict], start_s: float) -> str:
    near = [
        s["text"] for s in sentences if s["end_s"] > start_s - 1 and s["start_s"] < start_s + SCRIPT_WINDOW_S
    ]
    return " ".join(near) or "(nothing scripted here)"


def _card(number: int, task: dict, images: Path, script: list[dict]) -> str:
    d = task["data"]
    at = float(d["video_at_s"] or 0)
    turns = "\n".join(f"  {t['role']}: {t['text']}" for t in d["dialogue"])
    return (
        f"### task {number}\n"
        f"image: {images / Path(d['image']).name}\n"
        f"kind: {d['kind']} · modality the record claims: {d.get('modality') or 'unknown'} · "
        f"video: {_file(d['video_url'])} at {at:.1f} s\n"
        f"engine's transcript of the moment: {d.get('narration') or '(none)'}\n"
        f"what the lecturer said (script, from this moment on): {_said(script, at)}\n"
        f"record:\n{turns}\n"
    )


@dataclass(frozen=True)
class Packet:
    name: str
    tasks: list[int]  # 1-based task numbers in tasks.json


def split(n_tasks: int, n_packets: int, overlap: int) -> list[Packet]:
    """Tasks dealt round-robin into packets; the first `overlap` tasks of packet 0 also go to packet 1, so two
    reviewers label them independently (Cohen's kappa)."""
    packets = [
        Packet(chr(ord("a") + i), list(range(i + 1, n_tasks + 1, n_packets))) for i in range(n_packets)
    ]
    if n_packets > 1:
        packets[1].tasks.extend(packets[0].tasks[:overlap])
    return packets


def write_packets(
    tasks_json: Path,
    out: Path,
    sets: Iterable[str],
    n_packets: int,
    overlap: int,
    labelled: Sequence[dict] = (),
    again: int = 0,
) -> list[Path]:
    """Packets of the tasks no earlier label judges (`labelled`: an earlier export, matched by what the
    records say) and of `again` already-labelled ones, labelled blind once more for agreement."""
    tasks = json.loads(tasks_json.read_text())
    known = {task_key(t) for t in labelled}
    fresh = [n for n, t in enumerate(tasks, start=1) if task_key(t) not in known]
    repeat = [n for n, t in enumerate(tasks, start=1) if task_key(t) in known][:again]
    chosen = sorted(fresh + repeat)
    scripts = _scripts(sets)
    images = (tasks_json.parent / "images").resolve()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for dealt in split(len(chosen), n_packets, overlap):
        packet = Packet(dealt.name, [chosen[i - 1] for i in dealt.tasks])
        cards = [
            _card(n, tasks[n - 1], images, scripts.get(_file(tasks[n - 1]["data"]["video_url"]), []))
            for n in packet.tasks
        ]
        path = out / f"packet_{packet.name}.md"
        path.write_text(f"# packet {packet.name}: {len(cards)} record(s)\n\n" + "\n".join(cards))
        written.append(path)
    return written


def _annotation(label: dict, reviewer: str, number: int) -> dict:
    result = [{"from_name": "verdict", "to_name": "image", "type": "choices",
               "value": {"choices": [label["verdict"]]}}]  # fmt: skip
    if label.get("tags"):
        result.append({"from_name": "tags", "to_name": "image", "type": "choices",
                       "value": {"choices": list(label["tags"])}})  # fmt: skip
    if label.get("correction"):
        result.append({"from_name": "correction", "to_name": "image", "type": "textarea",
                       "value": {"text": [label["correction"]]}})  # fmt: skip
    return {"id": number, "completed_by": {"email": reviewer}, "result": result, "was_cancelled": False}


def collect(
    tasks_json: Path,
    label_files: Iterable[tuple[str, Path]],
    keep: Sequence[dict] = (),
    kept_notes: Sequence[dict] = (),
) -> tuple[list[dict], list[dict]]:
    """(Label Studio export of the labelled tasks, notes): `label_files` are (reviewer, JSON Lines file) of
    tasks in tasks_json; `keep` an earlier export (and its notes) carried over, a record it already holds
    (same video, kind and turns) taking the new labels beside its old ones."""
    tasks = json.loads(tasks_json.read_text())
    export = [dict(t, annotations=list(t["annotations"])) for t in keep]
    by_key = {task_key(t): t for t in export}
    notes = list(kept_notes)
    next_id = 1 + max((a["id"] for t in export for a in t["annotations"]), default=0)
    next_task = 1 + max((t["id"] for t in export), default=0)
    for reviewer, path in label_files:
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            label = json.loads(line)
            task = tasks[int(label["task"]) - 1]
            entry = by_key.get(task_key(task))
            if entry is None:
                data = {k: v for k, v in task["data"].items() if k != "batch_id"}
                entry = by_key[task_key(task)] = {"id": next_task, "data": data, "annotations": []}
                export.append(entry)
                next_task += 1
            entry["annotations"].append(_annotation(label, reviewer, next_id))
            next_id += 1
            iid = entry["data"]["instruction_id"]
            notes.append({"instruction_id": iid, "reviewer": reviewer, "note": label.get("note", "")})
    return export, notes
