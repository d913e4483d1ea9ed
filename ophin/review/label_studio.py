"""Label Studio interchange: a batch as Label Studio tasks with a labelling config, and Label Studio's JSON
annotation export read back as review labels (source label-studio).

The formats follow the label-studio-sdk's own parser (tests check them with `LabelInterface` and the SDK's
export `Converter`); the engine itself does not import the SDK.
"""

from __future__ import annotations

import html
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from sqlalchemy.orm import Session

from ophin.adapters.object_store import ObjectCorrupt, ObjectMissing, ObjectStore, get_verified_bytes
from ophin.review.labels import Label, checked, record_labels
from ophin.review.records import ReviewRecord, batch_records
from ophin.review.vocabulary import TAG_HINTS, TAGS, VERDICTS, LabelError

TASKS_FILE = "tasks.json"
CONFIG_FILE = "config.xml"
IMAGES_DIR = "images"
# Label Studio serves files under LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT at this path (with
# LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true and a Local Files storage on the images folder).
DEFAULT_IMAGE_URL_PREFIX = "/data/local-files/?d=images/"


def labelling_config() -> str:
    """The labelling interface: the image, the turns, the narration, the video link and the checks; a verdict
    (required, one of three), reason tags (any of the fixed set), a corrected answer."""
    verdicts = "".join(f'<Choice value="{v}"/>' for v in VERDICTS)
    tags = "\n    ".join(f"<Choice value={quoteattr(t)} hint={quoteattr(TAG_HINTS[t])}/>" for t in TAGS)
    return f"""<View>
  <Header value="$title"/>
  <Image name="image" value="$image" maxWidth="720px"/>
  <Paragraphs name="dialogue" value="$dialogue" layout="dialogue" nameKey="role" textKey="text"/>
  <Header value="Narration it came from" size="5"/>
  <Text name="narration" value="$narration"/>
  <HyperText name="video" value="$video" inline="true"/>
  <Header value="Verification checks" size="5"/>
  <Text name="checks" value="$checks"/>
  <Header value="Verdict" size="4"/>
  <Choices name="verdict" toName="image" choice="single" required="true" showInLine="true">
    {verdicts}
  </Choices>
  <Header value="Reasons" size="5"/>
  <Choices name="tags" toName="image" choice="multiple" showInLine="true">
    {tags}
  </Choices>
  <TextArea name="correction" toName="dialogue" placeholder="A corrected answer (optional)"
            maxSubmissions="1" editable="true" rows="3"/>
</View>
"""


def _video_html(record: ReviewRecord) -> str:
    at = f"{int(record.start_s // 60)}:{record.start_s % 60:04.1f}"
    name = html.escape(record.video_title or record.video_url)
    if record.video_href:
        return f'<a href="{html.escape(record.video_href)}" target="_blank">{name}</a> at {at}'
    return f"{name} (a local file) at {at}"


def _checks_text(record: ReviewRecord) -> str:
    lines = []
    for c in record.checks:
        score = f" ({c.score:.3g})" if c.score is not None else ""
        lines.append(f"{c.check}: {'passed' if c.passed else 'refused'}{score}: {c.detail}")
    return "\n".join(lines) or "no checks recorded"


def task_of(record: ReviewRecord, batch_id: uuid.UUID, image_url_prefix: str) -> dict[str, Any]:
    """One Label Studio task (its `data`); instruction_id and batch_id come back in the annotation export."""
    image_path = f"{IMAGES_DIR}/{record.frame_id}.jpg"
    return {
        "data": {
            "title": f"{record.kind} · {record.modality or 'unknown modality'} · verifier: {record.status}",
            "image": f"{image_url_prefix}{record.frame_id}.jpg",
            "image_path": image_path,
            "dialogue": record.turns,
            "narration": record.narration,
            "video": _video_html(record),
            "video_url": record.video_href or record.video_url,
            "video_at_s": record.start_s,
            "checks": _checks_text(record),
            "instruction_id": str(record.instruction_id),
            "batch_id": str(batch_id),
            "position": record.position,
            "stratum": record.stratum,
            "kind": record.kind,
            "modality": record.modality,
            "status": record.status,
            "generator": record.generator,
        }
    }


@dataclass
class ExportResult:
    tasks: Path
    config: Path
    n_tasks: int
    images: int
    missing_images: list[str] = field(default_factory=list)  # object keys the store did not return


def export_tasks(
    records: Sequence[ReviewRecord],
    batch_id: uuid.UUID,
    out: Path,
    *,
    image_bytes: Callable[[ReviewRecord], bytes | None],
    image_url_prefix: str = DEFAULT_IMAGE_URL_PREFIX,
) -> ExportResult:
    """Write DIR/tasks.json, DIR/config.xml and DIR/images/<frame>.jpg (one per distinct frame).

    `image_bytes` returns a frame's verified image, or None when the store does not hold it: that task is
    still written (its image will not show) and the key is listed in the result.
    """
    (out / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
    written: set[uuid.UUID] = set()
    missing: list[str] = []
    for record in records:
        if record.frame_id in written:
            continue
        data = image_bytes(record)
        if data is None:
            missing.append(record.image_key)
            continue
        (out / IMAGES_DIR / f"{record.frame_id}.jpg").write_bytes(data)
        written.add(record.frame_id)
    tasks = [task_of(r, batch_id, image_url_prefix) for r in records]
    tasks_path = out / TASKS_FILE
    tasks_path.write_text(json.dumps(tasks, indent=2, ensure_ascii=False) + "\n")
    config_path = out / CONFIG_FILE
    config_path.write_text(labelling_config())
    return ExportResult(tasks_path, config_path, len(tasks), len(written), sorted(set(missing)))


class ExportFormatError(ValueError):
    """A file that is not a Label Studio JSON annotation export."""


@dataclass
class ParsedExport:
    labels: list[tuple[str, Label]] = field(default_factory=list)  # (where in the file, the label)
    problems: list[str] = field(default_factory=list)  # one line per annotation that gives no label
    skipped: int = 0  # annotations the annotator skipped (was_cancelled)


def _annotator(completed_by: Any) -> str | None:
    if isinstance(completed_by, dict):
        email = completed_by.get("email")
        return str(email) if email else _annotator(completed_by.get("id"))
    if isinstance(completed_by, int | str) and str(completed_by).strip():
        return f"label-studio:user-{completed_by}"
    return None


def _choices(result: list[dict[str, Any]], name: str) -> list[str]:
    picked = [r.get("value") or {} for r in result if r.get("from_name") == name]
    return [c for value in picked for c in value.get("choices", [])]


def _correction(result: list[dict[str, Any]]) -> str | None:
    picked = [r.get("value") or {} for r in result if r.get("from_name") == "correction"]
    texts = [t for value in picked for t in value.get("text", [])]
    return "\n".join(texts) if texts else None


def parse_export(payload: Any, *, reviewer: str | None) -> ParsedExport:
    """Labels from Label Studio's JSON export (a list of tasks, or one task). `reviewer` names every label;
    None takes each annotation's own annotator (its email, else its user id). Cancelled annotations are
    skipped, as Label Studio's own converter skips them; when one reviewer annotated a task twice, the
    newest annotation counts. Problems (no instruction id, no verdict) are listed, not raised."""
    tasks = [payload] if isinstance(payload, dict) else payload
    if not isinstance(tasks, list) or not all(isinstance(t, dict) for t in tasks):
        raise ExportFormatError("not a Label Studio JSON export: expected a list of tasks")
    if tasks and all("annotations" not in t and "completions" not in t for t in tasks):
        if any("verdict" in t for t in tasks):
            raise ExportFormatError("this is Label Studio's JSON-MIN export: export the project as JSON")
        raise ExportFormatError("not a Label Studio JSON export: no task has annotations")
    parsed = ParsedExport()
    for i, task in enumerate(tasks):
        data = task.get("data") or {}
        annotations = task.get("annotations", task.get("completions")) or []
        for j, annotation in enumerate(sorted(annotations, key=lambda a: str(a.get("created_at") or ""))):
            where = f"task {task.get('id', i)} annotation {annotation.get('id', j)}"
            if annotation.get("was_cancelled") or annotation.get("skipped"):
                parsed.skipped += 1
                continue
            result = annotation.get("result") or []
            verdicts = _choices(result, "verdict")
            who = reviewer or _annotator(annotation.get("completed_by"))
            if not data.get("instruction_id"):
                parsed.problems.append(f"{where}: the task has no instruction_id (not exported by ophin)")
            elif not verdicts:
                parsed.problems.append(f"{where}: no verdict chosen")
            elif who is None:
                parsed.problems.append(f"{where}: the annotation names no annotator (completed_by)")
            else:
                label = Label(
                    instruction_id=str(data["instruction_id"]),
                    verdict=verdicts[0],
                    reviewer=who,
                    source="label-studio",
                    tags=tuple(_choices(result, "tags")),
                    correction=_correction(result),
                    batch_id=data.get("batch_id"),
                )
                parsed.labels.append((where, label))
    return parsed


@dataclass
class ImportResult:
    recorded: int
    problems: list[str]
    skipped: int


def import_labels(session: Session, payload: Any, *, reviewer: str | None) -> ImportResult:
    """Record every label the export holds; an annotation that cannot be recorded (an unknown instruction,
    verdict or tag) is named in `problems` and the others are recorded all the same."""
    parsed = parse_export(payload, reviewer=reviewer)
    good: list[Label] = []
    problems = list(parsed.problems)
    for where, label in parsed.labels:
        try:
            checked(session, label)
        except LabelError as exc:
            problems.append(f"{where}: {exc}")
        else:
            good.append(label)
    recorded = record_labels(session, good)
    return ImportResult(recorded=len(recorded), problems=problems, skipped=parsed.skipped)


def export_batch(
    session: Session, store: ObjectStore, batch_id: uuid.UUID, out: Path, image_url_prefix: str
) -> ExportResult:
    """A batch's items as Label Studio tasks in `out`, each frame's image fetched and its checksum checked."""

    def image_bytes(record: ReviewRecord) -> bytes | None:
        try:
            return get_verified_bytes(store, record.image_key, record.image_sha256)
        except (ObjectMissing, ObjectCorrupt):  # listed in the result, the task still written
            return None

    records = batch_records(session, batch_id)
    return export_tasks(records, batch_id, out, image_bytes=image_bytes, image_url_prefix=image_url_prefix)
