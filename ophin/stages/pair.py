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
from ophin.stages.base import Attempt, StageResult, Task, VideoStage, from_sections
from ophin.stages.transcribe import load_segments

STAGE = "pair"
UPSTREAM = ("transcribe", "keyframes")  # the stages whose rows this one reads
# 2: input-digest skipping, no-audio reasons; 3: long windows split, lag, spoken language; 4: topic pauses
# 5: a picture shown again after another gets a window of its own
VERSION = "5"


@dataclass(frozen=True)
class PairParams:
    min_words: int = 3
    max_window_s: float = 30.0  # longer on-screen windows are split at sentence pauses
    min_window_s: float = 8.0  # no piece of a split window is shorter
    # A pause this long between sentences ends a topic (a narrator moving to the next finding on one
    # slide): windows of any length are split there. Whisper's sentence gaps on the sample long slides:
    # 0.24-0.78 s inside a finding, 2.2-3.3 s between findings.
    topic_pause_s: float = 1.5
    lag_s: float = 0.0  # seconds the narration trails the picture (negative: leads it)
    min_overlap: float = 0.5  # share of a sentence a window must hold to take it
    languages: tuple[str, ...] = ("en",)  # spoken languages kept; () keeps every language


@dataclass(frozen=True)
class TimedText:
    start_s: float
    end_s: float
    text: str
    segment_id: uuid.UUID


def screen_windows(
    clips: list[Clip], frames_by_clip: dict[uuid.UUID, Frame]
) -> list[tuple[uuid.UUID, tuple[float, float]]]:
    """(kept frame, on-screen span) in time order: its clip, extended over following clips that repeat the
    image. A clip whose picture repeats an earlier, not adjacent, kept frame (footage that comes back to
    the disc, a slide shown again after another) is a window of that frame of its own: the narration
    there is about that picture, and without it the span would yield no pair at all."""
    windows: list[tuple[uuid.UUID, tuple[float, float]]] = []
    current: uuid.UUID | None = None
    for clip in sorted(clips, key=lambda c: c.start_s):
        frame = frames_by_clip.get(clip.id)
        if frame is None:
            current = None
        elif frame.kept:
            current = frame.id
            windows.append((current, (clip.start_s, clip.end_s)))
        elif frame.duplicate_of is not None and frame.duplicate_of == current:
            windows[-1] = (current, (windows[-1][1][0], clip.end_s))
        elif frame.duplicate_of is not None:
            current = frame.duplicate_of
            windows.append((current, (clip.start_s, clip.end_s)))
        else:
            current = None
    return windows


def words_in(window: tuple[float, float], pieces: list[TimedText]) -> list[TimedText]:
    """Pieces whose midpoint falls inside the window: each word lands in exactly one window."""
    start, end = window
    return [p for p in pieces if start <= (p.start_s + p.end_s) / 2 < end]


def lagged(pieces: list[TimedText], lag_s: float) -> list[TimedText]:
    """Speech times moved onto the picture's clock: narration trailing by lag_s was about what showed
    lag_s earlier."""
    if not lag_s:
        return pieces
    return [TimedText(p.start_s - lag_s, p.end_s - lag_s, p.text, p.segment_id) for p in pieces]


def assign_pieces(
    windows: dict[Any, tuple[float, float]], pieces: list[TimedText], min_overlap: float
) -> dict[Any, list[TimedText]]:
    """Each sentence to the window holding the largest share of its time (ties: the later, as with the
    midpoint rule), when that share reaches min_overlap; an instant sentence by its time. Never to two."""
    assigned: dict[Any, list[TimedText]] = {key: [] for key in windows}
    for piece in pieces:
        length = piece.end_s - piece.start_s
        best, best_share = None, 0.0
        for key, (start, end) in sorted(windows.items(), key=lambda kv: kv[1]):
            if length <= 0:
                share = 1.0 if start <= piece.start_s < end else 0.0
            else:
                share = max(0.0, min(end, piece.end_s) - max(start, piece.start_s)) / length
            if share > 0 and share >= best_share - 1e-9:  # windows in time order: a tie goes later
                best, best_share = key, share
        if best is not None and best_share >= min_overlap - 1e-9:
            assigned[best].append(piece)
    return assigned


def split_window(
    window: tuple[float, float],
    pieces: list[TimedText],
    max_s: float,
    min_s: float,
    topic_pause_s: float = float("inf"),
) -> list[tuple[tuple[float, float], list[TimedText]]]:
    """A window cut between sentences into pieces of at least min_s; each piece keeps the sentences on its
    side (a sentence is never torn). A window longer than max_s is cut at its longest pause first; any
    window is also cut at a pause of topic_pause_s or more."""
    start, end = window
    if len(pieces) < 2:
        return [(window, pieces)]
    ordered = sorted(pieces, key=lambda p: p.start_s)

    def pause(i: int) -> float:
        return ordered[i + 1].start_s - ordered[i].end_s

    too_long = end - start > max_s
    for i in sorted(range(len(ordered) - 1), key=pause, reverse=True):
        if not too_long and pause(i) < topic_pause_s:
            break  # the pauses come longest first: no topic pause is left
        cut = round(min(max((ordered[i].end_s + ordered[i + 1].start_s) / 2, start), end), 3)
        if cut - start >= min_s and end - cut >= min_s:
            return split_window((start, cut), ordered[: i + 1], max_s, min_s, topic_pause_s) + split_window(
                (cut, end), ordered[i + 1 :], max_s, min_s, topic_pause_s
            )
    return [(window, pieces)]


def language_refusal(spoken: str | None, allowed: tuple[str, ...]) -> str | None:
    """Why a video's pairs are dropped for the language it is spoken in; None if allowed or unknown."""
    if not spoken or not allowed:
        return None
    primary = spoken.lower().replace("_", "-").split("-")[0]
    if primary in {a.lower().split("-")[0] for a in allowed}:
        return None
    return f"spoken language {spoken!r} is not among the allowed {', '.join(allowed)}"


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
            video = session.get(Video, vid)
            has_audio = video.has_audio is not False  # type: ignore[union-attr]
            refusal = language_refusal(video.spoken_language, params.languages)  # type: ignore[union-attr]
            clips = list(session.scalars(select(Clip).where(Clip.video_id == vid)))
            frames = {f.clip_id: f for f in session.scalars(select(Frame).where(Frame.video_id == vid))}
            pieces = lagged(timed_pieces(load_segments(session, vid)), params.lag_s)
            windows = screen_windows(clips, frames)
            spans = {n: span for n, (_, span) in enumerate(windows)}
            assigned = assign_pieces(spans, pieces, params.min_overlap)
            rows = []
            for n, (fid, whole) in enumerate(windows):
                for window, spoken in split_window(
                    whole, assigned[n], params.max_window_s, params.min_window_s, params.topic_pause_s
                ):
                    rows.append(_row(vid, fid, window, spoken, params, has_audio, refusal))
            upsert(session, Pair, rows)
            delete_stale(session, Pair, Pair.video_id == vid, [r["id"] for r in rows])
        return {"pairs": len(rows), "with_speech": sum(r["status"] == "paired" for r in rows)}

    return SPEC.run(svc, vid, params, work, force=force)


def _row(
    vid: uuid.UUID,
    fid: uuid.UUID,
    window: tuple[float, float],
    spoken: list[TimedText],
    params: PairParams,
    has_audio: bool,
    refusal: str | None,
) -> dict[str, Any]:
    text = " ".join(p.text.strip() for p in spoken).strip()
    n_words = len(text.split())
    if refusal is not None:
        reason: str | None = refusal
    elif n_words >= params.min_words:
        reason = None
    elif has_audio:
        reason = f"only {n_words} word(s) spoken while on screen"
    else:
        reason = "no speech: the video has no audio track"
    return {
        "id": pair_id(fid, int(window[0] * 1000), int(window[1] * 1000)),
        "video_id": vid,
        "frame_id": fid,
        "start_s": window[0],
        "end_s": window[1],
        "text": text,
        "segment_ids": list(dict.fromkeys(p.segment_id for p in spoken)),
        "status": "paired" if reason is None else "dropped",
        "drop_reason": reason,
    }


def params_from(svc: Services) -> PairParams:
    return from_sections(PairParams, svc.settings.pair, languages=tuple(svc.settings.asr.allowed_languages))


SPEC = VideoStage(
    name=STAGE, version=VERSION, upstream=UPSTREAM, function=pair_frames, params=params_from,
    reads=("transcript_segment", "frame"), writes=("pair",),
    task=Task("pair_and_separate_cues", gate="gate_pairs_cues", pool="llm"),
)  # fmt: skip
