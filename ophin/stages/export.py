"""Stage 8, export: a release of the accepted, gated instructions in every trainer's format (ophin/release/).

The CLI, `ophin demo` and the DAG's release task all call export_release: plan (near-duplicates out,
splits by group), stream the records into a staging folder, write the card and manifest, publish the folder
to the object store under <release.prefix>/<release_id>/ and, on request, swap it into a local folder.
"""

from __future__ import annotations

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
from ophin.release.build import ReleaseInfo, finish_release, write_records
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
from ophin.services import Services
from ophin.settings import SPLITS

MODEL_SETTINGS = {"model", "temperature", "vision", "seed"}  # of settings.llm, named in a release's config
__all__ = ["CROSS_VIDEO_DUPLICATE", "FORMATS", "ExportError", "ExportResult", "export_release"]


class ExportError(RuntimeError):
    """The release cannot be written whole (its images are missing from the store); nothing was written."""


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


def export_release(
    out_dir: Path | None = None,
    *,
    svc: Services,
    formats: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    cross_video_phash_distance: int | None = None,
) -> ExportResult:
    """formats/kinds: None reads settings.release; cross_video_phash_distance: None reads
    settings.image.cross_video_phash_distance (0 disables)."""
    cfg = svc.settings.release
    formats = list(formats or cfg.formats)
    kinds = list(kinds if kinds is not None else cfg.kinds)
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise ValueError(f"unknown export format(s) {unknown or formats}; choose from {', '.join(FORMATS)}")
    d = cross_video_phash_distance
    if d is None:
        d = svc.settings.image.cross_video_phash_distance
    base = out_dir.parent if out_dir else svc.workdir
    base.mkdir(parents=True, exist_ok=True)
    staging = base / f".{out_dir.name if out_dir else 'release'}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with session_scope(svc.sessions) as session:
            plan = plan_release(session, cfg, kinds=kinds, dedup_distance=d)
            tally = write_records(
                staging,
                _hashed(iter_records(session, plan)),
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
            )
        manifest = finish_release(staging, tally, info)
        release_id = manifest["release_id"]
        published = publish(staging, manifest, svc.store, cfg.prefix)
        if out_dir:
            _swap_into_place(staging, out_dir)
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
    )


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
        "stages": {
            m.STAGE: m.VERSION for m in (transcribe, keyframes, pair, cues, synthesize, verify)
        },
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


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Rename the finished folder into place; an earlier release there is moved aside, then removed."""
    old = out_dir.parent / f".{out_dir.name}.{uuid.uuid4().hex[:8]}.old"
    if out_dir.exists():
        out_dir.rename(old)
    staging.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
