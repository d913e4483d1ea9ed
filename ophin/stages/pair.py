"""Stage 4, pair: each kept keyframe with the words spoken while it is on screen."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ophin.db.models import Clip, Frame, Pair, Video
from ophin.db.session import session_scope
from ophin.db.upsert import delete_stale, upsert
from ophin.domain.ids import pair_id
from ophin.services import Services
from ophin.stages.base import Attempt, StageResult, run_on_video
from ophin.stages.transcribe import load_segments

STAGE = "pair"
UPSTREAM = ("transcribe", "keyframes")  # the stages whose rows this one reads
VERSION = "2"  # 2: input-digest skipping, reasons for frames of videos without audio


@dataclass(frozen=True)
class PairParams:
    min_words: int = 3


@dataclass(frozen=True)
class TimedText:
    start_s: float
    end_s: float
    text: str
    segment_id: uuid.UUID


def screen_windows(
    clips: list[Clip], frames_by_clip: dict[uuid.UUID, Frame]
) -> dict[uuid.UUID, tuple[float, float]]:
    """On-screen span of each kept frame: its clip, extended over following clips that repeat the image."""
    windows: dict[uuid.UUID, tuple[float, float]] = {}
    current: uuid.UUID | None = None
    for clip in sorted(clips, key=lambda c: c.start_s):
        frame = frames_by_clip.get(clip.id)
        if frame is None:
            current = None
        elif frame.kept:
            current = frame.id
            windows[current] = (clip.start_s, clip.end_s)
        elif current is not None and frame.duplicate_of == current:
            windows[current] = (windows[current][0], clip.end_s)
        else:
            current = None
    return windows


def words_in(window: tuple[float, float], pieces: list[TimedText]) -> list[TimedText]:
    """Pieces whose midpoint falls inside the window: each word lands in exactly one window."""
    start, end = window
    return [p for p in pieces if start <= (p.start_s + p.end_s) / 2 < end]


def timed_pieces(segments: list[Any]) -> list[TimedText]:
    """Spoken sentences with times, rebuilt from word timings where the backend gave them.

    Whole sentences, not words, are assigned to windows: word times drift by a few hundred ms around a
    scene cut, and a sentence torn in two describes neither image.
    """
    pieces: list[TimedText] = []
    for seg in segments:
        if not seg.words:
            pieces.append(TimedText(seg.start_s, seg.end_s, seg.text, seg.id))
            continue
        sentence: list[dict[str, Any]] = []
        for word in seg.words:
            sentence.append(word)
            if word["word"].rstrip().endswith((".", "?", "!")):
                pieces.append(_joined(sentence, seg.id))
                sentence = []
        if sentence:
            pieces.append(_joined(sentence, seg.id))
    return pieces


def _joined(words: list[dict[str, Any]], segment: uuid.UUID) -> TimedText:
    return TimedText(words[0]["start"], words[-1]["end"], " ".join(w["word"] for w in words), segment)


def pair_frames(vid: uuid.UUID, params: PairParams, *, svc: Services, force: bool = False) -> StageResult:
    def work(attempt: Attempt) -> dict[str, Any]:
        with session_scope(svc.sessions) as session:
            has_audio = session.get(Video, vid).has_audio is not False  # type: ignore[union-attr]
            clips = list(session.scalars(select(Clip).where(Clip.video_id == vid)))
            frames = {f.clip_id: f for f in session.scalars(select(Frame).where(Frame.video_id == vid))}
            pieces = timed_pieces(load_segments(session, vid))
            rows = []
            for fid, window in screen_windows(clips, frames).items():
                spoken = words_in(window, pieces)
                text = " ".join(p.text.strip() for p in spoken).strip()
                n_words = len(text.split())
                rows.append(
                    {
                        "id": pair_id(fid, int(window[0] * 1000), int(window[1] * 1000)),
                        "video_id": vid,
                        "frame_id": fid,
                        "start_s": window[0],
                        "end_s": window[1],
                        "text": text,
                        "n_cues": None,
                        "cue_score": None,
                        "segment_ids": list(dict.fromkeys(p.segment_id for p in spoken)),
                        "status": "pending" if n_words >= params.min_words else "dropped",
                        "drop_reason": None
                        if n_words >= params.min_words
                        else f"only {n_words} word(s) spoken while on screen"
                        if has_audio
                        else "no speech: the video has no audio track",
                    }
                )
            upsert(session, Pair, rows)
            delete_stale(session, Pair, Pair.video_id == vid, [r["id"] for r in rows])
        return {"pairs": len(rows), "with_speech": sum(r["status"] == "pending" for r in rows)}

    return run_on_video(
        svc,
        vid,
        stage=STAGE,
        version=VERSION,
        params=params,
        work=work,
        upstream=UPSTREAM,
        force=force,
    )
