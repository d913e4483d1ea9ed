"""Stage 2, transcribe: 16 kHz mono audio via ffmpeg, then the configured Transcriber, into segment rows."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ophin.db.models import TranscriptSegment
from ophin.db.session import session_scope
from ophin.db.upsert import delete_stale, upsert
from ophin.domain.ids import params_hash, segment_id
from ophin.domain.text import clean_text
from ophin.domain.transcript import Transcript
from ophin.services import Services
from ophin.stages.base import Attempt, StageResult, run_on_video
from ophin.stages.common import fetch_media, require_video

STAGE = "transcribe"
UPSTREAM: tuple[str, ...] = ()  # reads only the media
VERSION = "2"  # 2: a video without audio has an empty transcript, not a failure
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


def segment_rows(vid: uuid.UUID, transcript: Transcript, phash: str) -> list[dict[str, Any]]:
    rows = []
    for index, seg in enumerate(s for s in transcript.segments if s.text.strip()):
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
                "model": transcript.model,
                "params_hash": phash,
            }
        )
    return rows


def transcribe_video(
    vid: uuid.UUID, params: TranscribeParams, *, svc: Services, force: bool = False
) -> StageResult:
    def work(attempt: Attempt) -> dict[str, Any]:
        with session_scope(svc.sessions) as session:
            video = require_video(session, vid)
        if video.has_audio is False:
            # Keyframes do not need speech: an empty transcript lets pairing drop frames with that reason.
            log.warning("transcribe %s: video has no audio track; empty transcript", vid)
            rows: list[dict[str, Any]] = []
            language = None
        else:
            local = fetch_media(svc.store, video, attempt.scratch)
            wav = svc.media.extract_audio(local, attempt.scratch / "audio.wav", SAMPLE_RATE)
            transcript = svc.transcriber.transcribe(wav)
            rows = segment_rows(vid, transcript, params_hash(params))
            language = transcript.language
        with session_scope(svc.sessions) as session:
            upsert(session, TranscriptSegment, rows)
            delete_stale(
                session, TranscriptSegment, TranscriptSegment.video_id == vid, [r["id"] for r in rows]
            )
        return {
            "segments": len(rows),
            "language": language,
            "speech_s": round(sum(r["end_s"] - r["start_s"] for r in rows), 2),
            "has_audio": video.has_audio is not False,
        }

    return run_on_video(
        svc,
        vid,
        stage=STAGE,
        version=VERSION,
        params=params,
        work=work,
        model_version=svc.transcriber.name,
        force=force,
    )


def load_segments(session: Any, vid: uuid.UUID) -> list[TranscriptSegment]:
    return list(
        session.scalars(
            select(TranscriptSegment)
            .where(TranscriptSegment.video_id == vid)
            .order_by(TranscriptSegment.index)
        )
    )
