"""Words the recogniser was unsure of: their probabilities carried onto sentences, and what they sound like.

Whisper hears a domain term it barely knows as a real English word ("drusen" as "bruising"); the vocabulary
rule cannot see that (the word is English), but the recogniser's own probability for it is low. Such a word,
sounding like a domain term in a clinical sentence, is corrected when one term is clearly meant, and its
sentence is dropped when the sound is close to a term but no single one is sure: never passed on silently.
Sound-alike matching is the vocabulary's one phonetic matcher (`Vocabulary.closest`: key + OSA distance).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ophin.refine.base import HeardWord, Refined, TranscriptRefiner
from ophin.refine.vocabulary import TermMatch, Vocabulary, phonetic_key
from ophin.text.fuzzy import matching_blocks, osa_distance

# Below this probability a recognised word is doubtful (refine.low_p overrides it). Seen on the demo
# narration: mis-heard terms at 0.10-0.30, correctly heard clinical words mostly above 0.4.
LOW_P = 0.4
# A correction needs the sound and the spelling both close: phonetic-key edits per key sound, letter edits
# per letter. "bruises" -> "druse": key PRS/TRS 1/3, letters 3/7.
FIX_KEY_RATIO = 0.34
FIX_LETTER_RATIO = 0.45
# Close enough to be a doubt (the sentence is dropped) though not to be fixed: "loosen" / "drusen" (2/4, 3/6).
DOUBT_KEY_RATIO = 0.5
DOUBT_LETTER_RATIO = 0.5
MIN_LETTERS = 4  # shorter words ("can", "the") sound like too many things
# Grammar words are heard at low probability in a garbled stretch ("no this retinal vessels", p 0.01), but a
# domain term is never mis-heard as one: doubting them ("this" / "ptosis") would drop good sentences.
FUNCTION_WORDS = frozenset(
    "this that these those there their they them then than with from into onto upon were where when what "
    "which while will would could should have here some very also only just been being does done each both "
    "over under about above below after before other such your ours more most much many same even".split()
)

# ASCII, as align_words normalises the heard words: the two sides must tokenise alike to match.
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")


@dataclass(frozen=True)
class Verdict:
    action: Literal["fix", "doubt"]
    term: str
    match: TermMatch


def _key_ratio(m: TermMatch, heard: str) -> float:
    return m.key_distance / max(len(phonetic_key(heard)), len(phonetic_key(m.term)), 1)


def sounds_like(vocab: Vocabulary, heard: str) -> Verdict | None:
    """ "fix" when one domain term is clearly what was said, "doubt" when a term is close but not sure,
    None when the word sounds like no domain term (it is then left as heard)."""
    letters = re.sub(r"[^a-z]", "", heard.lower())
    if len(letters) < MIN_LETTERS or letters in FUNCTION_WORDS:
        return None
    close = [
        m
        for m in vocab.closest(letters)
        if _key_ratio(m, letters) <= DOUBT_KEY_RATIO and m.distance / m.length <= DOUBT_LETTER_RATIO
    ]
    if not close:
        return None
    best = close[0]
    sure = _key_ratio(best, letters) <= FIX_KEY_RATIO and best.distance / best.length <= FIX_LETTER_RATIO
    # A spelling or number of the same term ("druse" / "drusen") is no rival; another term as close is.
    # A rival must sound as close as well: "retinal" is no rival to "neuroretinal" for "norretinal".
    rivals = [
        m
        for m in close[1:]
        if m.distance <= best.distance
        and m.key_distance <= best.key_distance
        and osa_distance(m.term, best.term) > 2
    ]
    return Verdict("fix" if sure and not rivals else "doubt", best.term, best)


def align_words(
    text: str, heard: Sequence[tuple[str, float | None]], start: int = 0, stop: int | None = None
) -> tuple[list[HeardWord], int]:
    """(spans in `text` of the recognised words (text, probability) heard[start:stop] it was made from,
    matched in order on their letters, punctuation and case aside; the index after the last word matched,
    or `start`). Words the text no longer holds are skipped; the text's own rewrites (a clause splitter's
    "macula, this" -> "macula. This") do not stop the others matching."""
    tokens = list(_TOKEN.finditer(text))
    stop = len(heard) if stop is None else min(stop, len(heard))
    heard_norm = [re.sub(r"[^a-z0-9']", "", w.lower()) for w, _ in heard[start:stop]]
    out: list[HeardWord] = []
    after = start
    for i, j, size in matching_blocks([t.group(0).lower() for t in tokens], heard_norm):
        for k in range(size):
            p = heard[start + j + k][1]
            if p is not None:
                t = tokens[i + k]
                out.append(HeardWord(t.start(), t.end(), float(p)))
            after = start + j + k + 1
    return out, after


def refine_window(
    refiner: TranscriptRefiner,
    sentences: Sequence[str],
    text: str,
    heard: Sequence[tuple[str, float | None]] = (),
) -> list[Refined]:
    """Each sentence of a window refined with the window as context and its own words' probabilities:
    the sentences are matched in order to the words heard, a cursor moving past each sentence's words."""
    out: list[Refined] = []
    cursor = 0
    for sentence in sentences:
        words: list[HeardWord] = []
        if heard:
            reach = cursor + 2 * len(_TOKEN.findall(sentence)) + 8  # a sentence never spans far more words
            words, cursor = align_words(sentence, heard, cursor, reach)
        out.append(refiner.refine(sentence, context=text, words=tuple(words)))
    return out
