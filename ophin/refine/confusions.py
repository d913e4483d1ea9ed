"""Data for the lexicon refiner: known mis-hearings of ophthalmic terms and guarded in-context confusions.

Each entry is a confusion typical of ASR on ophthalmology talks (with a note saying why), not a list of one
corpus's errors. Editing this file changes LexiconRefiner.version, so refined text is recomputed."""

from __future__ import annotations

from dataclasses import dataclass

# Words after which "maculars" was the adjective: "the maculars oedema" -> "the macular oedema".
HEAD_NOUNS = frozenset(
    "region area zone edema oedema hole degeneration thickness thickening function pigment star scar pucker "
    "changes change involvement lesion lesions disease dystrophy scan scans".split()
)
UNITS = frozenset(
    "year years month months week weeks day days hour hours minute minutes fold degree degrees micron "
    "microns line lines dioptre dioptres diopter diopters mm".split()
)


@dataclass(frozen=True)
class Misheard:
    """A known mis-hearing; `heard` is a regex (case-insensitive, word-bounded) whose group `w`, or whole
    match, is replaced. Applies only when an ophthalmic cue is present outside the heard span."""

    heard: str
    said: str
    said_before_noun: str | None = None  # adjective form, used when a noun follows
    note: str = ""


# Each entry is a confusion seen in ASR of ophthalmology talks, not a list of one corpus's errors.
MISHEARD: tuple[Misheard, ...] = (
    Misheard(
        "fove[ei]|fovia", "fovea", note="final schwa of 'fovea' written -ee/-ei/-ia (lexicon notes 'fovee')"
    ),
    Misheard("maculars", "macula", "macular", note="'macula'/'macular' + liaison; not an English word"),
    Misheard(
        "conductival", "conjunctival", note="'conjunctival' with j->d; the vocabulary rule finds it too"
    ),
    Misheard("slit[ -]length|slit[ -]lamb|split[ -]lamp", "slit-lamp", note="'lamp' after 'slit' mis-heard"),
    Misheard("drusin|druzen|drusan|drucen", "drusen", note="'drusen' is in no general vocabulary"),
    Misheard(
        r"(?:brooks?|bruce|brush)(?:'s|s'|')? membrane",
        "Bruch's membrane",
        note="eponym heard as a name/word",
    ),
    Misheard(r"cotton[ -]wall", "cotton wool", note="'wool' heard as 'wall'"),
    Misheard(
        r"heart(?: and)? exudates?",
        "hard exudates",
        note="'hard exudates' is a stock phrase; 'hard' before a vowel is heard as 'heart (and)'",
    ),
    Misheard(
        r"blood(?=[ -]ha?emorrhages?\b)",
        "blot",
        note="'dot-blot haemorrhages': 'blot' heard as the commoner 'blood' right before the noun",
    ),
    Misheard(
        r"piece[ -]can|bee[ -]scan|b[ -]scan",
        "B-scan",
        note="'B-scan' split into a word and 'can'/'scan' when the hyphen is not heard",
    ),
    Misheard(
        r"(?P<w>ocd)(?=[ -](?:scans?|images?|angiograph\w*|b-scans?|machine)\b)",
        "OCT",
        note="'OCT' heard as the commoner acronym 'OCD' when a scan is named",
    ),
)


@dataclass(frozen=True)
class ContextRule:
    """A real English word that is a mis-hearing only in an ophthalmic sentence: `needs` must match the
    sentence outside the heard span, `vetoes` must match neither sentence nor context."""

    heard: str
    said: str
    needs: str
    vetoes: str
    note: str = ""


CONTEXT_RULES: tuple[ContextRule, ...] = (
    ContextRule(
        heard=r"(?P<w>bruising)",
        said="drusen",
        needs=r"bumps?|deposits?|yellow\w*|macula[re]?|retina[ls]?|rpe|bruch\w*|pigment epithelium|oct"
        r"|fundus|elevations?|excrescences?|age-related|amd",
        vetoes=r"eyelids?|lids?|skin|periorbital|orbit\w*|trauma\w*|injur\w*|blows?|falls?|fell|bruise[sd]?"
        r"|black eye|anticoagula\w*|warfarin|aspirin|face|facial|cheeks?|surgery|surgical|post-?op\w*"
        r"|subconjunctival|bleeding|blood|haemorrhag\w*|hemorrhag\w*",
        note="Whisper hears 'drusen' (absent from its vocabulary) as 'bruising'",
    ),
    ContextRule(
        heard=r"white (?P<w>clear)(?=\s*(?:[.,;:!?]|$|and\b|or\b|with\b|where\b))",
        said="sclera",
        needs=r"conjunctiva\w*|episcler\w*|vessels?|inject\w*|redness|red eye|limb\w*|cornea\w*|eyes?",
        vetoes=r"discharge|fluid|liquid|secretions?|mucus|tears|lens|cataract|vitreous|media",
        note="'white sclera' at the end of a phrase heard as 'white clear'",
    ),
    ContextRule(
        heard=r"the (?P<w>people)(?= (?:is|was|appears|looks|reacts|remains)\b)",
        said="pupil",
        needs=r"dilat\w*|constrict\w*|react\w*|light|round|irregular|afferent|iris|anisocoria|mydria\w*"
        r"|mios\w*|fixed|sluggish|oval|peaked",
        vetoes=r"(?!)",
        note="'pupil' heard as 'people'; a singular verb shows it was not 'people'",
    ),
)
