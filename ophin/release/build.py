"""Write a release folder from a stream of records: images, every format, the index, the card, the manifest.

Nothing here holds the records: each goes to every writer and one index line, then is gone. What is kept
grows with images and videos, not instructions (an image's hash, a video's credit line).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ophin.adapters.object_store import ObjectCorrupt
from ophin.domain.ids import make_id
from ophin.domain.phi import find_phi
from ophin.release.card import CardFacts, VideoCredit, render_card
from ophin.release.formats import WRITERS
from ophin.release.public import check_public
from ophin.release.record import SPLITS, ReleaseRecord

MANIFEST = "manifest.json"
CARD = "README.md"
INDEX = "index.jsonl"
REPORT = "report.html"  # the quality report of the database the release came from (ophin.reporting)
PRIVATE_TEXT = "local path or private host in text"
TITLE_WITHHELD = "video title withheld (a person's name, PHI or an instruction to a model)"

FetchImage = Callable[[str, Path], None]  # (object key, destination) -> the file is there


@dataclass
class Tally:
    """What the stream held, counted on the way: the card's and manifest's numbers."""

    records: int = 0
    images: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    by_split: Counter[str] = field(default_factory=Counter)
    images_by_split: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    by_modality: Counter[str] = field(default_factory=Counter)
    by_license: Counter[str] = field(default_factory=Counter)
    videos: dict[str, dict[str, Any]] = field(default_factory=dict)  # video id -> credit fields and counts
    synthesis: Counter[tuple[str | None, str | None, str | None]] = field(default_factory=Counter)
    left_out: Counter[str] = field(default_factory=Counter)
    by_image: Counter[str] = field(default_factory=Counter)
    example: dict[str, Any] | None = None  # the first record written, for the card

    def count(self, record: ReleaseRecord) -> None:
        s = record.source
        self.records += 1
        self.by_image[record.image_path] += 1
        if self.example is None:
            self.example = {
                "id": record.id,
                "kind": record.kind,
                "split": record.split,
                "image": record.image_path,
                "turns": [{"role": t.role, "text": t.text} for t in record.turns],
                **record.source_dict(),
            }
        self.by_split[record.split] += 1
        self.by_kind[record.kind] += 1
        self.by_modality[s.modality or "unknown"] += 1
        self.by_license[s.license or "unknown"] += 1
        self.synthesis[(s.model or s.generator, s.prompt_version, s.served_model)] += 1
        video = self.videos.setdefault(
            s.video_id,
            {
                "title": s.video_title,
                "creator": s.creator,
                "url": s.video_url,
                "license": s.license,
                "upload_date": s.upload_date,
                "split": record.split,
                "records": 0,
                "images": 0,
            },
        )
        video["records"] += 1


def write_records(
    root: Path,
    records: Iterable[ReleaseRecord],
    *,
    formats: Sequence[str],
    fetch_image: FetchImage,
    shard_records: int,
) -> Tally:
    """Every record to every format writer and the index, each image fetched once into images/<split>/."""
    unknown = sorted(set(formats) - set(WRITERS))
    if unknown or not formats:
        raise ValueError(f"unknown release format(s) {unknown or formats}; choose from {', '.join(WRITERS)}")
    root.mkdir(parents=True, exist_ok=True)
    writers = [WRITERS[f](root, shard_records=shard_records) for f in formats]
    tally = Tally()
    with (root / INDEX).open("w", encoding="utf-8") as index:
        for record in records:
            if _private_text(record):
                tally.left_out[PRIVATE_TEXT] += 1
                continue
            record = _withhold_title(record, tally)
            tally.count(record)
            path = record.image_path
            if path not in tally.images:
                target = root / path
                target.parent.mkdir(parents=True, exist_ok=True)
                fetch_image(record.image_key, target)
                tally.images[path] = got = _sha256(target)  # hashed once: for the index and the check
                if record.image_sha256 is not None and got != record.image_sha256:
                    raise ObjectCorrupt(
                        f"{record.image_key}: sha256 {got} != {record.image_sha256} recorded when written"
                    )
                tally.images_by_split[record.split] += 1
                tally.videos[record.source.video_id]["images"] += 1
            for writer in writers:
                writer.add(record)
            index.write(json.dumps(_index_line(record, tally.images[path]), sort_keys=True) + "\n")
    for writer in writers:
        writer.close()
    return tally


def _private_text(record: ReleaseRecord) -> str | None:
    for turn in record.turns:
        if reason := check_public(turn.text):
            return reason
    for value in record.source_dict().values():
        if isinstance(value, str) and (reason := check_public(value)):
            return reason
    return None


def _withhold_title(record: ReleaseRecord, tally: Tally) -> ReleaseRecord:
    """A title naming a person (or holding other PHI, or words aimed at a model) is published as None in
    every format, the card and the manifest; the channel stays as attribution, the URL still credits."""
    from dataclasses import replace

    from ophin.verification.phrases import INJECTION

    title = record.source.video_title
    if not title:
        return record
    injected = any(kind != "url" and pattern.search(title) for kind, pattern in INJECTION)
    if not (injected or find_phi(title)):
        return record
    if record.source.video_id not in tally.videos:  # counted once per video, not per record
        tally.left_out[TITLE_WITHHELD] += 1
    return replace(record, source=replace(record.source, video_title=None))


def _index_line(record: ReleaseRecord, image_sha256: str) -> dict[str, Any]:
    s = record.source
    text = json.dumps([[t.role, t.text] for t in record.turns], ensure_ascii=False)
    return {
        "id": record.id,
        "split": record.split,
        "kind": record.kind,
        "video_id": s.video_id,
        "pair_id": s.pair_id,
        "frame_id": s.frame_id,
        "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "image_sha256": image_sha256,
        "generator": s.generator,
        "model": s.model,
        "prompt_version": s.prompt_version,
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def hash_files(root: Path, known: dict[str, str]) -> dict[str, dict[str, Any]]:
    """relative path -> {sha256, bytes} for every file under root but the manifest (known hashes reused)."""
    files: dict[str, dict[str, Any]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if rel == MANIFEST:
                continue
            files[rel] = {"sha256": known.get(rel) or _sha256(path), "bytes": path.stat().st_size}
    return files


def content_digest(files: dict[str, dict[str, Any]]) -> str:
    """The release's identity: every data file's path and hash (the card, report and manifest describe it,
    so are left out: the same records, images and index are the same release)."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        if rel not in (CARD, MANIFEST, REPORT):
            digest.update(f"{rel}\x00{files[rel]['sha256']}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class ReleaseInfo:
    """Besides the records: name, config, models, quality figures and why rows were left out."""

    name: str
    engine_version: str
    formats: list[str]
    kinds: list[str]
    config: dict[str, Any]
    models: list[dict[str, Any]]  # cue and verification roles (synthesis comes from the records)
    quality: dict[str, Any]
    left_out: dict[str, int]
    groups_by_split: dict[str, int]
    # What people's review labels said of the candidate records and what the release did with them
    # (ophin.release.reviewed.manifest_block); None: not asked for.
    review: dict[str, Any] | None = None


def finish_release(root: Path, tally: Tally, info: ReleaseInfo) -> dict[str, Any]:
    """Card, then manifest (hashing every file), in root; returns the manifest."""
    files = hash_files(root, tally.images)
    digest = content_digest(files)
    release_id = str(make_id("release", digest))
    left_out = dict(Counter(info.left_out) + tally.left_out)
    splits = {
        s: {
            "records": tally.by_split[s],
            "images": tally.images_by_split[s],
            "videos": sum(1 for v in tally.videos.values() if v["split"] == s),
            "groups": info.groups_by_split.get(s, 0),
        }
        for s in SPLITS
        if tally.by_split[s]
    }
    synthesis = [
        {"role": "synthesis", "model": model, "prompt_version": pv, "served_model": served, "records": n}
        for (model, pv, served), n in sorted(tally.synthesis.items(), key=lambda kv: str(kv[0]))
    ]
    videos = [
        VideoCredit(
            video_id=vid,
            title=v["title"],
            creator=v["creator"],
            url=v["url"],
            license=v["license"],
            upload_date=v["upload_date"],
            split=v["split"],
            records=v["records"],
            images=v["images"],
        )
        for vid, v in sorted(tally.videos.items(), key=lambda kv: (kv[1]["url"], kv[0]))
    ]
    facts = CardFacts(
        release_id=release_id,
        name=info.name,
        engine_version=info.engine_version,
        formats=list(info.formats),
        kinds=sorted(tally.by_kind) if not info.kinds else list(info.kinds),
        splits=splits,
        by_kind=dict(sorted(tally.by_kind.items())),
        by_modality=dict(sorted(tally.by_modality.items())),
        by_license=dict(sorted(tally.by_license.items())),
        videos=videos,
        config=info.config,
        models=synthesis + info.models,
        quality=info.quality,
        left_out=left_out,
        example=tally.example,
        by_image=dict(sorted(tally.by_image.items())),
        review=info.review,
    )
    (root / CARD).write_text(render_card(facts), encoding="utf-8")
    files[CARD] = {"sha256": _sha256(root / CARD), "bytes": (root / CARD).stat().st_size}
    manifest = {
        "release_id": release_id,
        "name": info.name,
        "engine_version": info.engine_version,
        "formats": list(info.formats),
        "kinds": facts.kinds,
        "records": tally.records,
        "images": len(tally.images),
        "splits": splits,
        "config": info.config,
        "models": facts.models,
        "quality": info.quality,
        "videos": {v.video_id: {"title": v.title, "url": v.url, "license": v.license} for v in videos},
        "left_out": left_out,
        **({"review": info.review} if info.review is not None else {}),
        "content_sha256": digest,
        "files": files,
    }
    # json.dump writes as it encodes; json.dumps(indent=...) built the whole text from small pieces first
    # (118 MB for 141K files, bench/release.py).
    with (root / MANIFEST).open("w", encoding="utf-8") as fh:
        json.dump(manifest, fh, sort_keys=True, ensure_ascii=False)
    return manifest
