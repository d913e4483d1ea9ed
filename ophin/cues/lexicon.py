"""The transparent visual-cue lexicon: ophthalmic terms, modalities, deictic phrases and non-visual cues."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

TermKind = Literal["anatomy", "finding", "diagnosis", "modality", "deictic", "negative"]


@dataclass(frozen=True)
class Term:
    label: str
    kind: TermKind
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class TermMatch:
    term: Term
    text: str
    start: int
    end: int


# Whisper writes "optic disc", "optic-disc" and "optic  disc" interchangeably; tables spell it {_SEP}.
# {_PICTURE} is whatever a lecturer calls the thing on screen.
_SEP = r"[\s-]*"
_PICTURE = (
    r"(?:images?|photos?|photograph|pictures?|scans?|slides?|figures?|views?|frames?|examples?|cases?"
    r"|panels?)"
)

ANATOMY: Mapping[str, tuple[str, ...]] = {
    "optic disc": ("optic (?:dis[ck]s?|nerve heads?|nerves?)", "dis[ck]s?", "nerve heads?"),
    "cup-to-disc ratio": (
        "cup{_SEP}(?:to{_SEP})?dis[ck]{_SEP}ratios?",
        "c{_SEP}(?:/|to){_SEP}d{_SEP}ratios?",
        "cdr",
    ),
    "cup": ("(?:optic )?cups?",),
    "neuroretinal rim": ("(?:neuro{_SEP}retinal )?rims?",),
    "macula": ("macula[er]?", "maculas", "posterior pole"),
    # "fovee": how Whisper base often hears "fovea" in narration.
    "fovea": ("fove(?:a|ae|al|ola|e)(?: (?:pit|depression|contour|reflex|centre|center))?",),
    "retina": ("retina[ls]?", "retinae"),
    "retinal vessels": ("(?:retinal |blood )?vessels?", "vasculature", "(?:vascular )?arcades?"),
    "arteries": ("arter(?:y|ies|ioles?)", "arteriolar"),
    "veins": ("veins?", "venules?", "venous"),
    "rpe": ("rpe", "retinal pigment(?:ed)? epithelium", "pigment epithelium"),
    "bruch's membrane": ("bruch'?s(?: membrane)?",),
    "ellipsoid zone": (
        "ellipsoid(?: zone| layer)?",
        "is{_SEP}/?{_SEP}os junction",
        "photoreceptors?(?: layer)?",
        "external limiting membrane",
        "elm",
    ),
    "retinal layers": ("(?:retinal |outer |inner )?layers?",),
    "nerve fibre layer": (
        "(?:retinal )?nerve fib(?:re|er)s?(?: layer)?",
        "r?nfl",
        "ganglion cells?(?: layer)?",
        "gcl",
        "(?:inner|outer) (?:nuclear|plexiform) layer",
    ),
    "choroid": ("choroid(?:al)?", "choriocapillaris"),
    "sclera": ("scleral?",),
    "vitreous": ("vitreous", "hyaloid"),
    "blind spot": ("(?:physiological )?blind spots?",),
    "peripapillary region": ("peri{_SEP}papillary", "para{_SEP}papillary", "lamina cribrosa"),
    "anterior segment": (
        "cornea[ls]?",
        "endothelium",
        "lens",
        "iris",
        "pupils?",
        "anterior chamber",
        "conjunctiva[l]?",
        "eyelids?",
        "lid margins?",
        "trabecular meshwork",
        "(?:drainage|iridocorneal|anterior chamber) angle",
    ),
}

FINDINGS: Mapping[str, tuple[str, ...]] = {
    "haemorrhage": (
        "h(?:a|ae|æ)?emorrhag(?:e|es|ic|ing)",
        "bleeds?",
        "bleeding",
        "blot(?:s| haemorrhages?)?",
        "full of blood",
        "(?:(?:pre|sub|intra){_SEP}retinal |fresh |old )?blood"
        "(?= (?:in|within|under|beneath|filling|layer|level))",
    ),
    "exudates": ("(?:hard |soft )?exudat(?:e|es|ion)",),
    "cotton wool spots": ("cotton{_SEP}wool(?: spots?)?",),
    "microaneurysms": ("(?:micro{_SEP})?aneurysms?",),
    "neovascularization": (
        "neo{_SEP}vasculari[sz]ation",
        "neovascular(?: membranes?)?",
        "new vessels",
        "nv[de]",
        "cnvm?",
    ),
    "oedema": (
        "(?:macular |disc |optic disc |retinal |corneal |cystoid macular )?o?edema(?:tous)?",
        "swollen",
        "swelling",
    ),
    "cyst": ("cysts?", "cystic", "cystoid(?: spaces?)?"),
    "fluid": ("(?:(?:intra|sub){_SEP}retinal )?fluid", "irf", "srf"),
    "pigment epithelial detachment": ("pigment epithelial detachments?", "peds?"),
    "drusen": ("drusen", "druse", "drusenoid"),
    "atrophy": ("atroph(?:y|ic|ies)",),
    "scar": ("scars?", "scarring", "fibrosis", "fibrotic", "laser (?:marks|burns|spots)"),
    "pallor": ("pallor", "pale", "pallid"),
    "cupping": ("cupping", "cupped", "excavat(?:ion|ed)"),
    "thinning": ("notch(?:ing|ed|es)?", "thinning", "thinned"),
    "thickening": ("thicken(?:ing|ed)",),
    "tortuosity": ("tortu(?:osity|ous)",),
    "papilledema": ("papill?o?edema",),
    "lesion": ("lesions?", "nodules?", "mass(?:es)?", "tumou?rs?", "nae?vus", "nae?vi", "melanoma"),
    "tear": ("tears?", "(?:retinal |horseshoe )breaks?", "retinal dialysis"),
    "detachment": (
        "(?:(?:rhegmatogenous|tractional|exudative|serous) )?(?:retinal )?detach(?:ment|ments|ed)",
    ),
    "hole": ("(?:full{_SEP}thickness |lamellar )?(?:macular )?holes?",),
    "epiretinal membrane": ("(?:epi{_SEP}retinal )?membranes?", "(?:vitreo{_SEP}macular )?traction"),
    "pigmentary change": (
        "(?:hyper{_SEP}|hypo{_SEP})?pigment(?:ation|ed|ary(?: changes?)?)",
        "pigment clump(?:s|ing)?",
        "bone spicules?",
    ),
    "vessel change": (
        "(?:av |arterio{_SEP}venous )?nicking",
        "beading",
        "sheathing",
        "irma",
        "shunt vessels",
        "collaterals?",
        "emboli",
        "embolus",
        "plaques?",
        "silver wiring",
        "copper wiring",
    ),
    "cherry red spot": ("cherry{_SEP}red spot",),
    "reflectivity": (
        "hyper{_SEP}reflectiv(?:e|ity)",
        "hypo{_SEP}reflectiv(?:e|ity)",
        "shadowing",
        "(?:hyper|hypo){_SEP}fluorescen(?:t|ce)",
        "leakage",
        "leaking",
        "pooling",
        "staining",
        "window defects?",
    ),
    "opacity": (
        "opacit(?:y|ies)",
        "opacification",
        "cataracts?",
        "haze",
        "infiltrates?",
        "ulcers?",
        "hypopyon",
        "hyph(?:a|ae)ema",
        "keratic precipitates",
    ),
    "defect": ("defects?", "folds?", "striae", "crescents?"),
    # What a visual-field printout shows: a field defect is a finding of its own kind, not a "defect".
    "field defect": (
        "scotoma(?:s|ta)?",
        "arcuate(?: (?:defects?|scotoma(?:s|ta)?|loss))?",
        "nasal steps?",
        "(?:visual )?field (?:loss|defects?)",
        "(?:homonymous |bitemporal )?(?:hemianopi(?:a|as|c)|quadrantanopi(?:a|as|c))",
        "altitudinal(?: (?:defects?|loss))?",
        "enlarged blind spots?",
    ),
    "injection": (
        "(?:conjunctival|ciliary|circumcorneal) (?:injection|hyperaemia|hyperemia|redness)",
        "injected (?:conjunctiva|eye|sclera)",
        "chemosis",
    ),
}

# Scored only when pointed at: diagnosis names dominate non-visual discourse (epidemiology, management).
DIAGNOSES: Mapping[str, tuple[str, ...]] = {
    "glaucoma": ("glaucoma(?:tous)?",),
    "diabetic retinopathy": (
        "(?:(?:non{_SEP})?proliferative )?diabetic retinopathy",
        "n?pdr",
        "diabetic macular o?edema",
        "dmo",
        "dme",
    ),
    "macular degeneration": ("(?:age{_SEP}related )?macular degeneration", "amd", "armd", "(?:wet|dry) amd"),
    "vascular occlusion": ("(?:central |branch |hemi{_SEP})?retinal (?:vein|artery) occlusion", "[cb]r[va]o"),
    "central serous chorioretinopathy": ("central serous(?: chorio{_SEP}?retinopathy)?", "cscr?"),
    "retinopathy": ("(?:hypertensive |sickle cell )?retinopathy(?: of prematurity)?", "rop"),
    "optic neuropathy": (
        "(?:ischa?emic |glaucomatous |optic )?neuropath(?:y|ies)",
        "optic neuritis",
        "n?aion",
    ),
    "inflammation": (
        "uveitis",
        "vasculitis",
        "retinitis(?: pigmentosa)?",
        "chorioretinitis",
        "keratitis",
        "scleritis",
        "endophthalmitis",
        r"toxoplasm\w*",
    ),
    "myopia": ("pathologic(?:al)? myopia", "myopic maculopathy", "maculopathy"),
    "tumour": ("retinoblastoma", "choroidal melanoma"),
}

# Words that grade or type a diagnosis when said right before it ("proliferative retinopathy", "primary
# open angle glaucoma"): synthesis states a narrated diagnosis with these, and with no other adjective (a
# misheard "brown retinopathy" for "background retinopathy" would state a false grade).
DIAGNOSIS_QUALIFIERS = frozenset(
    """proliferative non-proliferative nonproliferative pre-proliferative preproliferative background
    diabetic hypertensive sickle cell wet dry neovascular exudative atrophic geographic primary secondary
    open angle open-angle closed closure angle-closure narrow normal tension normal-tension acute chronic
    congenital juvenile pigmentary mild moderate severe early intermediate late advanced central branch
    hemi ischaemic ischemic non-ischaemic non-ischemic age-related serous cystoid clinically significant
    high-risk""".split()
)

MODALITIES: Mapping[str, tuple[str, ...]] = {
    "fundus photograph": (
        "(?:colou?r |retinal )?fundus(?: (?:photo(?:graph)?s?|images?|pictures?|photography))?",
        "retinal (?:photo(?:graph)?s?|images?)",
        "ophthalmoscopy",
        "red{_SEP}free",
        "wide{_SEP}field",
        "optos",
    ),
    "oct": (
        "o{_SEP}c{_SEP}t(?:{_SEP}a)?(?: (?:scans?|images?))?",
        "optical coherence tomography",
        "b{_SEP}scans?",
        "en face",
        "line scans?",
        "scans?",
        "tomograms?",
    ),
    "angiogram": ("(?:fluorescein |icg |indocyanine green )?angiogra(?:m|ms|phy)", "ffa", "icga?"),
    "autofluorescence": ("(?:fundus )?auto{_SEP}fluorescence", "faf"),
    "slit lamp": (
        "slit{_SEP}lamp(?: (?:photo(?:graph)?s?|images?|exam(?:ination)?))?",
        "biomicroscopy",
        "gonioscopy",
    ),
    "ultrasound": ("ultrasound", "ultrasonography", "a{_SEP}scan"),
    "visual field": ("visual fields?(?: tests?| printouts?)?", "perimetry", "humphrey"),
}

# Frame classifier labels (ophin.imaging.modality.LABELS) -> lexicon modality labels. A label missing here
# (external eye, surgical microscope, diagram or slide, non-clinical) has no lexicon word a record may use.
FRAME_MODALITIES: Mapping[str, str] = {
    "colour_fundus": "fundus photograph",
    "oct": "oct",
    "angiography": "angiogram",
    "autofluorescence": "autofluorescence",
    "slit_lamp": "slit lamp",
    "ultrasound": "ultrasound",
    "visual_field": "visual field",
}

DEICTIC: Mapping[str, tuple[str, ...]] = {
    "see": (
        r"(?:you|we|one) (?:can|could|will|should|may|might)(?: \w+)? see",
        r"(?:you|we)'ll(?: \w+)? see",
        r"can(?: \w+)? be seen",
        "(?:you|we) see",
        r"see (?:here|there|how|that|this|these|those|the|a|an|some|two|three|several|multiple|many)\b",
        "seen",
        "seeing",
    ),
    "here": (
        "here",
        "over there",
        "this is (?:a|an|the|our|my)",
        r"(?:these|those)(?: \w+)? (?:are|were)",
        "this one",
    ),
    "notice": ("notice[ds]?", "note (?:the|that|how|this|these)"),
    "look": ("look(?:s|ing|ed)?", "take a (?:closer )?look"),
    "shown": (
        "shown",
        "shows?",
        "showing",
        "demonstrat(?:es|ed|ing)",
        "reveal(?:s|ed|ing)",
        "illustrat(?:es|ed|ing)",
        "depict(?:s|ed|ing)",
    ),
    "visible": (
        "visible",
        "visuali[sz]ed?",
        "evident",
        "apparent",
        "obvious",
        "noted",
        "observed",
        "identified",
        "highlighted",
        "outlined",
        "circled",
        "marked",
    ),
    "appears": ("appear(?:s|ed|ing|ance)?",),
    "in this image": (
        r"(?:in|of|on) (?:this|these|the) (?:\w+ ){0,2}{_PICTURE}",
        "in this (?:eye|patient|one|fundus)",
        "(?:this|these|that) {_PICTURE}",
    ),
    "position": (
        "on the (?:left|right|top|bottom)",
        "in the (?:middle|cent(?:re|er))",
        "(?:left|right){_SEP}hand side",
        "(?:upper|lower|top|bottom) (?:left|right|half|part|panel|image|corner)",
        "(?:supero|infero)(?:temporal|nasal)(?:ly)?",
        "(?:temporal|nasal|superior|inferior)(?:ly)?"
        "(?= (?:to|side|half|aspect|edge|margin|border|quadrant|sector|arcade|rim|area|region|pole))",
        "adjacent to",
        "surrounding",
        "next to",
        "beneath",
        "underneath",
        "arrows?",
        "arrowheads?",
        "asterisks?",
        "pointing (?:to|at)",
    ),
    "descriptor": (
        "yellow(?:ish)?",
        "white",
        "whitish",
        "red(?:dish)?",
        "dark(?:er)?",
        "bright(?:er)?",
        "black",
        "gr[ae]y(?:ish)?",
        "pink",
        "orange",
        "brown",
        "large",
        "larger",
        "small",
        "tiny",
        "big",
        "huge",
        "round",
        "oval",
        "irregular",
        "well{_SEP}defined",
        "ill{_SEP}defined",
        "blurr?(?:ed|y)",
        "fuzzy",
        "hazy",
        "elevated",
        "raised",
        "flat",
        "enlarged",
        "dilated",
        "attenuated",
        "narrow(?:ed|ing)?",
        "scattered",
        "multiple",
        "numerous",
        "diffuse",
        "focal",
        "patchy",
        "subtle",
        "prominent",
        "extensive",
        "confluent",
        "discrete",
        "distorted",
        "disrupted",
        "intact",
        "normal{_SEP}looking",
        "thin",
        "thick",
        "lost",
        "loss of",
        "absent",
        "missing",
        "(?:supero|infero)?(?:temporal|nasal|superior|inferior)ly",
        "centrally",
        "peripheral(?:ly)?",
        "(?:in|at) the (?:mid{_SEP})?periphery",
        "elongated",
        r"\w+{_SEP}shaped",
        "vertical(?:ly)?",
        "horizontal(?:ly)?",
    ),
}

NEGATIVE: Mapping[str, tuple[str, ...]] = {
    "greeting": (
        "welcome",
        "hello",
        "hi (?:everyone|guys|all)",
        "hey (?:everyone|guys)",
        "good (?:morning|afternoon|evening)",
        "my name(?:'s| is)",
        "see you(?: (?:next|soon|later|in))?",
        "bye",
        "goodbye",
    ),
    "channel": (
        "subscribe[ds]?",
        "like and subscribe",
        "like button",
        "notification bell",
        "the channel",
        "my channel",
        "this channel",
        "patreon",
        "sponsor(?:ed)?",
        "description box",
        "link in the description",
        "comments?(?: below)?",
    ),
    "thanks": ("thank(?:s| you)",),
    "lecture": (
        r"today (?:we|i)\b",
        "in (?:this|today's|the next|the previous|the last) "
        "(?:lecture|talk|video|session|module|episode|tutorial|presentation)",
        "next (?:lecture|video|session|time)",
        "let's (?:talk|discuss|move on|start|begin|recap)",
        "we(?:'ll| will) (?:talk|discuss|cover)",
        "talk about",
        "any questions",
    ),
    "epidemiology": (
        "million",
        "billion",
        "percent",
        "per cent",
        r"\d+(?:\.\d+)? ?%",
        "prevalence",
        "incidence",
        "worldwide",
        "globally",
        "population",
        r"epidemiolog\w*",
        "leading cause",
        "most common (?:cause|type|form)",
        "causes? of",
        "blindness",
        "statistics",
        "each year",
        "per year",
        "working{_SEP}age",
        "adults",
        "years? of age",
        "year{_SEP}old",
    ),
    "risk": (
        "risk factors?(?: include)?",
        "risk of",
        "at risk",
        "(?:increased|higher|lower) risk",
        "diabetes",
        "hypertension",
        "blood (?:pressure|sugar)",
        "hba1c",
        "smok(?:ing|ers?)",
        "cholesterol",
        "(?:patients|people|individuals) (?:with|who)",
    ),
    "history": (
        "history of",
        "referred (?:by|from|to)",
        "referral",
        "present(?:s|ed|ing)? with",
        "complain(?:s|ed|ing)? of",
        "symptoms?",
        "vision",
        "visual acuity",
        "acuity",
        "eyesight",
        "headaches?",
        "pain",
    ),
    "management": (
        "treat(?:ed|ment|ments|ing)?",
        "therap(?:y|ies)",
        "manage(?:d|ment)?",
        "injections?",
        "anti{_SEP}vegf",
        "surgery",
        "surgical",
        "medications?",
        "prescribe[ds]?",
        "follow{_SEP}up",
        "prognosis",
        "screening",
    ),
    "definition": (
        "defined as",
        "refers? to",
        "characteri[sz]ed by",
        "caused by",
        "associated with",
        "is an? (?:common|rare|chronic|progressive|leading|major|condition|disease|disorder)",
        "(?:disease|condition|disorder)s? (?:that|which|where|in which)",
        "pathophysiology",
        "mechanism",
        "genetic",
        "genes?",
        "inherited",
        "stud(?:y|ies)",
        "trials?",
        "research",
        "guidelines?",
        "non{_SEP}invasive",
        "technique",
        "technology",
        "deposits of",
        "composed of",
        "made up of",
        "consists? of",
        "extracellular",
        "accumulation of",
    ),
}


def _compile(kind: TermKind, table: Mapping[str, tuple[str, ...]]) -> tuple[Term, ...]:
    # Lookarounds instead of \b so patterns ending in '%' or "'" still get a boundary.
    return tuple(
        Term(label, kind, re.compile(rf"(?<![\w'])(?:{_expand('|'.join(alts))})(?![\w'])", re.IGNORECASE))
        for label, alts in table.items()
    )


def _expand(pattern: str) -> str:
    # The tables stay plain strings (regex braces would clash with f-strings), so placeholders go in here.
    return pattern.replace("{_SEP}", _SEP).replace("{_PICTURE}", _PICTURE)


TERMS: tuple[Term, ...] = (
    _compile("anatomy", ANATOMY)
    + _compile("finding", FINDINGS)
    + _compile("diagnosis", DIAGNOSES)
    + _compile("modality", MODALITIES)
)
DEICTIC_TERMS: tuple[Term, ...] = _compile("deictic", DEICTIC)
NEGATIVE_TERMS: tuple[Term, ...] = _compile("negative", NEGATIVE)
# Short digest of every pattern: scorers fold it into their version so lexicon edits invalidate old runs.
LEXICON_DIGEST = hashlib.sha256(
    "\n".join(
        f"{t.kind}:{t.label}:{t.pattern.pattern}" for t in (*TERMS, *DEICTIC_TERMS, *NEGATIVE_TERMS)
    ).encode()
).hexdigest()[:8]


def find_terms(text: str, terms: Iterable[Term] = TERMS) -> list[TermMatch]:
    """Non-overlapping matches, leftmost-longest, so 'macular hole' wins over 'macula' and 'cup-to-disc
    ratio' over 'cup'; returned in text order."""
    candidates = [
        TermMatch(term, m.group(0), m.start(), m.end())
        for term in terms
        for m in term.pattern.finditer(text)
        if m.end() > m.start()
    ]
    candidates.sort(key=lambda c: (c.start, -(c.end - c.start)))
    chosen: list[TermMatch] = []
    last_end = -1
    for cand in candidates:
        if cand.start >= last_end:
            chosen.append(cand)
            last_end = cand.end
    return chosen


def terms_of_kind(matches: Iterable[TermMatch], *kinds: TermKind) -> list[TermMatch]:
    return [m for m in matches if m.term.kind in kinds]
