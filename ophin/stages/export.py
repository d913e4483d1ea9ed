"""Stage 8, export: a release of the accepted, gated instructions in every trainer's format (ophin/release/).

The CLI, `ophin demo` and the DAG's release task all call export_release: plan (near-duplicates out,
splits by group), stream the records into a staging folder, write the card and manifest, publish the folder
to the object store under <release.prefix>/<release_id>/ and, on request, swap it into a local folder.
That folder is replaced only when it is new, empty or an earlier export (its marker names the release whose
manifest is beside it, and it holds nothing else): a user's folder or file is never deleted.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ophin import __version__
from ophin.adapters.object_store import ObjectCorrupt
from ophin.db.models import Release
from ophin.db.session import session_scope
from ophin.db.upsert import upsert
from ophin.domain.keys import release_key
from ophin.release.build import MANIFEST, REPORT, ReleaseInfo, finish_release, write_records
from ophin.release.formats import FORMATS
from ophin.release.publish import publish
from ophin.release.query import (
    CROSS_VIDEO_DUPLICATE,
    iter_records,
    model_roles,
    plan_release,
    release_quality,
)
from ophin.release.record import ReleaseRecord
from ophin.release.reviewed import Applied, apply_corrections, check_mode, manifest_block, write_review_file
from ophin.services import Services
from ophin.settings import SPLITS
from ophin.synthesis.base import KINDS

MODEL_SETTINGS = {"model", "temperature", "vision", "seed"}  # of settings.llm, named in a release's config
# In a local copy only (not in the manifest, not published): the id of the release the folder holds.
MARKER = ".ophin-export"
__all__ = ["CROSS_VIDEO_DUPLICATE", "FORMATS", "KINDS", "MARKER"]
__all__ += ["EmptyRelease", "ExportError", "ExportResult", "check_out_dir", "export_release"]


class ExportError(RuntimeError):
    """The release cannot be written whole (images missing from the store, an --out that is not ours to
    replace, nothing to release); nothing was written."""


class EmptyRelease(ExportError):
    """Nothing passed every gate and check: refused unless an empty release is asked for."""


@dataclass(frozen=True)
class ExportResult:
    release_id: str
    location: str  # the store URI of the release's prefix
    out_dir: Path | None  # the local copy, when one was asked for
    records: int
    images: int
    splits: dict[str, dict[str, int]]
    published: bool  # False: the store already held this release (same content, same id)
    # Why records were left out, and how many ("cross-video near-duplicate": the same figure shown in an
    # earlier video of the release).
    left_out: dict[str, int] = field(default_factory=dict)
    review: dict[str, Any] | None = None  # what reviewers said and what the release did (manifest "review")


def export_release(
    out_dir: Path | None = None,
    *,
    svc: Services,
    formats: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    cross_video_phash_distance: int | None = None,
    allow_empty: bool = False,
    reviewed: str | None = None,
) -> ExportResult:
    """formats/kinds: None reads settings.release; cross_video_phash_distance: None reads
    settings.image.cross_video_phash_distance (0 disables); reviewed (off | exclude-bad | corrected, see
    ophin.release.reviewed): None reads settings.release.reviewed. A release with no record is refused
    unless allow_empty."""
    cfg = svc.settings.release
    mode = check_mode(reviewed or cfg.reviewed)
    formats = list(formats or cfg.formats)
    kinds = list(kinds if kinds is not None else cfg.kinds)
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise ValueError(f"unknown export format(s) {unknown or formats}; choose from {', '.join(FORMATS)}")
    if unknown_kinds := sorted(set(kinds) - set(KINDS)):
        raise ValueError(f"unknown instruction kind(s) {unknown_kinds}; choose from {', '.join(KINDS)}")
    d = cross_video_phash_distance
    if d is None:
        d = svc.settings.image.cross_video_phash_distance
    if out_dir is not None:
        out_dir = Path(os.path.abspath(out_dir))  # "." and "a/.." have a name and a parent to stage beside
        check_out_dir(out_dir)  # before any work: a refused folder costs nothing
    staging = _make_staging(out_dir, svc.workdir)
    try:
        with session_scope(svc.sessions) as session:
            plan = plan_release(session, cfg, kinds=kinds, dedup_distance=d, reviewed=mode)
            applied = Applied()
            tally = write_records(
                staging,
                _hashed(apply_corrections(iter_records(session, plan), plan.review, applied)),
                formats=formats,
                fetch_image=lambda key, path: _fetch(svc, key, path),
                shard_records=cfg.shard_records,
            )
            videos = [uuid.UUID(v) for v in tally.videos]
            info = ReleaseInfo(
                name=cfg.name,
                engine_version=__version__,
                formats=formats,
                kinds=kinds,
                config=release_config(svc, d),
                models=model_roles(session, plan),
                quality=release_quality(session, plan, videos)
                # Near 1.0: one chain of look-alike images joined (almost) every video into one split.
                | {"largest_split_group_video_share": round(plan.splits.largest_group_share(), 4)},
                left_out=plan.left_out,
                groups_by_split={s: plan.splits.groups(s) for s in SPLITS},
                review=manifest_block(plan.review, applied)
                if mode != "off" or plan.review.verdicts
                else None,
            )
        if tally.records == 0 and not allow_empty:
            why = ", ".join(f"{n} {reason}" for reason, n in (plan.left_out | dict(tally.left_out)).items())
            raise EmptyRelease(
                "the release would be empty: no accepted instruction of a gated, licensed video"
                + (f" (left out: {why})" if why else "")
                + "; nothing was published (`ophin export --allow-empty` publishes it anyway)"
            )
        _write_report(staging, svc)
        write_review_file(staging, plan.review)  # a data file: the mode is part of the release's id
        manifest = finish_release(staging, tally, info)
        release_id = manifest["release_id"]
        published = publish(staging, manifest, svc.store, cfg.prefix)
        if out_dir:
            _swap_into_place(staging, out_dir, release_id)
    except ObjectCorrupt as exc:  # an image is not the one keyframes stored (write_records hashes each)
        raise ExportError(f"image does not match its recorded sha256: {exc}; {REMAKE}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    location = svc.store.uri(release_key(cfg.prefix, release_id))
    summary = {k: v for k, v in manifest.items() if k != "files"} | {"files": len(manifest["files"])}
    with session_scope(svc.sessions) as session:
        upsert(
            session,
            Release,
            [
                {
                    "id": uuid.UUID(release_id),
                    "format": ",".join(formats),
                    "location": location,
                    "local_path": str(out_dir.resolve()) if out_dir else None,
                    "n_records": manifest["records"],
                    "n_images": manifest["images"],
                    "content_sha256": manifest["content_sha256"],
                    "manifest": summary,
                }
            ],
        )
    return ExportResult(
        release_id,
        location,
        out_dir,
        manifest["records"],
        manifest["images"],
        manifest["splits"],
        published,
        manifest["left_out"],
        manifest.get("review"),
    )


def _write_report(staging: Path, svc: Services) -> None:
    """report.html: the quality report of the database the release came from, hashed into the manifest
    like every file but left out of the release's id (no generation time in it either)."""
    from ophin.reporting.build import build_report, write_report

    with session_scope(svc.sessions) as session:
        write_report(staging / REPORT, build_report(session, svc.settings, store=svc.store))


REMAKE = "re-run `ophin run` or `ophin backfill --stage keyframes` to make it again"


def _fetch(svc: Services, key: str, path: Path) -> None:
    if not svc.store.exists(key):
        raise ExportError(f"image missing from the store: {key}; {REMAKE}")
    svc.store.get_file(key, path)


def _hashed(records: Iterator[ReleaseRecord]) -> Iterator[ReleaseRecord]:
    """Only records whose image has a recorded sha256: one written before hashes were kept is unverifiable."""
    for record in records:
        if record.image_sha256 is None:
            raise ExportError(f"image has no recorded sha256: {record.image_key}; {REMAKE}")
        yield record


def release_config(svc: Services, dedup_distance: int) -> dict[str, Any]:
    """The settings that decided what is in the release (no secrets, no hosts): diffed between releases."""
    s = svc.settings
    from ophin.stages import cues, keyframes, pair, synthesize, transcribe, verify

    return {
        "stages": {m.STAGE: m.VERSION for m in (transcribe, keyframes, pair, cues, synthesize, verify)},
        "pair": s.pair.model_dump(),
        "cues": s.cues.model_dump(),
        "refine": s.refine.model_dump(),
        # The model settings only matter (and are only true) when a model server writes the instructions.
        "synthesis": {"backend": s.llm.backend}
        | (s.llm.model_dump(include=MODEL_SETTINGS) if s.llm.backend == "openai" else {}),
        "verify": s.verify.model_dump(),
        "gates": s.gates.model_dump(),
        "image": s.image.model_dump() | {"cross_video_phash_distance": dedup_distance},
        "license": s.license.model_dump(include={"allowed", "accept_unknown"}),
        "release": s.release.model_dump(include={"splits", "split_phash_distance", "split_seed", "kinds"}),
    }


def check_out_dir(out_dir: Path) -> None:
    """Raise ExportError unless out_dir may be replaced: it does not exist, is an empty folder, or holds an
    earlier export of this engine and nothing else."""
    if out_dir.is_symlink():
        raise ExportError(f"--out {out_dir} is a symbolic link; nothing was replaced: name a folder itself")
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise ExportError(f"--out {out_dir} is a file, not a folder; nothing was replaced")
    try:
        empty = next(out_dir.iterdir(), None) is None
        problem = None if empty else _not_an_export(out_dir)
    except OSError as exc:
        raise ExportError(f"cannot read --out {out_dir}: {exc.strerror}") from None
    if problem:
        raise ExportError(
            f"--out {out_dir} is a non-empty folder that is not an earlier ophin export ({problem}); "
            "nothing was replaced: choose a new or empty folder"
        )


def _not_an_export(folder: Path) -> str | None:
    """Why folder is not an untouched earlier export; None when it is one. The marker must name the release
    whose manifest is beside it, and every file must be one the manifest lists, at its size."""
    marker = folder / MARKER
    if not marker.is_file() or marker.is_symlink():
        return f"no {MARKER} marker"
    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        listed = {rel: int(meta["bytes"]) for rel, meta in manifest["files"].items()}
        release_id = str(manifest["release_id"])
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return f"no readable {MANIFEST}"
    if marker.read_text(encoding="utf-8", errors="replace").strip() != release_id:
        return f"its {MARKER} does not name the release in {MANIFEST}"
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(folder).as_posix()
            if rel in (MARKER, MANIFEST):
                continue
            if rel not in listed or path.is_symlink() or path.stat().st_size != listed[rel]:
                return f"{rel} is not a file of that release"
    return None


def _make_staging(out_dir: Path | None, workdir: Path) -> Path:
    """A fresh folder beside out_dir (so the swap is a rename), or in the work directory."""
    base = out_dir.parent if out_dir else workdir
    staging = base / f".{out_dir.name if out_dir else 'release'}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        base.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
    except OSError as exc:
        if out_dir is None:
            raise  # the work directory: the CLI says "cannot write OPHIN_HOME"
        raise ExportError(f"cannot write --out {out_dir}: {exc.strerror}") from None
    return staging


def _swap_into_place(staging: Path, out_dir: Path, release_id: str) -> None:
    """Rename the finished folder into place; an earlier release there is moved aside, then removed."""
    (staging / MARKER).write_text(release_id + "\n", encoding="utf-8")
    check_out_dir(out_dir)  # again: the folder may have been filled while the release was built
    old = out_dir.parent / f".{out_dir.name}.{uuid.uuid4().hex[:8]}.old"
    try:
        if out_dir.exists():
            out_dir.rename(old)
        staging.rename(out_dir)
    except OSError as exc:
        raise ExportError(f"cannot write --out {out_dir}: {exc.strerror}") from None
    shutil.rmtree(old, ignore_errors=True)
