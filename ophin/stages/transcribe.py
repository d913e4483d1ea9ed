"""Stage 2, transcribe: 16 kHz mono audio via ffmpeg, then captions and/or the configured Transcriber,
into segment rows; the spoken language is detected and stored on the video."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ophin.adapters.asr_bias import build_prompt, window_slide_terms
from ophin.adapters.asr_language import detect_language_robust
from ophin.adapters.asr_windows import Prompt, transcribe_windows
from ophin.adapters.object_store import ObjectCorrupt, ObjectMissing, get_verified_bytes
from ophin.db.crawl_models import SubtitleTrack
from ophin.db.models import TranscriptSegment, Video
from ophin.db.session import session_scope
from ophin.db.upsert import delete_stale, upsert
from ophin.domain.ids import params_hash, segment_id
from ophin.domain.subtitles import (
    SubtitleError,
    TrackChoice,
    captions_transcript,
    choose_track,
    language_base,
    merge_segments,
)
from ophin.domain.text import clean_text
from ophin.domain.transcript import LanguageGuess, Segment, Transcript
from ophin.services import Services
from ophin.stages.base import Attempt, StageResult, Task, VideoStage, from_sections
from ophin.stages.common import InputMissing, fetch_media, require_video

STAGE = "transcribe"
UPSTREAM: tuple[str, ...] = ()  # reads only the media (and the caption tracks acquisition stored)
# 2: a video without audio has an empty transcript, not a failure
# 3: caption tracks as a source, the spoken language detected, backend/source/language/params on rows
# 4: audio longer than asr.window_s transcribed window by window, cut at pauses (bounded memory)
# 5: domain-biased decoding (lexicon + slide OCR) on every chunk; language over several windows, with margin
VERSION = "5"
SAMPLE_RATE = 16000  # Whisper's native rate
log = logging.getLogger("ophin.stages")


@dataclass(frozen=True)
class TranscribeParams:
    model: str
    compute_type: str
    language: str | None
    beam_size: int
    vad_filter: bool
    initial_prompt: str
    backend: str = "faster-whisper"
    device: str = "auto"
    batch_size: int = 8
    batch_min_duration_s: float | None = None
    subtitles: str = "prefer"  # prefer | merge | ignore, for creator captions
    automatic_subtitles: str = "ignore"  # the same, for automatic captions
    allowed_languages: tuple[str, ...] = ("en",)
    window_s: float | None = 300.0  # longer audio is transcribed window by window (asr_windows.py)
    bias: bool = True  # domain-biased prompt on every chunk (asr_bias.py)
    bias_slides: bool = True
    bias_slide_every_s: float = 10.0
    bias_max_terms: int = 12
    language_windows: int = 3  # the spoken language over this many windows (asr_language.py)
    language_margin: float = 0.5


def segment_rows(
    vid: uuid.UUID,
    segments: tuple[Segment, ...],
    by_source: dict[str, Transcript],
    language: str | None,
    phash: str,
) -> list[dict[str, Any]]:
    """Rows for the segments; each names the transcript it came from (by_source[segment.source]):
    its backend, model and params, so a merged transcript's rows still say which words were heard."""
    rows = []
    for index, seg in enumerate(s for s in segments if s.text.strip()):
        origin = by_source[seg.source]
        lang = origin.language or language
        rows.append(
            {
                "id": segment_id(vid, index, phash),
                "video_id": vid,
                "index": index,
                "start_s": seg.start_s,
                "end_s": seg.end_s,
                "text": clean_text(seg.text, 10000) or "",
                "words": [
                    {"start": w.start_s, "end": w.end_s, "word": w.text, "p": w.probability}
                    for w in seg.words
                ]
                or None,
                "avg_logprob": seg.avg_logprob,
                "no_speech_prob": seg.no_speech_prob,
                "model": origin.model,
                "backend": origin.backend[:32] or None,
                "source": seg.source,
                "language": lang[:16] if lang else None,
                "asr_params": origin.params or None,
                "params_hash": phash,
            }
        )
    return rows


def _tracks(session: Any, vid: uuid.UUID) -> list[SubtitleTrack]:
    return list(session.scalars(select(SubtitleTrack).where(SubtitleTrack.video_id == vid)))


def _caption_transcript(svc: Services, track: SubtitleTrack) -> Transcript | None:
    """The stored track as a Transcript; None (and a warning) when it does not parse: ASR then."""
    try:
        data = get_verified_bytes(svc.store, track.object_key, track.sha256)
        text = data.decode("utf-8", "replace")
        t = captions_transcript(text, language_base(track.language), f"subtitles/{track.kind}")
    except ObjectCorrupt as exc:
        # Not the bytes acquisition stored: never transcribe them. The next run's acquire re-makes them.
        raise InputMissing(f"caption track of video {track.video_id}: {exc}") from exc
    except (SubtitleError, ObjectMissing, OSError) as exc:
        log.warning(
            "transcribe %s: caption track %s unusable (%s); ASR instead", track.video_id, track.id, exc
        )
        return None
    params = {"track": str(track.id), "kind": track.kind, "language": track.language}
    params |= {"format": track.format, "sha256": track.sha256}
    return Transcript(t.segments, t.language, t.model, backend="subtitles", params=params)


def plan_sources(
    params: TranscribeParams, tracks: list[tuple[str, str]], spoken: LanguageGuess | None
) -> TrackChoice | None:
    return choose_track(
        tracks,
        creator_policy=params.subtitles,
        automatic_policy=params.automatic_subtitles,
        allowed_languages=list(params.allowed_languages),
        spoken_language=spoken.language if spoken else None,
    )


def decoding_prompt(
    svc: Services, params: TranscribeParams, media: Path | None, found: list[str] | None = None
) -> Prompt | None:
    """The prompt of each window: asr.initial_prompt, the terms on the slides shown in it (when the media
    has a picture and OCR is installed; each added to `found`), the lexicon's labels. None: biasing off."""
    if not params.bias:
        return None
    ocr = svc.ocr if params.bias_slides and media is not None else None

    def prompt(start_s: float, end_s: float) -> str:
        slides = (
            window_slide_terms(svc.media, ocr, media, start_s, end_s, params.bias_slide_every_s)
            if ocr
            else []
        )
        if found is not None:
            found.extend(t for t in slides if t not in found)
        return build_prompt(params.initial_prompt, slides, params.bias_max_terms)

    return prompt


def transcribe_audio(
    svc: Services,
    vid: uuid.UUID,
    wav: Path,
    params: TranscribeParams,
    tracks: list[SubtitleTrack],
    media: Path | None = None,
) -> tuple[tuple[Segment, ...], dict[str, Transcript], LanguageGuess | None]:
    """(segments, transcript per source, spoken language): captions, ASR, or both, as params say."""
    transcriber, scratch = svc.transcriber, wav.parent
    spoken, evidence = detect_language_robust(
        transcriber,
        wav,
        scratch,
        allowed=params.allowed_languages,
        margin=params.language_margin,
        windows=params.language_windows,
    )
    choice = plan_sources(params, [(t.language, t.kind) for t in tracks], spoken)
    captions = None
    if choice is not None:
        track = next(t for t in tracks if (t.language, t.kind) == (choice.language, choice.kind))
        captions = _caption_transcript(svc, track)
    if captions is not None and choice is not None and choice.policy == "prefer":
        return captions.segments, {"subtitles": captions}, spoken
    slides: list[str] = []
    asr = transcribe_windows(
        transcriber, wav, params.window_s, scratch, decoding_prompt(svc, params, media, slides)
    )
    if params.bias:  # what the slides added to the prompt, for the rows (the prompt itself is hashed)
        asr = replace(asr, params={**asr.params, "bias_slide_terms": slides})
    if spoken is None and asr.language:  # a backend without a detector: the language it decoded in
        spoken = LanguageGuess(asr.language, asr.language_probability)
    elif spoken is not None:  # the windowed decision stands over one window's guess; its evidence on rows
        asr = replace(
            asr,
            language=spoken.language,
            language_probability=spoken.probability,
            params={**asr.params, "language_evidence": evidence},
        )
    if captions is None:
        return asr.segments, {"asr": asr}, spoken
    return merge_segments(captions.segments, asr.segments), {"subtitles": captions, "asr": asr}, spoken


def language_allowed(spoken: LanguageGuess | None, allowed: tuple[str, ...]) -> bool | None:
    """None when nothing was heard (no audio): the pair stage decides on missing speech by itself."""
    if spoken is None:
        return None
    return language_base(spoken.language) in {language_base(a) for a in allowed}


def transcribe_video(
    vid: uuid.UUID, params: TranscribeParams, *, svc: Services, force: bool = False
) -> StageResult:
    def work(attempt: Attempt) -> dict[str, Any]:
        with session_scope(svc.sessions) as session:
            video = require_video(session, vid)
            tracks = _tracks(session, vid)
        spoken: LanguageGuess | None = None
        by_source: dict[str, Transcript] = {}
        if video.has_audio is False:
            # Keyframes do not need speech: an empty transcript lets pairing drop frames with that reason.
            log.warning("transcribe %s: video has no audio track; empty transcript", vid)
            segments: tuple[Segment, ...] = ()
        else:
            local = fetch_media(svc.store, video, attempt.scratch)
            wav = svc.media.extract_audio(local, attempt.scratch / "audio.wav", SAMPLE_RATE)
            segments, by_source, spoken = transcribe_audio(svc, vid, wav, params, tracks, local)
        language = spoken.language if spoken else None
        rows = segment_rows(vid, segments, by_source, language, params_hash(params))
        allowed = language_allowed(spoken, params.allowed_languages)
        if allowed is False:
            log.warning(
                "transcribe %s: spoken language %s (p=%s) is not in %s; its pairs will be dropped",
                vid,
                language,
                spoken.probability if spoken else None,
                list(params.allowed_languages),
            )
        with session_scope(svc.sessions) as session:
            upsert(session, TranscriptSegment, rows)
            delete_stale(
                session, TranscriptSegment, TranscriptSegment.video_id == vid, [r["id"] for r in rows]
            )
            row = session.get(Video, vid)
            if row is not None:
                row.spoken_language = language[:16] if language else None
                row.spoken_language_p = spoken.probability if spoken else None
        return {
            "segments": len(rows),
            "language": language,
            "language_p": round(spoken.probability, 3) if spoken and spoken.probability is not None else None,
            "language_allowed": allowed,
            "sources": sorted({r["source"] for r in rows}),
            "speech_s": round(sum(r["end_s"] - r["start_s"] for r in rows), 2),
            "has_audio": video.has_audio is not False,
        }

    return SPEC.run(svc, vid, params, work, force=force, model_version=svc.transcriber.name)


def load_segments(session: Any, vid: uuid.UUID) -> list[TranscriptSegment]:
    return list(
        session.scalars(
            select(TranscriptSegment)
            .where(TranscriptSegment.video_id == vid)
            .order_by(TranscriptSegment.index)
        )
    )


def params_from(svc: Services) -> TranscribeParams:
    return from_sections(TranscribeParams, svc.settings.asr)


SPEC = VideoStage(
    name=STAGE, version=VERSION, upstream=UPSTREAM, function=transcribe_video, params=params_from,
    reads=("video", "subtitle_track"), writes=("transcript_segment",),
    task=Task("transcribe_video", gate="gate_media", pool="asr", queue="gpu"),
)  # fmt: skip
