"""Stage 8, export: accepted, gated instructions as LLaVA-style JSON plus images, each with its source."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ophin.db.models import Frame, Instruction, Pair, Release, Video
from ophin.db.session import session_scope
from ophin.db.upsert import upsert
from ophin.domain.ids import make_id
from ophin.quality.gates import gated_videos
from ophin.services import Services

FORMATS = ("llava",)
IMAGE_TOKEN = "<image>"


class ExportError(RuntimeError):
    """The release cannot be written whole (its images are missing from the store); nothing was written."""


@dataclass(frozen=True)
class ExportResult:
    release_id: str
    out_dir: Path
    records: int
    images: int
    # Why records were left out, and how many ("cross-video near-duplicate": the same figure shown in an
    # earlier video of the release).
    left_out: dict[str, int] = field(default_factory=dict)


def llava_record(instr: Instruction, pair: Pair, frame: Frame, video: Video) -> dict[str, Any]:
    conversations = []
    for i, turn in enumerate(instr.turns or []):
        value = turn["text"]
        if i == 0:  # LLaVA convention: the image token opens the first human turn
            value = f"{IMAGE_TOKEN}\n{value}"
        conversations.append({"from": "human" if turn["role"] == "human" else "gpt", "value": value})
    return {
        "id": str(instr.id),
        "image": f"images/{frame.id}.jpg",
        "conversations": conversations,
        "kind": instr.kind,
        "source": {
            "video_url": video.url,
            "video_title": video.title,
            "video_channel": video.channel,
            "video_upload_date": video.upload_date,
            "license": video.license,
            "frame_time_s": frame.t_s,
            "transcript_window_s": [pair.start_s, pair.end_s],
            "video_id": str(video.id),
            "frame_id": str(frame.id),
            "pair_id": str(pair.id),
            "instruction_id": str(instr.id),
            "generator": instr.generator,
            "model": instr.model,
            "prompt_version": instr.prompt_version,
            "served_model": (instr.llm or {}).get("served_model"),
        },
    }


CROSS_VIDEO_DUPLICATE = "cross-video near-duplicate"


def export_release(
    out_dir: Path, *, svc: Services, fmt: str = "llava", cross_video_phash_distance: int | None = None
) -> ExportResult:
    """cross_video_phash_distance: leave out frames within it of a frame of an earlier video in the
    release; None reads settings.image.cross_video_phash_distance; 0 disables."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    with session_scope(svc.sessions) as session:
        rows = session.execute(
            select(Instruction, Pair, Frame, Video)
            .join(Pair, Pair.id == Instruction.pair_id)
            .join(Frame, Frame.id == Instruction.frame_id)
            .join(Video, Video.id == Pair.video_id)
            # Only what passed every gate of the batch it was last checked in (video_gate), from videos
            # whose licence the open-access gate accepted.
            .where(Instruction.status == "accepted", Pair.video_id.in_(gated_videos()))
            .where(Video.license_ok.is_(True))
            .order_by(Video.url, Frame.t_s, Instruction.kind)
        ).all()
        d = cross_video_phash_distance
        if d is None:
            d = svc.settings.image.cross_video_phash_distance
        rows, left_out = _without_cross_video_duplicates(list(rows), d)
        records = [llava_record(*row) for row in rows]
        frames = {row.Frame.id: row.Frame.object_key for row in rows}
    missing = [key for key in frames.values() if not svc.store.exists(key)]
    if missing:
        raise ExportError(
            f"{len(missing)} image(s) missing from the store (first: {missing[0]}); "
            "re-run `ophin run` or `ophin backfill --stage keyframes` to make them again"
        )
    # Build beside the target and swap it in whole: a crash never leaves a half-written release.
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.parent / f".{out_dir.name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        (staging / "images").mkdir(parents=True)
        for fid, key in frames.items():
            svc.store.get_file(key, staging / "images" / f"{fid}.jpg")
        payload = json.dumps(records, indent=1, ensure_ascii=False, sort_keys=True)
        manifest = _write_release(staging, payload, fmt, len(records), len(frames), left_out)
        _swap_into_place(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    release_id, digest = uuid.UUID(manifest["release_id"]), manifest["content_sha256"]
    with session_scope(svc.sessions) as session:
        upsert(
            session,
            Release,
            [
                {
                    "id": release_id,
                    "format": fmt,
                    "location": str(out_dir.resolve()),
                    "n_records": len(records),
                    "n_images": len(frames),
                    "content_sha256": digest,
                    "manifest": manifest,
                }
            ],
        )
    return ExportResult(str(release_id), out_dir, len(records), len(frames), left_out)


def _without_cross_video_duplicates(rows: list[Any], max_distance: int) -> tuple[list[Any], dict[str, int]]:
    """Rows (ordered by video, then time) less those whose frame repeats one of an earlier video."""
    from ophin.imaging.phash_index import duplicates_across_groups

    frames = {row.Frame.id: row.Frame for row in rows}
    items = [(f.id, f.video_id, f.phash) for f in frames.values() if f.phash]
    dropped = {fid for fid, _ in duplicates_across_groups(items, max_distance)}
    kept = [row for row in rows if row.Frame.id not in dropped]
    return kept, ({CROSS_VIDEO_DUPLICATE: len(rows) - len(kept)} if dropped else {})


def _write_release(
    folder: Path, payload: str, fmt: str, n_records: int, n_images: int, left_out: dict[str, int]
) -> dict[str, Any]:
    (folder / "llava.json").write_text(payload)
    digest = hashlib.sha256(payload.encode()).hexdigest()
    manifest = {
        "release_id": str(make_id("release", fmt, digest)),
        "format": fmt,
        "records": n_records,
        "images": n_images,
        "content_sha256": digest,
        "files": ["llava.json", "images/"],
    } | ({"left_out": left_out} if left_out else {})
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Rename the finished folder into place; an earlier release there is moved aside, then removed."""
    old = out_dir.parent / f".{out_dir.name}.{uuid.uuid4().hex[:8]}.old"
    if out_dir.exists():
        out_dir.rename(old)
    staging.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
