"""Releasable rows built with the ORM for the review page and reviewed-release tests (no pipeline, no
Whisper): licensed videos that passed every gate, clips, frames whose JPEGs are in the store (sha256
recorded), pairs, instructions of each kind and their verification rows."""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from ophin.adapters.object_store import ObjectStore
from ophin.db.models import (
    Clip,
    Frame,
    Instruction,
    Pair,
    PairVerdict,
    QualityRun,
    Verification,
    Video,
    VideoGate,
)
from ophin.domain.ids import make_id
from ophin.domain.keys import frame_key
from ophin.quality.gates import GATED_STAGES
from tests.support.verdicts import verdict

VIDEO_URLS = (
    "https://www.youtube.com/watch?v=reviewtest1",
    "https://www.youtube.com/watch?v=reviewtest2",
    "https://www.youtube.com/watch?v=reviewtest3",
)

# A photograph cut out of a 1920x1080 slide: where it sat, in source pixels, and what was cut away.
REFINED_CROP = {"box": [320, 60, 960, 720], "removed": ["pillarbox", "slide-margin"], "reason": "slide"}


@dataclass(frozen=True)
class Item:
    key: str
    kind: str = "vqa"  # vqa | conversation | cot
    modality: str = "colour_fundus"
    status: str = "accepted"
    video: int = 0
    refined: bool = False  # the stored image is a crop of a larger source frame
    checks: dict[str, tuple[bool, float | None]] = field(
        default_factory=lambda: {"grounded": (True, 0.82), "no_phi": (True, None)}
    )


@cache
def _retina() -> Any:
    from PIL import Image
    from skimage import data

    return Image.fromarray(data.retina()).resize((320, 320))


def jpeg(n: int) -> bytes:
    """A 320x240 JPEG that differs per n (a real fundus photograph, turned by n, numbered), as the keyframes
    stage stores."""
    from PIL import ImageDraw

    image = _retina().rotate((n * 37) % 360).crop((0, 40, 320, 280))
    ImageDraw.Draw(image).text((6, 6), f"frame {n}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def turns_of(item: Item) -> list[dict[str, str]]:
    if item.kind == "conversation":
        return [
            {"role": "human", "text": f"What do you see first in image {item.key}?"},
            {"role": "gpt", "text": f"The optic disc of case {item.key}."},
            {"role": "human", "text": "And the macula?"},
            {"role": "gpt", "text": f"Hard exudates near the fovea of case {item.key}."},
        ]
    if item.kind == "cot":
        steps = [
            f"Step 1: The photograph of case {item.key} shows dot haemorrhages.",
            "Step 2: Dot haemorrhages indicate retinal capillary damage.",
            "Conclusion: the findings fit diabetic retinopathy.",
        ]
        return [{"role": "human", "text": "Reason step by step."}, {"role": "gpt", "text": "\n".join(steps)}]
    return [
        {"role": "human", "text": f"What does image {item.key} show?"},
        {"role": "gpt", "text": f"It shows drusen at the macula of case {item.key}."},
    ]


def build_rows(session: Session, items: list[Item], store: ObjectStore) -> dict[str, uuid.UUID]:
    """The rows for the items; key -> instruction id. Each frame's JPEG goes to the store."""
    videos = [make_id("review-test-video", url) for url in VIDEO_URLS]
    for n, (vid, url) in enumerate(zip(videos, VIDEO_URLS, strict=True)):
        session.add(
            Video(
                id=vid,
                url=url,
                title=f"Retina lecture {n + 1}",
                channel="Eye Teaching Channel",
                license="CC-BY-4.0",
                license_ok=True,
                upload_date=f"2024-01-0{n + 1}",
            )
        )
    session.flush()  # the models declare no relationships: parents go in first, table by table
    run = make_id("review-test-quality-run")
    session.add(
        QualityRun(id=run, stage="verify", suite="all", batch_key="t", success=True, statistics={}, result={})
    )
    session.flush()
    for vid in videos:
        session.add(
            Clip(
                id=make_id("review-test-clip", vid),
                video_id=vid,
                index=0,
                start_s=0,
                end_s=900,
                params_hash="t",
            )
        )
        for stage in GATED_STAGES:
            session.add(
                VideoGate(
                    id=make_id("review-test-gate", vid, stage), video_id=vid, stage=stage, quality_run_id=run,
                    success=True,
                )
            )  # fmt: skip
    session.flush()
    ids = {}
    for n, item in enumerate(items):
        vid = videos[item.video]
        frame = make_id("review-test-frame", item.key)
        image = jpeg(n)
        key = frame_key(vid, frame)
        store.put_bytes(key, image, "image/jpeg")
        session.add(
            Frame(
                id=frame,
                video_id=vid,
                clip_id=make_id("review-test-clip", vid),
                t_s=10.0 + 7 * n,
                object_key=key,
                sha256=hashlib.sha256(image).hexdigest(),
                width=320,
                height=240,
                # Far apart (64 random bits each): no two frames are near-duplicates or share a split group.
                phash=hashlib.sha256(item.key.encode()).hexdigest()[:16],
                modality=item.modality,
                crop_box=REFINED_CROP if item.refined else {"box": [0, 0, 320, 240], "removed": []},
                source_width=1920 if item.refined else 320,
                source_height=1080 if item.refined else 240,
                kept=True,
                params_hash="t",
            )
        )
        session.flush()
        pair = make_id("review-test-pair", item.key)
        session.add(
            Pair(
                id=pair,
                video_id=vid,
                frame_id=frame,
                start_s=8.0 + 7 * n,
                end_s=14.5 + 7 * n,
                text=f"Here, in case {item.key}, you can see drusen at the macula and a few exudates.",
                segment_ids=[],
                status="paired",
            )
        )
        session.add(PairVerdict(pair_id=pair, video_id=vid, status="kept", n_cues=1, cue_score=0.9))
        session.flush()
        instruction = make_id("review-test-instruction", item.key)
        session.add(
            Instruction(
                id=instruction,
                pair_id=pair,
                frame_id=frame,
                kind=item.kind,
                turns=turns_of(item),
                generator="template",
                model="template",
                prompt_version="t1",
                status="failed" if item.status == "failed" else "generated",
                params_hash="t",
            )
        )
        session.flush()
        if item.status in ("accepted", "rejected"):
            session.add(verdict(instruction, item.status))
        for check, (passed, score) in item.checks.items():
            session.add(
                Verification(
                    id=make_id("review-test-verification", item.key, check),
                    instruction_id=instruction,
                    check=check,
                    passed=passed,
                    score=score,
                    detail=f"{check} {'held' if passed else 'refused'} for case {item.key}",
                )
            )
        ids[item.key] = instruction
    session.flush()
    return ids
