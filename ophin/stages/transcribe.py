"""Stage 2, transcribe: 16 kHz mono audio via ffmpeg, then the configured Transcriber, into segment rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ophin.adapters.media import MediaError
from ophin.db.models import TranscriptSegment
from ophin.db.session import session_scope
from ophin.db.upsert import delete_stale, upsert
from ophin.domain.ids import params_hash, segment_id
from ophin.domain.keys import audio_key
from ophin.domain.text import clean_text
from ophin.domain.transcript import Transcript
from ophin.services import Services
from ophin.stages.base import StageResult, drop_scratch, fetch_media, run_on_video
from ophin.stages.common import require_video

STAGE = "transcribe"
VERSION = "1"
SAMPLE_RATE = 16000  # Whisper's native rate


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
    def work() -> dict[str, Any]:
        with session_scope(svc.sessions) as session:
            video = require_video(session, vid)
            if video.has_audio is False:
                raise MediaError("video has no audio track: nothing to transcribe")
            media_key = video.media_key
        scratch = f"transcribe-{vid}"
        try:
            local = fetch_media(svc, media_key, scratch)
            wav = svc.media.extract_audio(local, local.with_name("audio.wav"), SAMPLE_RATE)
            svc.store.put_file(audio_key(vid), wav, content_type="audio/wav")
            transcript = svc.transcriber.transcribe(wav)
        finally:
            drop_scratch(svc, scratch)
        rows = segment_rows(vid, transcript, params_hash(params))
        with session_scope(svc.sessions) as session:
            upsert(session, TranscriptSegment, rows)
            delete_stale(
                session, TranscriptSegment, TranscriptSegment.video_id == vid, [r["id"] for r in rows]
            )
        return {
            "segments": len(rows),
            "language": transcript.language,
            "speech_s": round(sum(r["end_s"] - r["start_s"] for r in rows), 2),
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
