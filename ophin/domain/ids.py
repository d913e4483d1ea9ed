"""Deterministic ids: uuid5 over a natural key and a params hash, so re-runs hit the same rows."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, is_dataclass
from typing import Any

# Fixed for the life of the project: changing it re-keys every row.
NAMESPACE = uuid.UUID("6f1d3b2e-9a57-5c1e-8f0a-0b5e11a0e500")


def params_hash(params: Any) -> str:
    """A short stable hash of a params dataclass or mapping (sorted JSON)."""
    if is_dataclass(params) and not isinstance(params, type):
        params = asdict(params)
    blob = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def make_id(kind: str, *parts: object) -> uuid.UUID:
    key = "|".join([kind, *(str(p) for p in parts)])
    return uuid.uuid5(NAMESPACE, key)


def video_id(sha256: str) -> uuid.UUID:
    """Content identity: the same bytes under any number of URLs are one video."""
    return make_id("video", "sha256", sha256)


def alias_id(canonical_url: str) -> uuid.UUID:
    return make_id("video_alias", canonical_url)


def subtitle_id(video: uuid.UUID, language: str, kind: str) -> uuid.UUID:
    return make_id("subtitle_track", str(video), language, kind)


def source_id(kind: str, target: str) -> uuid.UUID:
    return make_id("source", kind, target)


def candidate_id(key: str) -> uuid.UUID:
    return make_id("crawl_candidate", key)


def sighting_id(crawl_run: uuid.UUID, candidate: uuid.UUID, source: uuid.UUID | None) -> uuid.UUID:
    return make_id("crawl_sighting", str(crawl_run), str(candidate), str(source))


def clip_id(video: uuid.UUID, start_ms: int, end_ms: int, phash: str) -> uuid.UUID:
    return make_id("clip", video, start_ms, end_ms, phash)


def frame_id(video: uuid.UUID, t_ms: int, phash: str) -> uuid.UUID:
    return make_id("frame", video, t_ms, phash)


def segment_id(video: uuid.UUID, index: int, phash: str) -> uuid.UUID:
    return make_id("segment", video, index, phash)


def pair_id(frame: uuid.UUID, start_ms: int, end_ms: int) -> uuid.UUID:
    return make_id("pair", frame, start_ms, end_ms)


def cue_id(pair: uuid.UUID, sentence_index: int, phash: str) -> uuid.UUID:
    return make_id("cue", pair, sentence_index, phash)


def instruction_id(pair: uuid.UUID, kind: str, phash: str) -> uuid.UUID:
    return make_id("instruction", pair, kind, phash)


def verification_id(instruction: uuid.UUID, check: str) -> uuid.UUID:
    return make_id("verification", instruction, check)


def stage_run_id(stage: str, entity_key: str, phash: str, attempt: int) -> uuid.UUID:
    return make_id("stage_run", stage, entity_key, phash, attempt)


def sha256_file(path: str, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
