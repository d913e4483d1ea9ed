"""Lineage schema: every video, clip, frame, segment, pair, cue, instruction and stage attempt."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from ophin.db.base import Base, Timestamped
from ophin.db.base import fk as _fk


class Video(Timestamped, Base):
    __tablename__ = "video"
    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True
    )  # uuid5 over the media's sha256 (content identity)
    # Where the video was first found, as shown in releases: a canonical URL, or for a local file its name
    # (never an absolute local path). Every URL that led to this content is a video_alias row.
    url: Mapped[str] = mapped_column(Text)
    source_id: Mapped[str | None] = mapped_column(Text)  # the extractor's own id (not unique across sites)
    extractor: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(Text)
    duration_s: Mapped[float | None] = mapped_column(Float)
    license: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    media_key: Mapped[str | None] = mapped_column(Text)
    info_key: Mapped[str | None] = mapped_column(Text)
    info_sha256: Mapped[str | None] = mapped_column(String(64))  # of the info.json object, checked on read
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    has_audio: Mapped[bool | None] = mapped_column(Boolean)
    # How we found it ("url" for a URL handed to `ophin run`, else "source:<id>") and whether its licence
    # allows redistribution of derivatives; releases take only license_ok videos.
    discovered_via: Mapped[str | None] = mapped_column(Text)
    license_ok: Mapped[bool | None] = mapped_column(Boolean)
    license_evidence: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # the decision and its evidence
    upload_date: Mapped[str | None] = mapped_column(String(10))
    language: Mapped[str | None] = mapped_column(String(16))
    spoken_language: Mapped[str | None] = mapped_column(String(16))  # as the ASR detected it
    spoken_language_p: Mapped[float | None] = mapped_column(Float)


class VideoAlias(Timestamped, Base):
    """Every canonical URL that resolved to a video's content: five spellings of one file, one video."""

    __tablename__ = "video_alias"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # uuid5 over the canonical URL
    url: Mapped[str] = mapped_column(Text, unique=True)
    video_id: Mapped[uuid.UUID] = _fk("video")


class TranscriptSegment(Timestamped, Base):
    __tablename__ = "transcript_segment"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    video_id: Mapped[uuid.UUID] = _fk("video")
    index: Mapped[int] = mapped_column(Integer)
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    words: Mapped[list[Any] | None] = mapped_column(JSONB)
    avg_logprob: Mapped[float | None] = mapped_column(Float)
    no_speech_prob: Mapped[float | None] = mapped_column(Float)
    model: Mapped[str] = mapped_column(Text)
    backend: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(16))  # asr | subtitles
    language: Mapped[str | None] = mapped_column(String(16))
    asr_params: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    params_hash: Mapped[str] = mapped_column(String(16))


class Clip(Timestamped, Base):
    __tablename__ = "clip"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    video_id: Mapped[uuid.UUID] = _fk("video")
    index: Mapped[int] = mapped_column(Integer)
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    boundary: Mapped[str | None] = mapped_column(String(16))  # start | cut | change | max
    params_hash: Mapped[str] = mapped_column(String(16))


class Frame(Timestamped, Base):
    __tablename__ = "frame"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    video_id: Mapped[uuid.UUID] = _fk("video")
    clip_id: Mapped[uuid.UUID] = _fk("clip")
    t_s: Mapped[float] = mapped_column(Float)
    object_key: Mapped[str] = mapped_column(Text)
    # Of the stored (redacted) JPEG; NULL only on rows from before revision 0012, which are made again.
    sha256: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    phash: Mapped[str] = mapped_column(String(32), index=True)
    selection: Mapped[str | None] = mapped_column(String(16))  # settle | sharpest | median
    crop_box: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    source_width: Mapped[int | None] = mapped_column(Integer)
    source_height: Mapped[int | None] = mapped_column(Integer)
    sharpness: Mapped[float | None] = mapped_column(Float)
    exposure: Mapped[float | None] = mapped_column(Float)
    clipped_fraction: Mapped[float | None] = mapped_column(Float)
    text_fraction: Mapped[float | None] = mapped_column(Float)
    modality: Mapped[str | None] = mapped_column(String(32))
    modality_scores: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    scores: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    face_count: Mapped[int | None] = mapped_column(Integer)
    # De-identification, recorded as counts and kinds, never content: the stored image is the redacted one.
    faces_blurred: Mapped[int | None] = mapped_column(Integer)
    text_redacted: Mapped[int | None] = mapped_column(Integer)
    redaction_reasons: Mapped[list[Any] | None] = mapped_column(JSONB)
    clinical_score: Mapped[float | None] = mapped_column(Float)
    clinical_reason: Mapped[str | None] = mapped_column(Text)
    kept: Mapped[bool] = mapped_column(Boolean, index=True)  # index-only counts for `ophin status`
    drop_reason: Mapped[str | None] = mapped_column(Text)
    duplicate_of: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("frame.id", ondelete="SET NULL"))
    params_hash: Mapped[str] = mapped_column(String(16))


class Pair(Timestamped, Base):
    __tablename__ = "pair"
    # GIN: the lineage page's "pairs spoken in this segment" (segment_ids @> ARRAY[id]) without a scan.
    __table_args__ = (Index("ix_pair_segment_ids", "segment_ids", postgresql_using="gin"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    video_id: Mapped[uuid.UUID] = _fk("video")
    frame_id: Mapped[uuid.UUID] = _fk("frame")
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    segment_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    # The pair stage's own call: "paired", or "dropped" with its reason (too few words, no audio, a language
    # not allowed). Whether a paired window describes its image is the cue stage's, in pair_verdict.
    status: Mapped[str] = mapped_column(String(16), index=True)  # paired | dropped
    drop_reason: Mapped[str | None] = mapped_column(Text)


class PairVerdict(Timestamped, Base):
    """The cue stage's decision on a paired window (that stage is this table's only writer)."""

    __tablename__ = "pair_verdict"
    pair_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pair.id", ondelete="CASCADE"), primary_key=True)
    video_id: Mapped[uuid.UUID] = _fk("video")
    status: Mapped[str] = mapped_column(String(16), index=True)  # kept | dropped | failed
    reason: Mapped[str | None] = mapped_column(Text)  # why dropped or failed
    n_cues: Mapped[int | None] = mapped_column(Integer)  # sentences that describe the image
    cue_score: Mapped[float | None] = mapped_column(Float)  # the best sentence's score


class VisualCue(Timestamped, Base):
    __tablename__ = "visual_cue"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    pair_id: Mapped[uuid.UUID] = _fk("pair")
    sentence_index: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)  # refined (corrected) sentence
    raw_text: Mapped[str | None] = mapped_column(Text)  # as recognised, before refinement
    corrections: Mapped[list[Any] | None] = mapped_column(JSONB)  # [{rule, before, after, start, end}]
    is_visual: Mapped[bool] = mapped_column(Boolean, index=True)
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    scorer: Mapped[str] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)  # the LLM that scored it; None for the rule scorer
    prompt_version: Mapped[str | None] = mapped_column(Text)
    llm: Mapped[dict[str, Any] | None] = mapped_column(
        JSONB
    )  # LlmCall: served model, sampling, tokens, latency
    params_hash: Mapped[str] = mapped_column(String(16))


class Instruction(Timestamped, Base):
    __tablename__ = "instruction"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    pair_id: Mapped[uuid.UUID] = _fk("pair")
    frame_id: Mapped[uuid.UUID] = _fk("frame")
    kind: Mapped[str] = mapped_column(String(16))  # vqa | conversation | cot
    turns: Mapped[list[Any] | None] = mapped_column(JSONB)
    generator: Mapped[str] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)  # the LLM (or template) that wrote the turns
    prompt_version: Mapped[str | None] = mapped_column(Text)
    # The synthesis stage's own outcome; whether it is released is verification's, in instruction_verdict.
    status: Mapped[str] = mapped_column(String(16), index=True)  # generated | failed
    error: Mapped[str | None] = mapped_column(Text)
    llm: Mapped[dict[str, Any] | None] = mapped_column(
        JSONB
    )  # LlmCall: served model, sampling, tokens, latency
    params_hash: Mapped[str] = mapped_column(String(16))


class Verification(Timestamped, Base):
    __tablename__ = "verification"
    __table_args__ = (UniqueConstraint("instruction_id", "check"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    instruction_id: Mapped[uuid.UUID] = _fk("instruction")
    check: Mapped[str] = mapped_column(String(32))
    passed: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[str] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)  # a judge's model; None for rule checks
    prompt_version: Mapped[str | None] = mapped_column(Text)
    verdict: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # a judge's structured answer
    llm: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class InstructionVerdict(Timestamped, Base):
    """Verification's decision on a generated instruction (that stage is this table's only writer); the
    checks behind it are its verification rows. No verdict: not verified yet, or its judge failed."""

    __tablename__ = "instruction_verdict"
    instruction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("instruction.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), index=True)  # accepted | rejected
    reject_reasons: Mapped[list[Any] | None] = mapped_column(JSONB)
    # The duplicate check's keys: later videos' instructions are compared with the accepted ones by these.
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)  # exact text, normalised
    near_key: Mapped[str] = mapped_column(String(64), index=True)  # the answers, wording trivia folded


class StageRun(Base):
    """One attempt of one stage on one entity: what ran, with which params, and how it ended."""

    __tablename__ = "stage_run"
    __table_args__ = (
        UniqueConstraint("stage", "entity_key", "attempt"),
        Index("ix_stage_run_task_instance", "dag_id", "run_id", "task_id", "map_index"),
    )
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(32), index=True)
    entity_type: Mapped[str] = mapped_column(String(16))  # url | video | batch
    entity_key: Mapped[str] = mapped_column(Text, index=True)
    video_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("video.id", ondelete="SET NULL"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # running | succeeded | partial | failed
    error_class: Mapped[str | None] = mapped_column(Text)
    error_message: Mapped[str | None] = mapped_column(Text)
    params_hash: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    code_version: Mapped[str] = mapped_column(String(32))
    input_digest: Mapped[str | None] = mapped_column(String(16))
    model_version: Mapped[str | None] = mapped_column(Text)
    output: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    runner: Mapped[str | None] = mapped_column(Text)  # cli | airflow:<dag_run_id> | backfill
    worker: Mapped[str | None] = mapped_column(Text)  # host:pid:nonce of the process that ran it
    # The Airflow task instance that ran it (None from the CLI): the UI's way back to this row.
    dag_id: Mapped[str | None] = mapped_column(Text)
    task_id: Mapped[str | None] = mapped_column(Text)
    map_index: Mapped[int | None] = mapped_column(Integer)
    try_number: Mapped[int | None] = mapped_column(Integer)
    run_id: Mapped[str | None] = mapped_column(Text)  # the Airflow DagRun's run_id
    # Indexed: the latest failures and task instances are read newest first.
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_s: Mapped[float | None] = mapped_column(Float)


class StageState(Base):
    """What is stored now for (stage, entity): who produced it, from which params, code and inputs.

    Skipping reads this row, not the history in stage_run, so settings A, then B, then A re-run the stage.
    It is also the lease: a worker holds (lease_owner, lease_expires_at) while it works and heartbeats it.
    """

    __tablename__ = "stage_state"
    __table_args__ = (UniqueConstraint("stage", "entity_key"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # uuid5 over (stage, entity_key)
    stage: Mapped[str] = mapped_column(String(32), index=True)
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_key: Mapped[str] = mapped_column(Text)
    video_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("video.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))  # running | succeeded | partial | failed
    params_hash: Mapped[str | None] = mapped_column(String(16))
    code_version: Mapped[str | None] = mapped_column(String(32))
    input_digest: Mapped[str | None] = mapped_column(String(16))
    stage_run_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    output: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    lease_owner: Mapped[str | None] = mapped_column(Text)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class QualityRun(Base):
    __tablename__ = "quality_run"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(32))
    suite: Mapped[str] = mapped_column(Text)
    batch_key: Mapped[str] = mapped_column(Text)
    success: Mapped[bool] = mapped_column(Boolean)
    statistics: Mapped[dict[str, Any]] = mapped_column(JSONB)
    result: Mapped[dict[str, Any]] = mapped_column(JSONB)
    video_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(UUID(as_uuid=True)))
    summary: Mapped[str | None] = mapped_column(Text)  # one readable line per failed expectation
    # The Airflow task instance that ran the gate (None from the CLI): its lineage tab shows this row.
    dag_id: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(Text)
    task_id: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class VideoGate(Base):
    """The latest gate verdict per (video, stage): exports take a video's instructions only when every
    gate it went through last passed."""

    __tablename__ = "video_gate"
    __table_args__ = (UniqueConstraint("video_id", "stage"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # uuid5 over (video, stage)
    video_id: Mapped[uuid.UUID] = _fk("video")
    stage: Mapped[str] = mapped_column(String(32))
    quality_run_id: Mapped[uuid.UUID] = _fk("quality_run")
    success: Mapped[bool] = mapped_column(Boolean)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Release(Base):
    __tablename__ = "release"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    format: Mapped[str] = mapped_column(Text)  # comma-separated: llava,sharegpt,hf
    location: Mapped[str] = mapped_column(Text)  # the store URI of <release.prefix>/<id>/
    local_path: Mapped[str | None] = mapped_column(Text)  # a local copy, when one was asked for
    n_records: Mapped[int] = mapped_column(Integer)
    n_images: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LlmResponse(Base):
    """A model reply that validated, keyed by everything that shapes it: re-runs and backfills reuse it."""

    __tablename__ = "llm_response"
    key: Mapped[str] = mapped_column(
        String(64), primary_key=True
    )  # sha256 of model, prompt, sampling, schema
    model: Mapped[str] = mapped_column(Text)
    served_model: Mapped[str | None] = mapped_column(Text)
    prompt_version: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int] = mapped_column(Integer)
    latency_s: Mapped[float] = mapped_column(Float)
    hits: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# The crawl and review tables share this metadata (one schema, one migration history): importing this module
# registers them all.
from ophin.db import crawl_models, review_models  # noqa: E402,F401
