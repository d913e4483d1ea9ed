"""The adapters a stage may use, built once from Settings; tests swap any of them for fakes."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ophin.adapters.asr import Transcriber, build_transcriber
from ophin.adapters.fetch_policy import FetchPolicy
from ophin.adapters.http_get import PolicyHttp
from ophin.adapters.media import FfmpegMedia
from ophin.adapters.object_store import ObjectStore, build_object_store
from ophin.adapters.ocr import Ocr, TesseractOcr
from ophin.adapters.video_source import VideoSource, YtDlpVideoSource
from ophin.adapters.youtube_api import YouTubeDataApi
from ophin.cues.base import CueScorer
from ophin.cues.rules import RuleCueScorer
from ophin.db.session import session_factory
from ophin.refine.base import TranscriptRefiner
from ophin.settings import Settings
from ophin.synthesis.base import InstructionGenerator


def build_generator(settings: Settings) -> InstructionGenerator:
    if settings.llm.backend == "openai":
        from ophin.synthesis.openai_chat import OpenAICompatibleGenerator, build_openai_client

        llm = settings.llm
        client = build_openai_client(llm.base_url, llm.api_key, llm.timeout_s, llm.max_retries)
        return OpenAICompatibleGenerator(client, llm.model, llm.temperature, llm.max_tokens)
    from ophin.synthesis.offline import OfflineCueGenerator

    return OfflineCueGenerator()


def build_refiner(settings: Settings) -> TranscriptRefiner:
    from ophin.refine import build_refiner as build

    if settings.refine.backend != "llm":
        return build(settings.refine.backend)
    from ophin.synthesis.openai_chat import build_openai_client

    llm = settings.llm
    client = build_openai_client(llm.base_url, llm.api_key, llm.timeout_s, llm.max_retries)
    return build("llm", client=client, model=llm.model)


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
    ocr: Ocr | None  # None where tesseract is not installed: stages that need it refuse to run
    http: PolicyHttp  # every request outside yt-dlp (feeds, pages, APIs), checked by the fetch policy
    youtube_api: YouTubeDataApi | None = None  # asked for licences when a key is configured
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
    return Services(
        settings=settings,
        sessions=session_factory(settings),
        store=build_object_store(settings),
        video_source=YtDlpVideoSource(
            settings.acquire, policy=policy, request_interval_s=settings.crawl.request_interval_s
        ),
        http=http,
        youtube_api=YouTubeDataApi(key, http, settings.license.youtube_api_url) if key else None,
        media=FfmpegMedia(),
        transcriber=build_transcriber(settings.asr, home / "models"),
        cue_scorer=RuleCueScorer(settings.cues.threshold),
        refiner=build_refiner(settings),
        # min_conf=0: tesseract reads burned-in record numbers right but with low confidence (measured 0-46).
        ocr=TesseractOcr(min_conf=0) if TesseractOcr.available() else None,
        generator=build_generator(settings),
        runner=runner,
        workdir=home / "work",
        lease_s=settings.run.lease_s,
        origin=origin or {},
    )
