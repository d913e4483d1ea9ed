"""`ophin release diff`: what two releases' records, videos and settings differ in, and why.

Both releases are held in memory as ReleaseSnapshot (ophin.release.snapshot): O(records), one compact
tuple per record. The diff itself adds only the records that differ.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ophin.release.card import flatten
from ophin.release.markdown import one_line
from ophin.release.snapshot import RecordKey, ReleaseSnapshot, load_release, unpack_id

__all__ = ["ReleaseDiff", "ReleaseSnapshot", "diff_releases", "explain_removed", "load_release"]

NEW_VIDEO = "new video"
VIDEO_GONE = "video left the release"
REFILTERED = "re-verification or threshold"
VIDEO_FIELDS = ("title", "url", "license")


@dataclass(frozen=True)
class ConfigChange:
    key: str  # "verify.min_score"
    old: Any
    new: Any
    change: str  # added | removed | changed

    def describe(self) -> str:
        old = "(absent)" if self.change == "added" else json.dumps(self.old, ensure_ascii=False)
        new = "(absent)" if self.change == "removed" else json.dumps(self.new, ensure_ascii=False)
        return f"{self.key}: {old} -> {new}"


@dataclass(frozen=True)
class VideoChange:
    video_id: str
    change: str  # added | removed | changed
    title: str | None
    url: str | None
    license: str | None
    fields: dict[str, list[Any]] = field(default_factory=dict)  # changed: name -> [old, new]


@dataclass(frozen=True)
class RecordChange:
    """An added or removed record; status and reject_reasons come from explain_removed."""

    id: str
    kind: str
    split: str
    video_id: str
    pair_id: str
    reason: str
    status: str | None = None
    reject_reasons: list[Any] | None = None


@dataclass(frozen=True)
class ChangedRecord:
    """The same instruction in both releases: one id, or a new id for the same (pair, kind)."""

    old_id: str
    new_id: str
    kind: str
    video_id: str
    pair_id: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ReleaseDiff:
    old: dict[str, Any]  # release_id, engine_version, records
    new: dict[str, Any]
    added: list[RecordChange]
    removed: list[RecordChange]
    changed: list[ChangedRecord]
    unchanged: int
    config_changes: list[ConfigChange]
    video_changes: list[VideoChange]

    def summary(self) -> dict[str, Any]:
        """Counts, and counts by reason (a changed record counts once under each of its reasons)."""
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "unchanged": self.unchanged,
            "by_reason": {
                "added": _counts(r.reason for r in self.added),
                "removed": _counts(r.reason for r in self.removed),
                "changed": _counts(reason for c in self.changed for reason in c.reasons),
            },
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "summary": self.summary(),
            "config_changes": [asdict(c) for c in self.config_changes],
            "video_changes": [asdict(v) for v in self.video_changes],
            "added": [asdict(r) for r in self.added],
            "removed": [asdict(r) for r in self.removed],
            "changed": [{**asdict(c), "reasons": list(c.reasons)} for c in self.changed],
        }

    def to_text(self, limit: int = 20) -> str:
        """A terminal report; at most `limit` records listed per kind of change (to_json lists all)."""
        summary = self.summary()
        lines = [
            f"release {self.old['release_id']} (engine {self.old['engine_version']}, {self.old['records']} "
            f"records) -> {self.new['release_id']} (engine {self.new['engine_version']}, "
            f"{self.new['records']} records)",
            ", ".join(f"{summary[k]} {k}" for k in ("added", "removed", "changed", "unchanged")),
        ]
        if self.config_changes:
            lines += [f"config changes ({len(self.config_changes)}):"]
            lines += [f"  {c.describe()}" for c in self.config_changes]
        if self.video_changes:
            lines += [f"video changes ({len(self.video_changes)}):"]
            lines += [f"  {_video_line(v)}" for v in self.video_changes]
        listed = {
            "added": [f"+ {r.id} {r.kind} {r.split} video {r.video_id}: {r.reason}" for r in self.added],
            "removed": [_removed_line(r) for r in self.removed],
            "changed": [
                f"~ {c.old_id}{'' if c.old_id == c.new_id else ' -> ' + c.new_id} {c.kind}: "
                + "; ".join(c.reasons)
                for c in self.changed
            ],
        }
        for name, rows in listed.items():
            if not rows:
                continue
            lines.append(f"{name} ({len(rows)}):")
            lines += [f"  {n:>6}  {reason}" for reason, n in summary["by_reason"][name].items()]
            lines += [f"  {row}" for row in rows[:limit]]
            if len(rows) > limit:
                lines.append(f"  ... and {len(rows) - limit} more (--json lists all)")
        return "\n".join(lines) + "\n"


def _video_line(v: VideoChange) -> str:
    mark = {"added": "+", "removed": "-", "changed": "~"}[v.change]
    if v.change == "changed":
        what = "; ".join(
            f"{name}: {json.dumps(old, ensure_ascii=False)} -> {json.dumps(new, ensure_ascii=False)}"
            for name, (old, new) in v.fields.items()
        )
        return one_line(f"{mark} {v.video_id} {json.dumps(v.title, ensure_ascii=False)} {what}")
    return one_line(f"{mark} {v.video_id} {json.dumps(v.title, ensure_ascii=False)} ({v.license}) {v.url}")


def _removed_line(r: RecordChange) -> str:
    line = f"- {r.id} {r.kind} {r.split} video {r.video_id}: {r.reason}"
    if r.status is not None:
        line += f" [now {r.status}" + (f": {json.dumps(r.reject_reasons)}" if r.reject_reasons else "") + "]"
    return one_line(line)


def _counts(reasons: Any) -> dict[str, int]:
    return dict(sorted(Counter(reasons).items(), key=lambda kv: (-kv[1], kv[0])))


def diff_releases(old: ReleaseSnapshot, new: ReleaseSnapshot) -> ReleaseDiff:
    config_changes = diff_config(old.config, new.config)
    changed: list[ChangedRecord] = []
    unchanged = 0
    removed_by_slot: dict[tuple[Any, str], list[bytes | str]] = defaultdict(list)
    for rid, before in old.records.items():
        after = new.records.get(rid)
        if after is None:
            removed_by_slot[(before.pair_id, before.kind)].append(rid)
        elif reasons := change_reasons(before, after):
            changed.append(_changed(rid, rid, after, reasons))
        else:
            unchanged += 1
    # A regenerated instruction has a new id: a removed and an added record of one (pair, kind) are one
    # record changed. Both releases are read in index (id) order, so the pairing is deterministic.
    added: list[bytes | str] = []
    for rid, after in new.records.items():
        if rid in old.records:
            continue
        slot = removed_by_slot.get((after.pair_id, after.kind))
        if slot:
            old_id = slot.pop(0)
            reasons = change_reasons(old.records[old_id], after) or ("regenerated (same content)",)
            changed.append(_changed(old_id, rid, after, reasons))
        else:
            added.append(rid)
    removed = sorted((rid for slot in removed_by_slot.values() for rid in slot), key=unpack_id)
    refiltered = refilter_reason(config_changes)
    changed.sort(key=lambda c: (c.new_id, c.old_id))
    return ReleaseDiff(
        old=_header(old),
        new=_header(new),
        added=[_record_change(rid, new.records[rid], NEW_VIDEO, old.videos, refiltered) for rid in added],
        removed=[
            _record_change(rid, old.records[rid], VIDEO_GONE, new.videos, refiltered) for rid in removed
        ],
        changed=changed,
        unchanged=unchanged,
        config_changes=config_changes,
        video_changes=diff_videos(old.videos, new.videos),
    )


def _header(snapshot: ReleaseSnapshot) -> dict[str, Any]:
    return {
        "release_id": snapshot.release_id,
        "engine_version": snapshot.engine_version,
        "records": len(snapshot.records),
        "videos": len(snapshot.videos),
    }


def _changed(
    old_id: bytes | str, new_id: bytes | str, after: RecordKey, reasons: tuple[str, ...]
) -> ChangedRecord:
    return ChangedRecord(
        unpack_id(old_id), unpack_id(new_id), after.kind, after.video_id, unpack_id(after.pair_id), reasons
    )


def _record_change(
    rid: bytes | str, key: RecordKey, video_reason: str, other_videos: dict[str, Any], refiltered: str
) -> RecordChange:
    reason = refiltered if key.video_id in other_videos else video_reason
    return RecordChange(unpack_id(rid), key.kind, key.split, key.video_id, unpack_id(key.pair_id), reason)


def change_reasons(before: RecordKey, after: RecordKey) -> tuple[str, ...]:
    """Why one instruction differs between releases; empty when it does not."""
    reasons = []
    old_model, new_model = before.model or before.generator, after.model or after.generator
    if old_model != new_model:
        reasons.append(f"model changed ({old_model} -> {new_model})")
    if before.prompt_version != after.prompt_version:
        reasons.append(f"prompt changed ({before.prompt_version} -> {after.prompt_version})")
    if before.text_sha256 != after.text_sha256 and not reasons:  # a new model or prompt explains new text
        reasons.append("text changed")
    if before.image_sha256 != after.image_sha256:
        reasons.append("image changed")
    if before.split != after.split:
        reasons.append(f"split changed ({before.split} -> {after.split})")
    return tuple(reasons)


def refilter_reason(config_changes: list[ConfigChange]) -> str:
    """Why a record of a video in both releases came or went: the gates ran again, under these settings."""
    if not config_changes:
        return REFILTERED
    numeric = [c.key for c in config_changes if _is_number(c.old) or _is_number(c.new)]
    other = [c.key for c in config_changes if c.key not in numeric]
    named = ([f"threshold changed: {', '.join(numeric)}"] if numeric else []) + (
        [f"setting changed: {', '.join(other)}"] if other else []
    )
    return f"{REFILTERED} ({'; '.join(named)})"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def diff_config(old: dict[str, Any], new: dict[str, Any]) -> list[ConfigChange]:
    """Every leaf of the nested config that was added, removed or changed, by key."""
    before, after = dict(flatten(old)), dict(flatten(new))
    changes = []
    for key in sorted(before.keys() | after.keys()):
        if key not in after:
            changes.append(ConfigChange(key, before[key], None, "removed"))
        elif key not in before:
            changes.append(ConfigChange(key, None, after[key], "added"))
        elif before[key] != after[key] or type(before[key]) is not type(after[key]):
            changes.append(ConfigChange(key, before[key], after[key], "changed"))
    return changes


def diff_videos(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[VideoChange]:
    changes = []
    for vid in sorted(old.keys() | new.keys()):
        meta = new.get(vid) or old[vid]
        credit = {name: _text(meta.get(name)) for name in VIDEO_FIELDS}
        if vid not in old:
            changes.append(VideoChange(vid, "added", **credit))
        elif vid not in new:
            changes.append(VideoChange(vid, "removed", **credit))
        else:
            fields = {
                name: [old[vid].get(name), new[vid].get(name)]
                for name in VIDEO_FIELDS
                if old[vid].get(name) != new[vid].get(name)
            }
            if fields:
                changes.append(VideoChange(vid, "changed", **credit, fields=fields))
    return changes


def _text(value: Any) -> str | None:
    return None if value is None else one_line(value)


def explain_removed(diff: ReleaseDiff, session: Any) -> ReleaseDiff:
    """The diff with each removed record's current status and reject_reasons from the instruction and
    verdict tables (one query per 1000 ids; ids the table does not hold keep status None)."""
    import uuid

    import sqlalchemy as sa

    from ophin.db.models import Instruction, InstructionVerdict
    from ophin.db.verdicts import INSTRUCTION_STATUS, INSTRUCTION_VERDICT

    ids: dict[uuid.UUID, str] = {}
    for record in diff.removed:
        try:
            ids[uuid.UUID(record.id)] = record.id
        except ValueError:
            continue
    found: dict[str, tuple[str, list[Any] | None]] = {}
    batch = list(ids)
    for start in range(0, len(batch), 1000):
        rows = session.execute(
            sa.select(Instruction.id, INSTRUCTION_STATUS, InstructionVerdict.reject_reasons)
            .outerjoin(InstructionVerdict, INSTRUCTION_VERDICT)
            .where(Instruction.id.in_(batch[start : start + 1000]))
        )
        for iid, status, reasons in rows:
            found[ids[iid]] = (status, reasons)
    removed = [
        replace(r, status=found[r.id][0], reject_reasons=found[r.id][1]) if r.id in found else r
        for r in diff.removed
    ]
    return replace(diff, removed=removed)
