"""Conservative, data-driven correction of ASR errors in domain terms: spacing, known mis-hearings (the pack's
refiner.json), out-of-vocabulary words mapped to the closest term, and a few guarded in-context confusions."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache

from ophin.cues.lexicon import TERMS, find_terms
from ophin.refine.base import (
    NEGATIONS,
    Correction,
    HeardWord,
    Refined,
    apply_corrections,
    keeps_invariants,
)
from ophin.refine.confidence import FUNCTION_WORDS, LOW_P, sounds_like
from ophin.refine.confusions import CONTEXT_RULES, HEAD_NOUNS, MISHEARD, UNITS
from ophin.refine.vocabulary import (
    DEFAULT_WORDLISTS,
    PREFIXES,
    WORD,
    TermMatch,
    Vocabulary,
    lexicon_expansions,
    load_english_words,
    load_terms_file,
    phonetic_key,
)
from ophin.text.fuzzy import osa_distance

# 2: a word in no list, in a clinical sentence, is corrected by sound; 3: real words that together sound like
# one multi-word term; 4: a real word heard low is rewritten only when it sounds the same as the term or is
# one letter off from the same first sound (otherwise its sentence is dropped); 5: a doubt cuts only its own
# comma-separated part of a sentence when the rest stands (rule "doubt-cut")
RULES_VERSION = "5"
# A word in no list is corrected by sound only this close in letters too (a real word heard low is judged by
# confidence.FIX_LETTER_RATIO): "disparatinal" is 5/12 from "subretinal", and was "the retinal".
UNKNOWN_FIX_RATIO = 0.3
# A hyphenated group of syllables may sit this far from its term (normalised OSA distance, <= 2 key edits).
HYPHENATED_MAX_DISTANCE = 0.36
HYPHENATED_MIN_LETTERS = 12
MAX_PASSES = 3  # a correction can supply the cue another word needed; passes run until nothing changes
# Real words heard for a multi-word term: phrases of up to this many words are compared with the terms.
PHRASE_MAX_WORDS = 4
PART_LETTER_RATIO = 0.25  # letter edits per letter of what differs: "frame" / "flame" 1/5
_SLIPPED = frozenset({"and", "an", "a", "the", "of", "in"})  # heard inside a term: "hard and exudates"
# A phrase may not start or end on one of these: "the optic disc" is "optic disc" said with its article.
_PHRASE_EDGES = (
    FUNCTION_WORDS
    | NEGATIONS
    | frozenset("a an the and or of in on at to is are was it its as by for his her he she we you i".split())
)

_DIGITS = re.compile(r"\d")


@dataclass(frozen=True)
class _Doubt:
    """A doubtful word no rule could settle: why, where (raw offsets) and how sure the recogniser was."""

    reason: str
    start: int
    end: int
    probability: float


@dataclass(frozen=True)
class _Edit:
    rule: str
    start: int
    end: int
    after: str
    probability: float | None = None


@dataclass
class _Pass:
    """One pass over a sentence: the edits so far and lazily computed cues."""

    text: str
    context: str
    context_cue: Callable[[str], bool]  # cached per context string; called only when a rule needs a cue
    vocab: Vocabulary
    locked: list[tuple[int, int]]  # what earlier passes wrote: enclosed whole or left alone
    edits: list[_Edit] = field(default_factory=list)
    _term_spans: list[tuple[int, int]] | None = None

    @property
    def term_spans(self) -> list[tuple[int, int]]:
        if self._term_spans is None:
            self._term_spans = [(m.start, m.end) for m in find_terms(self.text, TERMS)]
        return self._term_spans

    def free(self, start: int, end: int) -> bool:
        """Not overlapping this pass's edits; an earlier pass's output may only be enclosed whole (its
        correction is then merged into the new one), never cut."""
        if any(start < e.end and end > e.start for e in self.edits):
            return False
        return all(end <= s or start >= e or (start <= s and e <= end) for s, e in self.locked)

    def in_term(self, start: int, end: int) -> bool:
        return any(start < e and end > s for s, e in self.term_spans)

    def has_cue(self, start: int, end: int) -> bool:
        """A domain term in the context, or in the sentence outside [start, end)."""
        if self.context_cue(self.context):
            return True
        if any(e <= start or s >= end for s, e in self.term_spans):
            return True
        return any(
            (m.end() <= start or m.start() >= end) and m.group(0).lower() in self.vocab.jargon
            for m in WORD.finditer(self.text)
        )

    def add(self, rule: str, start: int, end: int, after: str, probability: float | None = None) -> bool:
        before = self.text[start:end]
        if before != after and self.free(start, end) and keeps_invariants(before, after):
            self.edits.append(_Edit(rule, start, end, after, probability))
            return True
        return False


class LexiconRefiner:
    """Deterministic, fast (no model) and conservative: a word is changed only when a rule is sure."""

    name = "lexicon-refiner"

    def __init__(
        self, vocabulary: Vocabulary | None = None, max_distance: float = 0.2, low_p: float = LOW_P
    ) -> None:
        self.vocab = vocabulary if vocabulary is not None else refiner_vocabulary()
        self.max_distance = max_distance
        self.low_p = low_p  # a recognised word below this probability is doubtful (refine.low_p)
        tables = repr(
            (
                MISHEARD,
                CONTEXT_RULES,
                sorted(HEAD_NOUNS),
                sorted(UNITS),
                max_distance,
                HYPHENATED_MAX_DISTANCE,
                HYPHENATED_MIN_LETTERS,
                low_p,
            )
        )
        digest = hashlib.sha256(f"{tables}|{self.vocab.digest}".encode()).hexdigest()[:10]
        self.version = f"{RULES_VERSION}+{digest}"  # rule code changes bump RULES_VERSION
        self._misheard = [(m, _word_regex(m.heard)) for m in MISHEARD]
        self._context = [
            (c, _word_regex(c.heard), _word_regex(c.needs), _word_regex(c.vetoes)) for c in CONTEXT_RULES
        ]
        self._context_cue = lru_cache(maxsize=256)(self._has_context_cue)
        self._ngrams = _phrase_ngrams(self.vocab.phrases)
        # Short known words are function words inside phrases ("dot and blot"), not nouns.
        self._noun_heads = HEAD_NOUNS | {w for w in self.vocab.known if len(w) >= 4}

    def __repr__(self) -> str:
        return f"LexiconRefiner(version={self.version!r})"

    def refine(self, sentence: str, context: str = "", words: tuple[HeardWord, ...] = ()) -> Refined:
        # The context is for cues only; a caller passing the whole window must not let a word cue itself.
        context = context.replace(sentence, " ") if sentence.strip() else context
        text = sentence
        locked: list[tuple[int, int]] = []
        applied: list[list[_Edit]] = []
        doubts: list[_Doubt] = []
        for n in range(MAX_PASSES):
            p = _Pass(text, context, self._context_cue, self.vocab, locked)
            self._apply_misheard(p)
            self._apply_context(p, context)
            self._apply_vocabulary(p)
            if n == 0:  # probabilities are of the words as heard: the first pass's text
                doubts = self._apply_uncertain(p, words)
            self._apply_spacing(p)
            if not p.edits:
                break
            applied.append(sorted(p.edits, key=lambda e: e.start))
            text, locked = _splice(text, applied[-1], locked)
        # Last, on the settled text (after joins like "papillo macular"): words still in no list.
        p = _Pass(text, context, self._context_cue, self.vocab, locked)
        self._apply_unknown(p)
        self._apply_phrases(p)
        if p.edits:
            applied.append(sorted(p.edits, key=lambda e: e.start))
        corrections = tuple(sorted(_to_raw(sentence, applied), key=lambda c: c.start))
        cut = self._cut(sentence, corrections, doubts, words) if doubts else None
        if cut is not None:
            corrections = cut
        dropped = "; ".join(d.reason for d in doubts) if doubts and cut is None else None
        return Refined(
            raw=sentence,
            text=apply_corrections(sentence, corrections),
            corrections=corrections,
            dropped=dropped,
        )

    # --- rules -------------------------------------------------------------------------------------------

    def _apply_misheard(self, p: _Pass) -> None:
        for entry, pattern in self._misheard:
            for m in pattern.finditer(p.text):
                start, end = m.span("w") if "w" in pattern.groupindex else m.span()
                if not p.has_cue(start, end):
                    continue
                said = entry.said
                if entry.said_before_noun and _next_word(p.text, end) in self._noun_heads:
                    said = entry.said_before_noun
                p.add("misheard", start, end, _match_case(p.text[start:end], said))

    def _apply_context(self, p: _Pass, context: str) -> None:
        for rule, heard, needs, vetoes in self._context:
            matches = list(heard.finditer(p.text))
            if not matches or vetoes.search(p.text) or vetoes.search(context):
                continue
            for m in matches:
                start, end = m.span("w")
                outside = p.text[: m.start()] + " " + p.text[m.end() :]
                if needs.search(outside) and p.has_cue(start, end) and not p.in_term(start, end):
                    p.add("context", start, end, _match_case(p.text[start:end], rule.said))

    def _apply_vocabulary(self, p: _Pass) -> None:
        if not self.vocab.english.words:
            return  # without an English list every word looks unknown: the rule would be a guess
        tokens = list(WORD.finditer(p.text))
        for i in range(len(tokens)):
            if not self._suspect(p, tokens, i):
                continue
            fix = self._best_span(p, tokens, i)
            if fix is not None and p.has_cue(fix[0], fix[1]):
                start, end, term = fix
                p.add("vocabulary", start, end, _match_case(p.text[start:end], term))

    def _cut(
        self,
        raw: str,
        corrections: tuple[Correction, ...],
        doubts: list[_Doubt],
        words: tuple[HeardWord, ...],
    ) -> tuple[Correction, ...] | None:
        """cut_doubts, when what it keeps was heard surely: no other word below low_p and none in no word
        list (errors come in stretches: the words beside a doubt are often garbled too)."""
        cut = cut_doubts(raw, corrections, doubts)
        if cut is None:
            return None
        gone = [(c.start, c.end) for c in cut if c.rule == "doubt-cut"]
        unsure = any(w.probability < self.low_p and not any(s <= w.start < e for s, e in gone) for w in words)
        if unsure or not all(
            self.vocab.is_word(m.group(0)) for m in WORD.finditer(apply_corrections(raw, cut))
        ):
            return None
        return cut

    def _apply_uncertain(self, p: _Pass, words: tuple[HeardWord, ...]) -> list[_Doubt]:
        """A real word heard with low probability that sounds like a domain term, in a clinical sentence:
        corrected when one term is clearly meant; otherwise a doubt (returned) that cuts its part of the
        sentence or drops the sentence (cut_doubts). Words heard with confidence, and doubtful ones that sound
        like no term, stay as heard."""
        doubts: list[_Doubt] = []
        for w in words:
            word = p.text[w.start : w.end]
            if w.probability >= self.low_p or not WORD.fullmatch(word) or not self.vocab.is_word(word):
                continue  # confident, or not a word: the vocabulary rule judges non-words
            if word.lower() in NEGATIONS or self.vocab.is_known(word) or p.in_term(w.start, w.end):
                continue  # a domain word heard as such, or a fact the refiner never touches
            if any(e.start < w.end and w.start < e.end for e in p.edits) or not p.has_cue(w.start, w.end):
                continue  # another rule settled it, or nothing clinical around it
            verdict = sounds_like(self.vocab, word)
            if verdict is None:
                continue
            after = _match_case(word, verdict.term)
            if verdict.action == "fix" and _real_word_fix(word.lower(), verdict.match):
                if p.add("low-confidence", w.start, w.end, after, round(w.probability, 3)):
                    continue
            reason = f"doubtful word {word!r} (p={w.probability:.2f}) sounds like {verdict.term!r}"
            doubts.append(_Doubt(reason, w.start, w.end, w.probability))
        return doubts

    def _apply_unknown(self, p: _Pass) -> None:
        """A word in no word list that the spelling rule left, in a clinical sentence: corrected when it
        clearly sounds like one domain term ("exudats"). Otherwise it stays as heard: the sentence is not
        dropped, because a garbled word often sits beside the finding the image is about ("a dark cystic
        space within the dinnerette, consistent with macular edema": dropping it cost the demo's macular
        lecture its only key finding, 0.85 -> 0.54 key-finding recall); the verifier's vocabulary check
        refuses a record that repeats the word, and a record that carries the finding without it is kept.
        Names, acronyms and words near digits are left to the PHI and vocabulary checks."""
        if not self.vocab.english.words:
            return
        tokens = list(WORD.finditer(p.text))
        for i, tok in enumerate(tokens):
            start, end = tok.span()
            if not self._suspect(p, tokens, i) or not p.has_cue(start, end):
                continue
            if any(e.start < end and start < e.end for e in p.edits):
                continue  # the spelling rule settled it
            word = tok.group(0)
            verdict = sounds_like(self.vocab, word)
            if (
                verdict is not None
                and verdict.action == "fix"
                and _letter_ratio(verdict.match) <= UNKNOWN_FIX_RATIO
            ):
                p.add("sound-alike", start, end, _match_case(word, verdict.term))

    def _apply_phrases(self, p: _Pass) -> None:
        """Real words that together sound like one multi-word domain term, in a clinical sentence ("hard and
        exudates" -> "hard exudates", "frame hemorrhages" -> "flame hemorrhages"): every word is English, so
        no word rule sees them. Corrected only when the phrase clearly sounds and spells like that one term
        (confidence.sounds_like says "fix"), has its number of words or one more and shares a word with
        it, starts and ends on content words, and changes more than a spelling or a plural. Longer phrases
        first; a phrase never crosses punctuation. "Cup and wool spots" (two sounds from "cotton") stays."""
        tokens = list(WORD.finditer(p.text))
        for width in range(PHRASE_MAX_WORDS, 1, -1):
            for i in range(len(tokens) - width + 1):
                span = tokens[i : i + width]
                start, end = span[0].start(), span[-1].end()
                words = [t.group(0).lower() for t in span]
                if words[0] in _PHRASE_EDGES or words[-1] in _PHRASE_EDGES:
                    continue
                if any(p.text[a.end() : b.start()] != " " for a, b in zip(span, span[1:], strict=False)):
                    continue
                if not p.free(start, end) or not p.has_cue(start, end):
                    continue
                verdict = sounds_like(self.vocab, " ".join(words))
                if verdict is None or verdict.action != "fix" or verdict.match.distance <= 1:
                    continue
                target = verdict.term.split()
                stems = {_stem(w) for w in target}
                heard = [_stem(w) for w in words]
                # A term is never lengthened ("nerve fibre" is no mishearing of "nerve fiber layer").
                if len(target) < 2 or not width - 1 <= len(target) <= width or not stems & set(heard):
                    continue
                if set(heard) <= stems:
                    continue  # the term's own words, reordered or pluralised: nothing misheard
                # What differs must sound the same but for one sound, from its first sound, and be spelt
                # nearly so ("frame" / "flame"), or be a word slipped into the term ("hard and exudates").
                # Real words are as near as most mishearings ("early" / "age-related", "first" / "fundus",
                # "vessel" / "vascular": two sounds; "the macular sits" / "macular star": one sound, two
                # letters of four), so the rule takes only the nearest.
                heard_only = "".join(s for s in heard if s not in stems)
                said_only = "".join(_stem(w) for w in target if _stem(w) not in heard)
                if said_only:
                    # The same sounds ("hammerage" / "haemorrhage": HMRJ) need no spelling test.
                    a, b = phonetic_key(heard_only), phonetic_key(said_only)
                    near = osa_distance(heard_only, said_only) <= PART_LETTER_RATIO * len(said_only)
                    if a[:1] != b[:1] or osa_distance(a, b) > 1 or (a != b and not near):
                        continue
                elif heard_only not in _SLIPPED:
                    continue
                plural = words[-1].endswith("s") and not verdict.term.endswith("s")
                after = verdict.term + ("s" if plural else "")
                p.add("sound-alike phrase", start, end, _match_case(p.text[start:end], after))

    def _suspect(self, p: _Pass, tokens: list[re.Match[str]], i: int) -> bool:
        tok = tokens[i]
        word = tok.group(0)
        if len(word) < 5 or self.vocab.is_word(word) or not p.free(*tok.span()):
            return False
        if word[1:] != word[1:].lower() or (word[0].isupper() and i > 0):
            return False  # acronyms, CamelCase, and capitalised names mid-sentence
        around = p.text[max(tok.start() - 1, 0) : tok.end() + 1]
        return not _DIGITS.search(around) and not p.in_term(*tok.span())

    def _best_span(self, p: _Pass, tokens: list[re.Match[str]], i: int) -> tuple[int, int, str] | None:
        """The heard word alone, else joined with a neighbour or two ('papillo edema'); a word inside a
        hyphenated group ('neo-vasculer-ization') is judged with its whole group. One answer or none."""
        lo, hi = i, i
        while lo > 0 and p.text[tokens[lo - 1].end() : tokens[lo].start()] == "-":
            lo -= 1
        while hi + 1 < len(tokens) and p.text[tokens[hi].end() : tokens[hi + 1].start()] == "-":
            hi += 1
        if hi > lo:
            group = tokens[lo : hi + 1]
            fix = self._span_fix(p, group, i, hyphenated=True)
            others_fine = all(self.vocab.is_word(t.group(0)) for t in group if t is not tokens[i])
            return fix if fix or not others_fine else self._span_fix(p, [tokens[i]], i)
        for width in (1, 2, 3):
            found: set[tuple[int, int, str]] = set()
            for start in range(i - width + 1, i + 1):
                span = tokens[start : start + width] if start >= 0 else []
                if len(span) == width and _joinable(p.text, span):
                    fix = self._span_fix(p, span, i)
                    if fix:
                        found.add(fix)
            if len(found) == 1:
                return found.pop()
            if found:
                return None
        return None

    def _span_fix(
        self, p: _Pass, span: list[re.Match[str]], i: int, hyphenated: bool = False
    ) -> tuple[int, int, str] | None:
        words = [t.group(0) for t in span]
        if any(w.lower() in NEGATIONS for w in words) or not all(p.free(*t.span()) for t in span):
            return None
        term = self._unambiguous("".join(words), hyphenated)
        if term is None:
            return None
        # Known words may be glued into a term ('papillo edema'), never rewritten.
        if any(p.in_term(*t.span()) and t.group(0).lower() not in term for t in span):
            return None
        return span[0].start(), span[-1].end(), term

    def _unambiguous(self, heard: str, hyphenated: bool = False) -> str | None:
        """The one term the heard letters are close to in spelling and sound, or None. Whisper hyphenates
        the syllables of a word it does not know ('big-man-tempifalial'), so a whole hyphenated group may
        be further from its term, provided it is long and nothing else comes near."""
        matches = self.vocab.closest(heard)
        if not matches:
            return None
        best = matches[0]
        if best.distance == 0:
            return best.term
        others = [m for m in matches[1:] if m.term != best.term]
        if hyphenated and best.length >= HYPHENATED_MIN_LETTERS:
            if best.distance / best.length > HYPHENATED_MAX_DISTANCE or best.key_distance > 2:
                return None
            # A spelling variant of the best term (-isation / -ization) heard less well is no rival.
            rivals = [m for m in others if m.distance == best.distance or osa_distance(m.term, best.term) > 2]
            if any(m.distance / m.length <= 2 * HYPHENATED_MAX_DISTANCE for m in rivals):
                return None
        else:
            if best.distance / best.length > self.max_distance or best.key_distance > 1:
                return None
            if any(m.distance <= best.distance for m in others):
                return None
        return None if _sibling(heard.lower(), best) else best.term

    def _apply_spacing(self, p: _Pass) -> None:
        replaced = {(e.start, e.end): e.after for e in p.edits}
        for m in _HYPHEN_GAP.finditer(p.text):
            left = _word_before(p.text, m.start(), replaced)
            right = _word_after(p.text, m.end() - 1, replaced)
            if left and right and self._compound(p.text, m.start(), left, right, replaced):
                p.add("spacing", m.start(), m.end(), "-")
        for pattern, after in _SPACING:
            for m in pattern.finditer(p.text):
                p.add("spacing", m.start(), m.end(), after)

    def _compound(
        self, text: str, gap: int, left: str, right: str, replaced: dict[tuple[int, int], str]
    ) -> bool:
        lo, hi = left.lower(), right.lower()
        if lo.isdigit():
            return hi in UNITS
        if lo in UNITS and hi == "old":
            return True
        if lo in PREFIXES:
            return len(hi) >= 4 and self.vocab.is_word(hi)
        if len(lo + hi) >= 5 and self.vocab.is_word(lo + hi):
            return True
        return " ".join(_hyphen_chain(text, gap, replaced)).lower() in self._ngrams

    @staticmethod
    def _has_context_cue(context: str) -> bool:
        return bool(context.strip()) and bool(find_terms(context, TERMS))


# --- helpers -----------------------------------------------------------------------------------------------

_HYPHEN_GAP = re.compile(r"(?<=[A-Za-z0-9]) +-(?=[A-Za-z])")
_SPACING: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<=\d) +\.(?=\d)"), "."),  # "0 .8" -> "0.8"
    (re.compile(r"(?<=\d)(?: +/ *|/ +)(?=\d)"), "/"),  # "20 / 40" -> "20/40"
    (re.compile(r"(?<=[A-Za-z0-9)\]'\"]) +(?=[,;:!?%)]|\.(?!\d))"), ""),  # "retina ." -> "retina."
)


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _word_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w'])(?:{pattern})(?![\w'])", re.IGNORECASE)


def _match_case(heard: str, said: str) -> str:
    if len(heard) > 1 and heard.isupper():
        return said.upper()
    if heard[:1].isupper():
        return said[:1].upper() + said[1:]
    return said


def _next_word(text: str, end: int) -> str:
    m = re.match(r"\s+([A-Za-z]+)", text[end:])
    return m.group(1).lower() if m else ""


def _joinable(text: str, span: list[re.Match[str]]) -> bool:
    return all(
        re.fullmatch(r" ?-?|-", text[a.end() : b.start()]) for a, b in zip(span, span[1:], strict=False)
    )


def _letter_ratio(match: TermMatch) -> float:
    return match.distance / max(match.length, 1)


def _real_word_fix(heard: str, match: TermMatch) -> bool:
    """Whether a real English word heard with low probability may be rewritten as the term, rather than
    doubted: only when it sounds the same ("foal" / "foveal") or is one letter off from the same first
    sound ("corner" / "cornea"). A real word is evidence in itself: on the dev set every low-confidence
    rewrite one sound away was a word the lecturer said ("dense" -> "druse", "glare" -> "flare",
    "filling" heard as "feeling" -> "pooling": 5 of 7 rewrites wrong, each a finding nobody named)."""
    if _sibling(heard, match):
        return False
    if match.key_distance == 0:
        return True
    first = phonetic_key(heard)[:1], phonetic_key(match.term)[:1]
    return match.distance <= 1 and first[0] == first[1]


def _sibling(heard: str, match: TermMatch) -> bool:
    """Another word of the term's family, not a mis-hearing of it: a different derivational ending
    ('angiographic' / 'angiography', 'stroma' / 'stromal') or a contrasting prefix ('esotropia' /
    'exotropia', 'hypo-' / 'hyper-')."""
    target = match.term.replace(" ", "").replace("-", "")
    k = 0
    while k < min(len(heard), len(target)) and heard[k] == target[k]:
        k += 1
    if any(heard[j:] in _ENDINGS and target[j:] in _ENDINGS for j in range(max(k - 5, 0), k + 1)):
        return True
    return any(
        heard.startswith(a) and target.startswith(b) and heard[len(a) :] == target[len(b) :]
        for a in _CONTRASTS
        for b in _CONTRASTS
        if a != b
    )


_ENDINGS = frozenset(
    "s es e a ae i y ia ic al ar ical ally ies is us um on ous ly ed ing ity ism ist ise ize ation gram "
    "graphy graphic scope scopy scopic itis itic osis otic oid n an ine".split()
) | {""}
# Prefixes that make a different word, not a different spelling.
_CONTRASTS = frozenset(
    "hyper hypo eso exo en ex endo epi intra inter extra sub supra infra pre post peri para iso aniso a an "
    "dys hemi pan micro macro mono bi poly uni in".split()
)


def _word_before(text: str, pos: int, replaced: dict[tuple[int, int], str]) -> str:
    m = re.search(r"[A-Za-z0-9]+$", text[:pos])
    return replaced.get(m.span(), m.group(0)) if m else ""


def _word_after(text: str, pos: int, replaced: dict[tuple[int, int], str]) -> str:
    m = re.match(r"[A-Za-z0-9]+", text[pos + 1 :])
    if not m:
        return ""
    span = (pos + 1 + m.start(), pos + 1 + m.end())
    return replaced.get(span, m.group(0))


def _hyphen_chain(text: str, gap: int, replaced: dict[tuple[int, int], str]) -> list[str]:
    """The words linked by hyphens (spaced or not) around a gap: 'cup -to -disc' -> cup, to, disc."""
    words = list(re.finditer(r"[A-Za-z0-9']+", text))
    idx = next((k for k, w in enumerate(words) if w.end() <= gap and text[w.end() : gap].strip() == ""), None)
    if idx is None:
        return []
    lo = hi = idx
    while lo > 0 and re.fullmatch(r" *-", text[words[lo - 1].end() : words[lo].start()]):
        lo -= 1
    while hi + 1 < len(words) and re.fullmatch(r" *-", text[words[hi].end() : words[hi + 1].start()]):
        hi += 1
    return [replaced.get(w.span(), w.group(0)) for w in words[lo : hi + 1]]


def _phrase_ngrams(phrases: frozenset[str]) -> frozenset[str]:
    """Every run of two or more words inside a known phrase: 'cup to disc' from 'cup-to-disc ratio'."""
    out: set[str] = set()
    for phrase in phrases:
        words = [w for w in re.split(r"[\s-]+", phrase) if w]
        for n in range(2, len(words) + 1):
            out.update(" ".join(words[k : k + n]) for k in range(len(words) - n + 1))
    return frozenset(out)


def _splice(
    text: str, edits: list[_Edit], locked: list[tuple[int, int]]
) -> tuple[str, list[tuple[int, int]]]:
    """Apply sorted edits; return the new text and the spans (in it) that edits have written so far."""
    out: list[str] = []
    pos = 0
    for e in edits:
        out += [text[pos : e.start], e.after]
        pos = e.end

    def moved(x: int) -> int:  # x is never inside an edit: spans are enclosed whole or left alone
        return x + sum(len(e.after) - (e.end - e.start) for e in edits if e.end <= x)

    kept = [(moved(s), moved(t)) for s, t in locked if not any(e.start <= s and t <= e.end for e in edits)]
    written = [(moved(e.start), moved(e.start) + len(e.after)) for e in edits]
    return "".join(out) + text[pos:], kept + written


def _to_raw(raw: str, passes: list[list[_Edit]]) -> list[Correction]:
    """Map every pass's edits back to offsets in the raw sentence. A later edit never cuts what an earlier
    pass wrote; one that encloses it whole ('papillo' + corrected 'macular') replaces its correction."""
    done: list[Correction] = []
    for edits in passes:
        mapped = [(e, _raw_offset(e.start, done), _raw_offset(e.end, done)) for e in edits]
        new = [
            Correction(e.rule, raw[start:end], e.after, start, end, e.probability) for e, start, end in mapped
        ]
        done = [c for c in done if not any(n.start <= c.start and c.end <= n.end for n in new)] + new
    return done


def _raw_offset(pos: int, done: list[Correction]) -> int:
    """Position in the current text -> position in the raw text, given the corrections already applied."""
    shift = 0
    for c in sorted(done, key=lambda c: c.start):
        if pos <= c.start + shift:
            break
        shift += len(c.after) - (c.end - c.start)
    return pos - shift


@cache
def refiner_vocabulary(wordlists: tuple[str, ...] = DEFAULT_WORDLISTS) -> Vocabulary:
    """Shipped terms as targets; the cue lexicon's spellings as known words, minus the known mis-hearings
    the lexicon tolerates for scoring ('fovee')."""
    misheard = re.compile("|".join(f"(?:{m.heard})" for m in MISHEARD), re.IGNORECASE)
    known = [k for k in lexicon_expansions() if not any(misheard.fullmatch(w) for w in k.split())]
    return Vocabulary(load_terms_file(), load_english_words(wordlists), known_extra=known)


# A sentence's parts between commas and semicolons (from their first non-blank): what a doubt may cut
# without touching the rest.
_PART = re.compile(r"[^,;\s][^,;]*")
MIN_KEPT_WORDS = 3  # what is left of a sentence after a cut must say something


def cut_doubts(
    raw: str, corrections: tuple[Correction, ...], doubts: list[_Doubt]
) -> tuple[Correction, ...] | None:
    """The corrections with each doubtful word's comma-separated part of the sentence cut out (rule
    "doubt-cut"), or None when the sentence must be dropped instead: it is one part, what is left says too
    little, or a part to cut holds a digit or a negation (facts are never cut away) or is crossed by
    another correction. "The disc shows marked cupping, with a large cup feeling most of it, and a thin rim."
    loses only its middle part: the doubt ("feeling", for "filling") is not passed on, the findings are."""
    parts = [m.span() for m in _PART.finditer(raw) if WORD.search(m.group(0))]
    doomed = sorted({i for d in doubts for i, (s, e) in enumerate(parts) if s <= d.start < e})
    kept = [raw[s:e] for i, (s, e) in enumerate(parts) if i not in doomed]
    if len(parts) < 2 or sum(len(WORD.findall(k)) for k in kept) < MIN_KEPT_WORDS:
        return None
    cuts: list[Correction] = []
    for i in doomed:
        start, end = parts[i]
        if i > 0:
            start = parts[i - 1][1]  # the delimiter before it goes with it
            if i == len(parts) - 1 and raw[end - 1] in ".?!":
                end -= 1  # the sentence keeps its full stop
        else:
            end = parts[1][0]  # up to where the next part begins
        if cuts and cuts[-1].end >= start:  # neighbouring parts: one cut
            start = cuts.pop().start
        probability = min(d.probability for d in doubts if start <= d.start < end)
        cuts.append(Correction("doubt-cut", raw[start:end], "", start, end, round(probability, 3)))
    if cuts[0].start == 0 and cuts[0].end < len(raw) and raw[cuts[0].end].islower():
        first = cuts[0]  # the part that now begins the sentence begins it with a capital
        cuts[0] = Correction(
            first.rule, raw[: first.end + 1], raw[first.end].upper(), 0, first.end + 1, first.probability
        )
    if not all(keeps_invariants(c.before, "") for c in cuts):
        return None
    inside = [c for c in corrections if any(x.start <= c.start and c.end <= x.end for x in cuts)]
    if any(c.start < x.end and x.start < c.end for c in corrections if c not in inside for x in cuts):
        return None
    return tuple(sorted([*(c for c in corrections if c not in inside), *cuts], key=lambda c: c.start))
