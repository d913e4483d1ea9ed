"""Caption tracks (WebVTT, SRT) as a transcript source: parsing, choosing a track, merging with ASR.

YouTube's automatic captions roll: each cue repeats the line before it, and a 10 ms cue between two
repeats it again, so a naive parse says every sentence two or three times. Lines already shown are
dropped here; a line keeps the time of the cue where it first appeared.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from ophin.domain.transcript import Segment, Transcript, Word

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_CUE_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")
_INLINE_TIME = re.compile(rf"<{_TIME}>")
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")  # HTML-ish cue tags, and SSA overrides ({\an8}) found in SRT
_ROLLING_MEMORY = 2  # auto-captions show at most two lines: a repeat is one of the last two shown


class SubtitleError(ValueError):
    """Not a caption file this parser reads."""


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    text: str
    words: tuple[Word, ...] = ()


def _seconds(h: str | None, m: str, s: str, frac: str) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(frac.ljust(3, "0")) / 1000


def _clean(line: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub("", line))).strip()


def _words(line: str, start_s: float, end_s: float) -> tuple[Word, ...]:
    """Word times from inline <00:00:01.280> tags (auto-captions carry one before each word)."""
    if not _INLINE_TIME.search(line):
        return ()
    pieces = _INLINE_TIME.split(line)
    # split() interleaves the text with the 4 groups of each tag: text, h, m, s, frac, text, ...
    times = [start_s] + [_seconds(*pieces[i : i + 4]) for i in range(1, len(pieces), 5)]
    texts = [_clean(pieces[i]) for i in range(0, len(pieces), 5)]
    out = []
    for i, (t, text) in enumerate(zip(times, texts, strict=True)):
        end = times[i + 1] if i + 1 < len(times) else end_s
        out += [Word(t, max(end, t), w) for w in text.split()]
    return tuple(out)


def parse_captions(text: str) -> list[Cue]:
    """WebVTT or SRT -> cues in time order, markup stripped, rolling repeats dropped."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    # Blocks end at an empty line; YouTube's lines holding one space are cue text, not separators.
    blocks = [b for b in re.split(r"\n{2,}", text) if b.strip()]
    if not blocks:
        return []
    if blocks[0].startswith("WEBVTT"):
        blocks = blocks[1:]
    elif not any(_CUE_TIMING.match(line) for line in blocks[0].split("\n")[:2]):
        raise SubtitleError("neither WebVTT nor SRT: no cue timing in the first block")
    cues: list[Cue] = []
    shown: list[str] = []
    for block in blocks:
        lines = block.split("\n")
        timing = next((i for i, line in enumerate(lines) if _CUE_TIMING.match(line)), None)
        if timing is None:  # NOTE, STYLE and REGION blocks, or a stray line
            continue
        g = _CUE_TIMING.match(lines[timing]).groups()  # type: ignore[union-attr]
        start, end = _seconds(*g[:4]), _seconds(*g[4:])
        for raw in lines[timing + 1 :]:
            line = _clean(raw)
            if not line or line in shown[-_ROLLING_MEMORY:]:
                continue
            shown.append(line)
            cues.append(Cue(start, max(end, start), line, _words(raw, start, end)))
    return sorted(cues, key=lambda c: c.start_s)


def captions_transcript(text: str, language: str | None, model: str) -> Transcript:
    cues = parse_captions(text)
    segments = tuple(Segment(c.start_s, c.end_s, c.text, c.words, source="subtitles") for c in cues)
    return Transcript(segments, language, model, backend="subtitles")


@dataclass(frozen=True)
class TrackChoice:
    language: str
    kind: str  # creator | automatic
    policy: str  # prefer | merge


def language_base(code: str | None) -> str:
    """ "en-US", "en-orig", "en_GB" -> "en": the spoken language, not the regional variant."""
    return re.split(r"[-_]", (code or "").lower(), maxsplit=1)[0]


def choose_track(
    tracks: list[tuple[str, str]],
    *,
    creator_policy: str,
    automatic_policy: str,
    allowed_languages: list[str],
    spoken_language: str | None,
) -> TrackChoice | None:
    """The caption track to use, from (language, kind) pairs, or None for ASR only.

    Creator tracks before automatic ones (people wrote them). A track must be in an allowed language
    and, when the audio's language was detected, in that language: creators upload translations too,
    and an English translation of a French lecture is not what was said.
    """
    allowed = {language_base(a) for a in allowed_languages}
    for kind, policy in (("creator", creator_policy), ("automatic", automatic_policy)):
        if policy == "ignore":
            continue
        for language, track_kind in sorted(tracks):
            base = language_base(language)
            if track_kind != kind or base not in allowed:
                continue
            if spoken_language and base != language_base(spoken_language):
                continue
            return TrackChoice(language, kind, policy)
    return None


def merge_segments(
    subtitles: tuple[Segment, ...], asr: tuple[Segment, ...], min_gap_s: float = 1.0
) -> tuple[Segment, ...]:
    """Captions where they have cues, ASR in the gaps between them (captions often skip the intro,
    an aside or the questions at the end).

    An ASR segment is kept when less than half of it overlaps caption cues and the uncovered part is
    at least min_gap_s: a segment half-heard by both would say its words twice.
    """
    spans = sorted((s.start_s, s.end_s) for s in subtitles)
    kept = list(subtitles)
    for seg in asr:
        length = seg.end_s - seg.start_s
        covered = sum(max(0.0, min(e, seg.end_s) - max(s, seg.start_s)) for s, e in spans)
        if length > 0 and covered < 0.5 * length and length - covered >= min_gap_s:
            kept.append(seg)
    return tuple(sorted(kept, key=lambda s: (s.start_s, s.end_s)))
