"""The whole engine for a batch of URLs: each video through every stage; one bad video stops nothing else."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from ophin.db.models import StageState, VideoAlias
from ophin.db.session import session_scope
from ophin.db.stage_runs import fail_abandoned, failed_entities, runs_failed_with
from ophin.domain.urls import canonical_url
from ophin.quality.gates import GateResult, run_gate
from ophin.quality.suites import instruction_frame, instruction_suite
from ophin.services import Services
from ophin.settings import Settings
from ophin.stages import cues, keyframes, pair, synthesize, transcribe, verify
from ophin.stages.acquire import AcquireParams, acquire_video, videos_for
from ophin.stages.base import StageFailed, StageResult
from ophin.stages.common import InputMissing
from ophin.stages.cues import CueParams, separate_visual_cues
from ophin.stages.keyframes import KeyframeParams, extract_keyframes
from ophin.stages.pair import PairParams, pair_frames
from ophin.stages.synthesize import SynthesisParams, synthesize_instructions
from ophin.stages.transcribe import TranscribeParams, transcribe_video
from ophin.stages.verify import VerifyParams, verify_instructions

Progress = Callable[[str, str], None]  # (entity, stage) -> None
log = logging.getLogger("ophin.pipeline")


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
    def from_settings(cls, s: Settings, generator: dict[str, object], refiner: str = "none") -> StageParams:
        k, a = s.keyframes, s.asr
        return cls(
            acquire=AcquireParams(s.acquire.format, s.acquire.max_filesize_mb),
            transcribe=TranscribeParams(
                a.model, a.compute_type, a.language, a.beam_size, a.vad_filter, a.initial_prompt
            ),
            keyframes=KeyframeParams(
                scene_threshold=k.scene_threshold,
                min_scene_s=k.min_scene_s,
                phash_max_distance=k.phash_max_distance,
                jpeg_quality=k.jpeg_quality,
                detect_faces=k.detect_faces,
                ocr=k.ocr,
                face_subject_fraction=k.face_subject_fraction,
                clinical_threshold=k.clinical_threshold,
                redact_regions=tuple(k.redact_regions),
            ),
            pair=PairParams(),
            cues=CueParams(s.cues.scorer, s.cues.threshold, s.cues.min_cues_per_pair, refiner),
            synthesize=SynthesisParams(generator),
            verify=VerifyParams(s.verify.min_answer_chars, s.verify.max_answer_chars, s.verify.min_grounding),
        )


# Per-video stages in order: name -> (function, params attribute, the stages it reads from).
VIDEO_STAGES: dict[str, tuple[Callable[..., StageResult], str, tuple[str, ...]]] = {
    "transcribe": (transcribe_video, "transcribe", transcribe.UPSTREAM),
    "keyframes": (extract_keyframes, "keyframes", keyframes.UPSTREAM),
    "pair": (pair_frames, "pair", pair.UPSTREAM),
    "cues": (separate_visual_cues, "cues", cues.UPSTREAM),
    "synthesize": (synthesize_instructions, "synthesize", synthesize.UPSTREAM),
    "verify": (verify_instructions, "verify", verify.UPSTREAM),
}
STAGE_NAMES = ("acquire", *VIDEO_STAGES)


@dataclass
class BatchReport:
    videos: list[uuid.UUID] = field(default_factory=list)
    failures: list[StageFailed] = field(default_factory=list)
    partial: list[StageResult] = field(default_factory=list)  # stages where some items failed
    gate: GateResult | None = None

    @property
    def ok(self) -> bool:
        return not self.failures and not self.partial


def params_for(svc: Services) -> StageParams:
    refiner = f"{svc.refiner.name}/{svc.refiner.version}"
    return StageParams.from_settings(svc.settings, svc.generator.config(), refiner)


def process_video(
    vid: uuid.UUID,
    svc: Services,
    params: StageParams,
    report: BatchReport,
    *,
    progress: Progress | None = None,
) -> None:
    """Every per-video stage whose inputs are usable; a failed stage blocks only the stages that read it."""
    blocked: set[str] = set()
    for name, (fn, attr, upstream) in VIDEO_STAGES.items():
        if blocked.intersection(upstream):
            blocked.add(name)
            continue
        if progress:
            progress(str(vid), name)
        try:
            result = fn(vid, getattr(params, attr), svc=svc)
        except StageFailed as failure:
            report.failures.append(failure)
            blocked.add(name)
            continue
        if result.status == "partial":
            report.partial.append(result)


def run_urls(
    urls: Iterable[str], svc: Services, *, progress: Progress | None = None, gate: bool = True
) -> BatchReport:
    params = params_for(svc)
    report = BatchReport()
    for url in dict.fromkeys(canonical_url(u) for u in urls):
        if progress:
            progress(url, "acquire")
        try:
            acquired = acquire_video(url, params.acquire, svc=svc)
        except StageFailed as failure:
            report.failures.append(failure)
            continue
        vid = uuid.UUID(acquired.output["video_id"])
        if vid in report.videos:
            continue  # another URL of this batch had the same content
        report.videos.append(vid)
        process_video(vid, svc, params, report, progress=progress)
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


def backfill(stage: str, svc: Services, *, progress: Progress | None = None) -> BatchReport:
    """Re-run every entity whose state at `stage` is failed, partial or abandoned, and what reads from it.

    Only the failed items of a partial stage are redone; a stage that failed because its media vanished
    from the store re-acquires the media first.
    """
    if stage not in STAGE_NAMES:
        raise ValueError(f"unknown stage {stage!r}; choose one of {', '.join(STAGE_NAMES)}")
    with session_scope(svc.sessions) as session:
        fail_abandoned(session, stage)
    with session_scope(svc.sessions) as session:
        failed = [(s.entity_key, s.stage_run_id) for s in failed_entities(session, stage)]
        missing_media = runs_failed_with(session, [r for _, r in failed], InputMissing.__name__)
    log.info("backfill %s: %d entities to re-run", stage, len(failed))
    if stage == "acquire":
        return run_urls([key for key, _ in failed], svc, progress=progress)
    params = params_for(svc)
    report = BatchReport()
    for key, run_id in failed:
        vid = uuid.UUID(key)
        if run_id in missing_media and not _reacquire(vid, svc, params, report):
            continue
        report.videos.append(vid)
        process_video(vid, svc, params, report, progress=progress)
    return report


def _reacquire(vid: uuid.UUID, svc: Services, params: StageParams, report: BatchReport) -> bool:
    """Fetch a video's media again from the URL it came from (its object was lost or corrupted)."""
    with session_scope(svc.sessions) as session:
        urls = session.scalars(select(VideoAlias.url).where(VideoAlias.video_id == vid)).all()
    if not urls:
        report.failures.append(
            StageFailed("acquire", str(vid), InputMissing("no URL is known for this video"))
        )
        return False
    try:
        acquire_video(urls[0], params.acquire, svc=svc, force=True)
    except StageFailed as failure:
        report.failures.append(failure)
        return False
    return True


def run_video_stage(name: str, vid: uuid.UUID, svc: Services) -> StageResult:
    """One per-video stage by name (what an Airflow task calls)."""
    if name not in VIDEO_STAGES:
        raise ValueError(f"unknown stage {name!r}")
    fn, attr, _ = VIDEO_STAGES[name]
    return fn(vid, getattr(params_for(svc), attr), svc=svc)


def unfinished(urls: Iterable[str], svc: Services) -> list[str]:
    """One line per URL or video of this batch whose current state at some stage is not succeeded."""
    canonical = list(dict.fromkeys(canonical_url(u) for u in urls))
    with session_scope(svc.sessions) as session:
        states = session.scalars(select(StageState).where(StageState.entity_key.in_(canonical))).all()
        lines = [f"acquire {s.entity_key}: {s.status}" for s in states if s.status != "succeeded"]
        missing = set(canonical) - {s.entity_key for s in states}
        lines += [f"acquire {url}: never ran" for url in sorted(missing)]
        videos = [str(v) for v in dict.fromkeys(videos_for(session, canonical).values())]
        per_video = session.scalars(
            select(StageState).where(StageState.entity_key.in_(videos), StageState.status != "succeeded")
        ).all()
        lines += [f"{s.stage} {s.entity_key}: {s.status}" for s in per_video]
    return lines


def acquired_videos(urls: Iterable[str], svc: Services) -> list[uuid.UUID]:
    """The distinct videos those URLs resolved to (failed acquisitions have none)."""
    with session_scope(svc.sessions) as session:
        return list(dict.fromkeys(videos_for(session, list(urls)).values()))
