"""Domain-biased decoding: the prompt Whisper decodes every 30 s chunk under, from the domain lexicon and the
text of the slides on screen during the window (slide-aware ASR, as in SlideAVSR and DocWhisper).

Why every chunk: with condition_on_previous_text off (asr_faster_whisper.py: it avoids repetition loops),
both Whisper implementations drop `initial_prompt` after the first 30 s chunk, so a fixed prompt biased only
a lecture's first half minute. faster-whisper's `hotwords` and openai-whisper's `carry_initial_prompt` put the
prompt in front of every chunk.

Why OCR inside transcribe: transcription runs before keyframes (keyframes and pairing read the transcript's
times), so the slide text is read here from a few frames sampled in each window (one per
`asr.bias_slide_every_s`), with the same OCR adapter keyframes use, instead of reordering the stages. Only
words of the domain pack's lexicon (its labels and spellings, ophin/cues/lexicon.py, and the refiner's term
list) are taken from a slide: a burned-in patient name or date never reaches the decoder.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from ophin.cues.lexicon import ACRONYM, ANATOMY, DIAGNOSES, FINDINGS, MODALITIES, TERMS, find_terms
from ophin.text.tokens import HYPHENATED_WORD

log = logging.getLogger("ophin.stages")
MAX_FRAMES_PER_WINDOW = 30


@cache
def lexicon_terms() -> tuple[str, ...]:
    """The lexicon's labels, findings first (what a lecture names and Whisper mis-hears most); a label that is
    an acronym of the pack's (wording.json) in capitals."""
    out: list[str] = []
    for table in (FINDINGS, ANATOMY, DIAGNOSES, MODALITIES):
        out += [label.upper() if ACRONYM.match(label) else label for label in table]
    return tuple(out)


@cache
def _term_words() -> frozenset[str]:
    """Single words of the pack's term list (terms.txt, the refiner's vocabulary), five letters up."""
    from ophin.refine.vocabulary import load_terms_file

    return frozenset(w for t in load_terms_file() for w in re.split(r"[\s/-]+", t) if len(w) >= 5)


def slide_terms(text: str) -> list[str]:
    """Domain terms written on a slide, as spelled there, in reading order, each once."""
    found: list[tuple[int, str]] = [(m.start, m.text.lower()) for m in find_terms(text, TERMS)]
    found += [
        (m.start(), m.group(0).lower())
        for m in HYPHENATED_WORD.finditer(text)
        if m.group(0).lower() in _term_words()
    ]
    out: list[str] = []
    for _, term in sorted(found):
        term = " ".join(term.split())
        if term not in out and not any(term in t for t in out):
            out.append(term)
    return out


def build_prompt(base: str, slide: Iterable[str], max_terms: int) -> str:
    """The base sentences, then the slide's terms, then the lexicon's, each once, at most max_terms, each
    written as a sentence of its own ("Drusen. Optic disc.").

    Whisper continues the style of the text it is prompted with: after a comma-separated, lower-case list it
    writes run-on, comma-joined text, and sentences are what the pairing and cue stages split on (on the
    demo lectures: 16 commas and 7 full stops in a lecture's transcript with a list, 4 and 22 with
    sentences; "Notice the retinal vessels arching around the macula." heard whole instead of joined to the
    next sentence)."""
    seen = base.lower()
    terms: list[str] = []
    for term in (*slide, *lexicon_terms()):
        if len(terms) >= max_terms:
            break
        if term.lower() not in seen:
            terms.append(term)
            seen += f" {term.lower()}"
    return " ".join([base.strip(), *(f"{t[:1].upper()}{t[1:]}." for t in terms)]).strip()


def window_slide_terms(
    media: Any, ocr: Any, video: Path, start_s: float, end_s: float, every_s: float
) -> list[str]:
    """Terms on the frames shown during [start_s, end_s), one frame every every_s; none when the video has
    no picture or no OCR is installed (the lexicon prompt alone is used then)."""
    if ocr is None or end_s <= start_s:
        return []
    n = min(MAX_FRAMES_PER_WINDOW, max(1, int((end_s - start_s) // every_s)))
    times = [start_s + (k + 0.5) * (end_s - start_s) / n for k in range(n)]
    try:
        frames = media.frames_at(video, times)
    except Exception as exc:  # noqa: BLE001 - an audio-only file or a broken stream: no slide text, not a failure
        log.info("slide OCR for ASR skipped on %s: %s", video.name, exc)
        return []
    terms: list[str] = []
    for t in times:
        image = frames.get(t)
        if image is None:
            continue
        text = " ".join(w.text for w in ocr.words(image))
        terms += [term for term in slide_terms(text) if term not in terms]
    return terms
