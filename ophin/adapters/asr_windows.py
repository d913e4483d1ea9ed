"""Long audio through any Transcriber in windows of bounded length, cut where it is quietest.

Every backend reads its whole input into memory, and faster-whisper also computes the spectrogram of all of
it at once: an hour of 16 kHz audio is 230 MB of float samples before the model sees any. Here the WAV the
transcribe stage extracted is read a window at a time (the `wave` module, never the whole file), each window
ends at the quietest 0.3 s of its last WINDOW_SEARCH_S seconds (a pause between sentences, so no word is cut),
is written to a scratch WAV, transcribed, and its times moved by its start. Decoding never conditions on the
previous text (asr settings), so a window loses nothing a whole-file pass would have used.
"""

from __future__ import annotations

import wave
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ophin.adapters.asr_base import Transcriber
from ophin.domain.transcript import Segment, Transcript

WINDOW_SEARCH_S = 30.0  # where, before a window's nominal end, its cut is looked for
QUIET_S = 0.3  # the stretch whose loudness is measured
HOP_S = 0.05


def quietest_point(samples: np.ndarray, rate: int) -> int:
    """Sample index in the middle of the quietest QUIET_S stretch of samples (16-bit mono); the last
    sample when they are shorter than that."""
    size, hop = max(1, int(QUIET_S * rate)), max(1, int(HOP_S * rate))
    if len(samples) <= size:
        return len(samples)
    energy = np.cumsum(np.concatenate([[0.0], samples.astype(np.float64) ** 2]))
    starts = np.arange(0, len(samples) - size + 1, hop)
    loudness = energy[starts + size] - energy[starts]
    return int(starts[int(np.argmin(loudness))] + size // 2)


def plan_windows(path: Path, window_s: float) -> list[tuple[int, int]]:
    """[start, end) sample ranges covering the WAV, none longer than window_s, each (but the last) ending
    at the quietest point of its last WINDOW_SEARCH_S seconds. Reads only those search regions."""
    with wave.open(str(path)) as w:
        rate, total = w.getframerate(), w.getnframes()
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise ValueError(f"{path.name}: expected 16-bit mono PCM")
        size, search = int(window_s * rate), int(min(WINDOW_SEARCH_S, window_s / 2) * rate)
        windows, start = [], 0
        while total - start > size:
            w.setpos(start + size - search)
            region = np.frombuffer(w.readframes(search), np.int16)
            end = start + size - search + quietest_point(region, rate)
            windows.append((start, end))
            start = end
        windows.append((start, total))
    return windows


def _write(path: Path, source: Path, start: int, end: int) -> Path:
    with wave.open(str(source)) as src, wave.open(str(path), "wb") as out:
        out.setparams(src.getparams())
        src.setpos(start)
        out.writeframes(src.readframes(end - start))
    return path


def _moved(segment: Segment, offset: float) -> Segment:
    words = tuple(replace(w, start_s=w.start_s + offset, end_s=w.end_s + offset) for w in segment.words)
    return replace(segment, start_s=segment.start_s + offset, end_s=segment.end_s + offset, words=words)


Prompt = Callable[[float, float], str | None]  # (start_s, end_s) of a window -> its decoding prompt


# A prompt can make Whisper close a 30 s chunk early on a lone timestamp and seek past the rest of it
# (bench: a noisy lecture lost 9-30 s under the biased prompt), or jump inside a segment from one word to a
# last one seconds later (a 14 s demo clip: "... with a sharp margin." at 6 s, then "No" at 13 s: two
# sentences lost). A stretch this long without a heard word inside the speech of a biased window triggers
# one decoding with no prompt at all (asr.initial_prompt misleads it as well), whose segments fill the gaps
# the biased one left.
SKIP_GAP_S = 6.0


def _heard(s: Segment) -> tuple[float, float]:
    """Where a segment's words were heard (its own bounds when it has no word times)."""
    return (s.words[0].start_s, s.words[-1].end_s) if s.words else (s.start_s, s.end_s)


def _gaps(t: Transcript) -> list[tuple[float, float]]:
    spans = [_heard(s) for s in t.segments]
    ends = [0.0] + [b for _, b in spans]
    starts = [a for a, _ in spans] + ([t.segments[-1].end_s] if t.segments else [])
    return [(a, b) for a, b in zip(ends, starts, strict=False) if b - a >= SKIP_GAP_S]


def _split(s: Segment) -> list[Segment]:
    """A segment cut where SKIP_GAP_S or more passed between two of its words (each part its own words)."""
    parts: list[list] = []
    for w in s.words:
        if parts and w.start_s - parts[-1][-1].end_s < SKIP_GAP_S:
            parts[-1].append(w)
        else:
            parts.append([w])
    if len(parts) < 2:
        return [s]
    out = []
    for p in parts:
        text = " ".join(w.text.strip() for w in p)
        out.append(replace(s, start_s=p[0].start_s, end_s=p[-1].end_s, text=text, words=tuple(p)))
    return out


def _transcribe(transcriber: Transcriber, audio: Path, prompt: str | None) -> Transcript:
    """Decoded under the prompt; where that left a long gap, the unprompted decoding's words fill it."""
    if prompt is None:
        return transcriber.transcribe(audio)
    biased = transcriber.transcribe(audio, prompt)
    pieces = replace(biased, segments=tuple(part for seg in biased.segments for part in _split(seg)))
    gaps = _gaps(pieces)
    if not gaps:
        return biased
    plain = transcriber.transcribe(audio, "")
    fill = [s for s in plain.segments if any(a <= (s.start_s + s.end_s) / 2 < b for a, b in gaps)]
    if not fill:
        return biased
    kept = [replace(s, end_s=_heard(s)[1]) if s.words else s for s in pieces.segments]
    segments = tuple(sorted((*kept, *fill), key=lambda s: s.start_s))
    filled = [[round(a, 2), round(b, 2)] for a, b in gaps]
    return replace(biased, segments=segments, params={**biased.params, "bias_gaps_filled": filled})


def transcribe_windows(
    transcriber: Transcriber,
    wav: Path,
    window_s: float | None,
    scratch: Path,
    prompt: Prompt | None = None,
) -> Transcript:
    """transcriber.transcribe(wav), window by window when the audio is longer than window_s (None or 0:
    the whole file at once), each under prompt(start_s, end_s) when given (asr_bias.py). The language is
    the one heard over most of the audio."""
    windows = plan_windows(wav, window_s) if window_s else []
    with wave.open(str(wav)) as w:
        rate, total = w.getframerate(), w.getnframes()
    if len(windows) <= 1:
        return _transcribe(transcriber, wav, prompt(0.0, total / rate) if prompt else None)
    parts: list[tuple[float, Transcript]] = []
    for n, (start, end) in enumerate(windows):
        chunk = _write(scratch / f"window-{n:04d}.wav", wav, start, end)
        try:
            text = prompt(start / rate, end / rate) if prompt else None
            parts.append((start / rate, _transcribe(transcriber, chunk, text)))
        finally:
            chunk.unlink(missing_ok=True)
    heard: Counter[str] = Counter()
    for (_, part), (start, end) in zip(parts, windows, strict=True):
        if part.language:
            heard[part.language] += end - start
    language = heard.most_common(1)[0][0] if heard else None
    probabilities = [
        p.language_probability for _, p in parts if p.language == language and p.language_probability
    ]
    first = parts[0][1]
    return Transcript(
        tuple(_moved(s, offset) for offset, part in parts for s in part.segments),
        language,
        first.model,
        windows[-1][1] / rate,
        backend=first.backend,
        params={**first.params, "window_s": window_s, "windows": len(windows)},
        language_probability=float(np.mean(probabilities)) if probabilities else None,
    )
