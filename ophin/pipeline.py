"""The whole engine for a batch of URLs: each video through every stage; one bad video stops nothing else."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from ophin.db.models import Video
from ophin.db.session import session_scope
from ophin.db.stage_runs import fail_abandoned, failed_entities
from ophin.domain.ids import normalize_url, video_id
from ophin.quality.gates import GateResult, run_gate
from ophin.quality.suites import instruction_frame, instruction_suite
from ophin.services import Services
from ophin.settings import Settings
from ophin.stages.acquire import AcquireParams, acquire_video
from ophin.stages.base import StageFailed, StageResult
from ophin.stages.cues import CueParams, separate_visual_cues
from ophin.stages.keyframes import KeyframeParams, extract_keyframes
from ophin.stages.pair import PairParams, pair_frames
from ophin.stages.synthesize import SynthesisParams, synthesize_instructions
from ophin.stages.transcribe import TranscribeParams, transcribe_video
from ophin.stages.verify import VerifyParams, verify_instructions

Progress = Callable[[str, str], None]  # (entity, stage) -> None


@dataclass(frozen=True)
class StageParams:
    """Every stage's params, derived once from Settings (stages never read Settings themselves)."""

    acquire: AcquireParams
    transcribe: TranscribeParams
    keyframes: KeyframeParams
    pair: PairParams
    cues: CueParams
    synthesize: SynthesisParams
    verify: VerifyParams

    @classmethod
    def from_settings(cls, s: Settings, generator: str) -> StageParams:
        k, a = s.keyframes, s.asr
        return cls(
            acquire=AcquireParams(s.acquire.format, s.acquire.max_filesize_mb),
            transcribe=TranscribeParams(
                a.model, a.compute_type, a.language, a.beam_size, a.vad_filter, a.initial_prompt
            ),
            keyframes=KeyframeParams(
                k.scene_threshold, k.min_scene_s, k.phash_max_distance, k.jpeg_quality, k.detect_faces
            ),
            pair=PairParams(),
            cues=CueParams(s.cues.scorer, s.cues.threshold, s.cues.min_cues_per_pair),
            synthesize=SynthesisParams(generator),
            verify=VerifyParams(s.verify.min_answer_chars, s.verify.max_answer_chars, s.verify.min_grounding),
        )


# Per-video stages in order: (name, function, params attribute).
VIDEO_STAGES: tuple[tuple[str, Callable[..., StageResult], str], ...] = (
    ("transcribe", transcribe_video, "transcribe"),
    ("keyframes", extract_keyframes, "keyframes"),
    ("pair", pair_frames, "pair"),
    ("cues", separate_visual_cues, "cues"),
    ("synthesize", synthesize_instructions, "synthesize"),
    ("verify", verify_instructions, "verify"),
)
STAGE_NAMES = ("acquire", *(name for name, _, _ in VIDEO_STAGES))


@dataclass
class BatchReport:
    videos: list[uuid.UUID] = field(default_factory=list)
    failures: list[StageFailed] = field(default_factory=list)
    gate: GateResult | None = None


def params_for(svc: Services) -> StageParams:
    return StageParams.from_settings(svc.settings, f"{svc.generator.name}/{svc.generator.version}")


def process_video(
    vid: uuid.UUID,
    svc: Services,
    params: StageParams,
    *,
    start: str = "transcribe",
    force: bool = False,
    progress: Progress | None = None,
) -> None:
    """Run the per-video stages from `start` on; once one stage does real work, the rest re-run too."""
    names = [name for name, _, _ in VIDEO_STAGES]
    for name, fn, attr in VIDEO_STAGES[names.index(start) :]:
        if progress:
            progress(str(vid), name)
        result = fn(vid, getattr(params, attr), svc=svc, force=force)
        force = force or not result.skipped


def run_urls(
    urls: Iterable[str], svc: Services, *, progress: Progress | None = None, gate: bool = True
) -> BatchReport:
    params = params_for(svc)
    report = BatchReport()
    for url in dict.fromkeys(normalize_url(u) for u in urls):
        try:
            if progress:
                progress(url, "acquire")
            acquired = acquire_video(url, params.acquire, svc=svc)
            vid = uuid.UUID(acquired.output["video_id"])
            report.videos.append(vid)
            process_video(vid, svc, params, force=not acquired.skipped, progress=progress)
        except StageFailed as failure:
            report.failures.append(failure)
    if gate and report.videos:
        report.gate = gate_instructions(report.videos, svc, raise_on_failure=False)
    return report


def gate_instructions(videos: list[uuid.UUID], svc: Services, *, raise_on_failure: bool = True) -> GateResult:
    v = svc.settings.verify
    with session_scope(svc.sessions) as session:
        df = instruction_frame(session, videos)
    batch_key = "videos:" + ",".join(sorted(str(x) for x in videos))
    return run_gate(
        svc.sessions,
        stage="verify",
        suite_name="instructions",
        batch_key=batch_key,
        df=df,
        build=instruction_suite(v.min_accepted_fraction, v.min_answer_chars, v.max_answer_chars),
        raise_on_failure=raise_on_failure,
    )


def backfill(
    stage: str, svc: Services, *, progress: Progress | None = None, abandoned_after_s: float = 6 * 3600
) -> BatchReport:
    """Re-run every entity whose latest attempt at `stage` failed (or was abandoned), from that stage on."""
    if stage not in STAGE_NAMES:
        raise ValueError(f"unknown stage {stage!r}; choose one of {', '.join(STAGE_NAMES)}")
    with session_scope(svc.sessions) as session:
        fail_abandoned(session, stage, abandoned_after_s)
        session.flush()
        failed = [r.entity_key for r in failed_entities(session, stage)]
    if stage == "acquire":
        return run_urls(failed, svc, progress=progress)
    params = params_for(svc)
    report = BatchReport()
    for key in failed:
        vid = uuid.UUID(key)
        try:
            process_video(vid, svc, params, start=stage, force=True, progress=progress)
            report.videos.append(vid)
        except StageFailed as failure:
            report.failures.append(failure)
    return report


def run_video_stage(name: str, vid: uuid.UUID, svc: Services, *, force: bool = False) -> bool:
    """One per-video stage by name (what an Airflow task calls). True when it did work (not skipped)."""
    stages = {n: (fn, attr) for n, fn, attr in VIDEO_STAGES}
    if name not in stages:
        raise ValueError(f"unknown stage {name!r}")
    fn, attr = stages[name]
    return not fn(vid, getattr(params_for(svc), attr), svc=svc, force=force).skipped


def acquired_videos(urls: Iterable[str], svc: Services) -> list[uuid.UUID]:
    """The ids of those URLs that have a video row (failed acquisitions have none)."""
    wanted = [video_id(u) for u in urls]
    with session_scope(svc.sessions) as session:
        return list(session.scalars(select(Video.id).where(Video.id.in_(wanted))))
