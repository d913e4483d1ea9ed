"""The adapters a stage may use, built once from Settings; tests swap any of them for fakes."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ophin.acquisition.fetch_policy import FetchPolicy
from ophin.acquisition.http_get import PolicyHttp
from ophin.acquisition.video_source import VideoSource, YtDlpVideoSource
from ophin.acquisition.youtube_api import YouTubeDataApi
from ophin.adapters.asr import Transcriber, build_transcriber
from ophin.adapters.media import FfmpegMedia
from ophin.adapters.object_store import ObjectStore, build_object_store
from ophin.adapters.ocr import Ocr, TesseractOcr
from ophin.cues.base import CueScorer
from ophin.cues.rules import RuleCueScorer
from ophin.db.session import session_factory
from ophin.llm.client import LlmClient, Sampling
from ophin.refine.base import TranscriptRefiner
from ophin.settings import Settings
from ophin.synthesis.base import InstructionGenerator
from ophin.verification.judge import InstructionJudge


def build_llm_client(settings: Settings, sessions: sessionmaker[Session] | None = None) -> LlmClient | None:
    """The one client every model-backed component of a process shares (one in-flight bound, one cache:
    the database's, when sessions are given)."""
    llm = settings.llm
    if llm.backend != "openai":
        return None
    from ophin.llm.cache import DbResponseCache
    from ophin.llm.client import LlmClient
    from ophin.synthesis.openai_chat import build_openai_client

    return LlmClient(
        build_openai_client(llm.base_url, llm.api_key, llm.timeout_s, max_retries=0),
        llm.model,
        cache=DbResponseCache(sessions) if llm.cache and sessions is not None else None,
        max_in_flight=llm.max_in_flight,
        requests_per_minute=llm.requests_per_minute,
        max_retries=llm.max_retries,
        response_format=llm.response_format,
        vision=llm.vision,
        image_max_side=llm.image_max_side,
    )


def sampling_of(settings: Settings) -> Sampling:
    return Sampling(settings.llm.temperature, settings.llm.max_tokens, settings.llm.seed)


def _require(llm: LlmClient | None, what: str) -> LlmClient:
    if llm is None:
        raise ValueError(
            f"{what} needs a model server: set OPHIN_LLM__BACKEND=openai (and OPHIN_LLM__BASE_URL)"
        )
    return llm


def build_generator(settings: Settings, llm: LlmClient | None) -> InstructionGenerator:
    if llm is not None:
        from ophin.synthesis.openai_chat import OpenAICompatibleGenerator

        return OpenAICompatibleGenerator(
            llm, sampling_of(settings), derived_diagnoses=settings.synthesis.derived_diagnoses
        )
    from ophin.synthesis.offline import OfflineCueGenerator

    return OfflineCueGenerator(derived_diagnoses=settings.synthesis.derived_diagnoses)


def build_cue_scorer(settings: Settings, llm: LlmClient | None) -> CueScorer:
    cues = settings.cues
    rules = RuleCueScorer(cues.threshold)
    if cues.scorer == "rule-lexicon" or (cues.scorer == "auto" and llm is None):
        return rules
    from ophin.cues.llm import LLMCueScorer

    return LLMCueScorer(
        _require(llm, "cues.scorer=llm"),
        sampling_of(settings),
        prefilter=rules,
        min_rule_score=cues.llm_prefilter,
        batch_size=cues.llm_batch_size,
        threshold=cues.threshold,
    )


def build_judge(settings: Settings, llm: LlmClient | None) -> InstructionJudge | None:
    judge = settings.verify.judge
    if judge == "none" or (judge == "auto" and llm is None):
        return None
    from ophin.verification.judge import LlmJudge

    return LlmJudge(_require(llm, "verify.judge=llm"), sampling_of(settings))


def build_refiner(settings: Settings, llm: LlmClient | None) -> TranscriptRefiner:
    from ophin.refine import build_refiner as build

    if settings.refine.backend == "lexicon":
        return build("lexicon", low_p=settings.refine.low_p)
    if settings.refine.backend != "llm":
        return build(settings.refine.backend)
    return build("llm", llm=_require(llm, "refine.backend=llm"), sampling=sampling_of(settings))


def worker_name() -> str:
    """host:pid:nonce: unique per process, readable in stage_run.worker and in lease waits."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Services:
    settings: Settings
    sessions: sessionmaker[Session]
    store: ObjectStore
    video_source: VideoSource
    media: FfmpegMedia
    transcriber: Transcriber
    cue_scorer: CueScorer
    refiner: TranscriptRefiner
    generator: InstructionGenerator
    judge: InstructionJudge | None  # an LLM verification check, when configured
    ocr: Ocr | None  # None where tesseract is not installed: stages that need it refuse to run
    http: PolicyHttp  # every request outside yt-dlp (feeds, pages, APIs), checked by the fetch policy
    youtube_api: YouTubeDataApi | None = None  # asked for licences when a key is configured
    llm: LlmClient | None = None  # the shared model client (None offline): stages size their fan-out by it
    runner: str = "cli"
    workdir: Path = field(default=Path(".ophin/work"))
    worker: str = field(default_factory=worker_name)
    lease_s: float = 60.0
    origin: dict[str, Any] = field(default_factory=dict)  # e.g. the Airflow task instance running stages


def build_services(settings: Settings, runner: str = "cli", origin: dict[str, Any] | None = None) -> Services:
    home = settings.home_dir
    policy = FetchPolicy.from_settings(settings.acquire)
    http = PolicyHttp(policy, timeout_s=settings.acquire.socket_timeout_s)
    key = settings.license.youtube_api_key
    sessions = session_factory(settings)
    llm = build_llm_client(settings, sessions)
    return Services(
        settings=settings,
        sessions=sessions,
        store=build_object_store(settings),
        video_source=YtDlpVideoSource(
            settings.acquire, policy=policy, request_interval_s=settings.crawl.request_interval_s
        ),
        http=http,
        youtube_api=YouTubeDataApi(key, http, settings.license.youtube_api_url) if key else None,
        media=FfmpegMedia(),
        transcriber=build_transcriber(settings.asr, home / "models"),
        cue_scorer=build_cue_scorer(settings, llm),
        refiner=build_refiner(settings, llm),
        # min_conf=0: tesseract reads burned-in record numbers right but with low confidence (measured 0-46).
        ocr=TesseractOcr(min_conf=0) if TesseractOcr.available() else None,
        generator=build_generator(settings, llm),
        judge=build_judge(settings, llm),
        llm=llm,
        runner=runner,
        workdir=home / "work",
        lease_s=settings.run.lease_s,
        origin=origin or {},
    )
