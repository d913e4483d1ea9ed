"""The evaluation's own ophthalmic vocabulary: findings, diagnoses, modalities, anatomy, narration artefacts.

Written for the evaluation from general clinical terminology (RCOphth/AAO glossaries, ETDRS grading terms,
the OCT consensus nomenclature of Staurenghi et al. 2014), independently of the engine's lexicons: the engine
must not be measured with its own word lists.  Patterns match text folded by `fold` (lower case, American
spelling), so "haemorrhage" and "hemorrhage" are one term.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

# British spellings folded to one form, so a record and its narration compare equal whatever the ASR wrote.
_FOLDS = (
    (r"haem", "hem"), (r"oedem", "edem"), (r"ischaem", "ischem"), (r"naev", "nev"), (r"anaem", "anem"),
    (r"hyphaem", "hyphem"), (r"colour", "color"), (r"centre", "center"), (r"fibre", "fiber"),
    (r"\bgrey", "gray"), (r"tumour", "tumor"), (r"oesoph", "esoph"), (r"isation", "ization"),
    (r"\bdisk\b", "disc"),
)  # fmt: skip


def fold(text: str) -> str:
    out = text.lower().replace("’", "'")
    for british, american in _FOLDS:
        out = re.sub(british, american, out)
    return out


# canonical name -> pattern over folded text.  A longer match hides a shorter one inside it ("flame
# hemorrhages" is not also a bare "hemorrhage"); PARENTS then says what a specific term also names.
# fmt: off
FINDINGS: Mapping[str, str] = {
    "drusen": r"drusen|druse",
    "microaneurysms": r"micro-?aneurysms?",
    "haemorrhage": r"hemorrhag\w*|bleeds?|bleeding",
    "dot-blot haemorrhages": r"(?:dot|blot|dot[- ]and[- ]blot|dot-blot)(?: intraretinal)? hemorrhag\w*",
    "flame haemorrhages": r"(?:flame(?:[- ]shaped)?|splinter) hemorrhag\w*",
    "preretinal haemorrhage": r"(?:pre-?retinal|vitreous|subhyaloid|boat-shaped) hemorrhag\w*",
    "subretinal haemorrhage": r"sub-?retinal hemorrhag\w*",
    "exudates": r"exudat\w*",
    "hard exudates": r"(?:hard|lipid|yellow) exudat\w*|circinate\w*|lipid deposits?",
    "macular star": r"macular star|star(?:-shaped)? (?:pattern|figure) of exudat\w*",
    "cotton wool spots": r"cotton[- ]wool (?:spots?|patch\w*)|soft exudat\w*|nerve fiber layer infarcts?",
    "new vessels": r"neovasculari[sz]ation\w*|new (?:blood )?vessels?|\bnv[de]\b|\bnve\b|rubeosis",
    "choroidal neovascularisation": r"choroidal neovasc\w*|\bcnv\b|neovascular membrane",
    "laser scars": r"laser (?:scars?|burns?|marks?|spots?)|photocoagulation (?:scars?|burns?|marks?)",
    "cupping": r"cupping|(?:enlarged|large|larger|deep|deepened|increased|big|excavated) (?:optic )?cups?"
               r"|cup (?:is|looks|appears) (?:large|enlarged|deep|big)|excavation",
    "rim thinning": r"(?:thin|thinned|thinning|narrow|narrowed) (?:neuro-?retinal |pink )?rim|rim thinning"
                    r"|notch\w*",
    "disc pallor": r"pallor|pale (?:optic )?(?:disc|nerve)|disc (?:is|looks|appears) pale|optic atrophy",
    "disc swelling": r"(?:disc|optic nerve head) (?:swelling|edema)|swollen (?:optic )?disc"
                     r"|blurred (?:disc )?margins?",
    "venous beading": r"venous beading|beaded veins?|beading",
    "tortuous vessels": r"tortu\w*",
    "av nicking": r"(?:av|arteriovenous|arterio-venous) (?:nicking|nipping)|nicking|nipping",
    "arteriolar narrowing": r"(?:arteriolar|arterial) (?:narrowing|attenuation)|narrow(?:ed)? arterioles?"
                            r"|attenuated (?:vessels|arterioles)|copper[- ]wir\w*|silver[- ]wir\w*",
    "cherry-red spot": r"cherry[- ]red spot",
    "emboli": r"embol(?:us|i)\b|hollenhorst",
    "pigment change": r"pigment\w* (?:clump\w*|change\w*|mottl\w*)|hyperpigment\w*|hypopigment\w*"
                      r"|bone[- ]spicule\w*|rpe (?:changes?|atrophy|mottl\w*)",
    "geographic atrophy": r"geographic atrophy|chorioretinal atroph\w*|atrophic (?:patch|area)\w*",
    "retinal detachment": r"retinal detachment|detached retina|retina (?:is )?detached",
    "retinal tear": r"retinal (?:tears?|breaks?)|horseshoe tears?",
    "fluid": r"\bfluid\b",
    "subretinal fluid": r"sub-?retinal fluid",
    "intraretinal cysts": r"intra-?retinal (?:fluid|cysts?)|cystoid (?:spaces?|changes?|cysts?)"
                          r"|cystic spaces?|\bcysts?\b",
    "oedema": r"edem\w*",
    "macular oedema": r"(?:cystoid |diabetic )?macular edema|\b(?:cme|dme|cmo|dmo)\b",
    "retinal thickening": r"(?:retinal |macular )?thickening|thickened (?:retina|macula)",
    "pigment epithelial detachment": r"pigment epithel\w* detachment|\bped\b|rpe detachment",
    "epiretinal membrane": r"epiretinal membrane|\berm\b|macular pucker",
    "macular hole": r"(?:full[- ]thickness |lamellar )?macular hole",
    "rnfl thinning": r"(?:nerve fiber layer|rnfl) (?:thinning|loss|defect\w*)"
                     r"|thin(?:ning|ned)? (?:of the )?(?:retinal )?(?:nerve fiber layer|rnfl)",
    "ellipsoid zone loss": r"(?:ellipsoid zone|ellipsoid|photoreceptor\w*|is/os) (?:disrupt\w*|loss|lost)"
                           r"|disrupt\w* (?:of )?(?:the )?(?:ellipsoid|photoreceptor)",
    "foveal contour loss": r"loss of (?:the )?foveal (?:contour|depression|pit)|flattened fovea"
                           r"|foveal (?:depression|pit) (?:is )?(?:lost|flattened|absent)",
    "vitreomacular traction": r"vitreo-?macular traction|\bvmt\b",
    "lens opacity": r"lens opacit\w*|opacit\w* (?:of|in) the lens|nuclear sclerosis|cloudy lens",
    "corneal opacity": r"corneal (?:opacit\w*|scar\w*|infiltrat\w*|haze|edema)",
    "hypopyon": r"hypopyon",
    "hyphaema": r"hyphem\w*",
    "keratic precipitates": r"keratic precipitates?|\bkps\b",
    "anterior chamber cells": r"(?:anterior chamber )?cells and flare|anterior chamber (?:cells|reaction)",
    "conjunctival injection": r"conjunctival (?:injection|hyperemia|redness)|injected conjunctiva|red eye",
    "narrow angle": r"(?:narrow|closed|shallow) (?:anterior chamber )?angles?|shallow anterior chamber",
    "field defect": r"scotoma\w*|(?:visual )?field (?:defects?|loss)|hemianop\w*|quadrantanop\w*|nasal step"
                    r"|(?:arcuate|altitudinal) (?:defects?|loss)|enlarged blind spot",
    "leakage": r"leak\w*",
    "hyperfluorescence": r"hyperfluoresc\w*",
    "hypofluorescence": r"hypofluoresc\w*|blocked fluorescence",
    "non-perfusion": r"non-?perfusion|capillary (?:dropout|drop-out|closure)|ischemic (?:areas?|retina)",
    "hyperreflective foci": r"hyperreflective (?:foci|dots?|spots?)",
}

PARENTS: Mapping[str, tuple[str, ...]] = {
    "dot-blot haemorrhages": ("haemorrhage",), "flame haemorrhages": ("haemorrhage",),
    "preretinal haemorrhage": ("haemorrhage",), "subretinal haemorrhage": ("haemorrhage",),
    "hard exudates": ("exudates",), "macular star": ("exudates", "hard exudates"),
    "subretinal fluid": ("fluid",), "intraretinal cysts": ("fluid",), "macular oedema": ("oedema",),
    "disc swelling": ("oedema",), "choroidal neovascularisation": ("new vessels",),
    "diabetic retinopathy": ("retinopathy",), "hypertensive retinopathy": ("retinopathy",),
}  # fmt: skip

DIAGNOSES: Mapping[str, str] = {
    "glaucoma": r"glaucom\w*|angle[- ]closure|ocular hypertension",
    "retinopathy": r"retinopath\w*|maculopath\w*",
    "diabetic retinopathy": r"diabetic (?:retinopath\w*|maculopath\w*|eye disease)|\bn?pdr\b"
                            r"|(?:non-?|pre-?)?proliferative (?:diabetic )?retinopath\w*",
    "hypertensive retinopathy": r"hypertensive (?:retinopath\w*|changes|eye disease)",
    "macular oedema": FINDINGS["macular oedema"],
    "macular degeneration": r"(?:age[- ]related )?macular degeneration|\bar?md\b",
    "vein occlusion": r"(?:central |branch |hemi-?)?(?:retinal )?vein occlusion|\b[bch]rvo\b"
                      r"|venous occlusion",
    "artery occlusion": r"(?:central |branch )?(?:retinal )?arter(?:y|ial) occlusion|\b[bc]rao\b",
    "retinal detachment": FINDINGS["retinal detachment"] + r"|rhegmatogenous",
    "macular hole": FINDINGS["macular hole"],
    "epiretinal membrane": FINDINGS["epiretinal membrane"],
    "central serous chorioretinopathy": r"central serous(?: chorio)?(?:retinopathy)?|\bcsc\b|\bcsc?r\b",
    "papilloedema": r"papill?edema",
    "optic neuropathy": r"optic neuritis|optic neuropath\w*|\bn?aion\b",
    "uveitis": r"uveitis|iritis|iridocyclitis|vitritis|choroiditis|retinitis(?! pigmentosa)|toxoplasm\w*",
    "cataract": r"cataracts?",
    "keratitis": r"keratitis|corneal ulcer\w*",
    "conjunctivitis": r"conjunctivitis",
    "retinitis pigmentosa": r"retinitis pigmentosa",
    "choroidal tumour": r"melanoma|choroidal nev\w*|\bnev(?:us|i)\b",
    "retinopathy of prematurity": r"retinopathy of prematurity|\brop\b",
    "endophthalmitis": r"endophthalmitis",
    "keratoconus": r"keratoconus",
}

# fmt: on

# Record text naming a modality.  "fundus" alone is anatomy, not a claim about the picture.
# fmt: off
MODALITIES: Mapping[str, str] = {
    "colour_fundus": r"fundus (?:photo\w*|image|picture|camera|view)|color (?:fundus|photo\w*|image)"
                     r"|retinal photo\w*|fundoscop\w*|ophthalmoscop\w*",
    "oct": r"\boct\b|optical coherence|\bb-?scans?\b|tomogra(?:m|ph)\w*|cross-?section\w*",
    "angiography": r"angiogra\w*|fluorescein|\bf?fa\b|indocyanine|\bicg\b",
    "slit_lamp": r"slit[- ]lamp|biomicroscop\w*",
    "external_eye": r"external (?:eye |ocular )?(?:photo\w*|image|view|picture)",
    "surgical_microscope": r"surgical (?:microscope|view|video|field)|operating microscope"
                           r"|intra-?operative\w*|during surgery",
    "visual_field": r"visual field (?:test|plot|printout|chart|map|result|analy\w*)|perimetr\w*|humphrey"
                    r"|gray-?scale (?:plot|map)|pattern deviation|total deviation",
    "diagram_or_slide": r"diagram\w*|schematic|illustration|drawing|cartoon",
}

# fmt: on

# A scene's `kind` in the sample corpus ground truth -> its modality (heldout2 states `modality` itself).
KIND_MODALITY = {"fundus": "colour_fundus", "oct": "oct", "angiogram": "angiography", "slit": "slit_lamp"}

ANATOMY: Mapping[str, str] = {
    "optic disc": r"optic (?:disc|nerve(?: head)?)|\bdisc\b|\bonh\b|neuro-?retinal rim|\brim\b|\bcups?\b",
    "macula": r"macula\w*|fovea\w*|foveola\w*",
    "vessels": r"vessels?|vascula\w*|arter\w*|arteriol\w*|\bveins?\b|venous|venules?|arcades?",
    "nerve fibre layer": r"nerve fiber layer|\brnfl\b",
    "outer retina": r"photoreceptor\w*|ellipsoid\w*|\brpe\b|retinal pigment epithelium|bruch\w*",
    "choroid": r"choroid\w*",
    "vitreous": r"vitreous|vitreo\w*",
    "periphery": r"periphery|peripheral retina",
    "cornea": r"cornea\w*",
    "iris": r"\biris\b|pupil\w*",
    "lens": r"\blens\b",
    "anterior chamber": r"anterior chamber|\bangle\b",
    "conjunctiva": r"conjunctiva\w*|sclera\w*",
    "eyelid": r"eyelids?|\blids?\b",
}

# What a narrator says and a record should not: pointing at the slide, greetings, first/second person.
# fmt: off
ARTEFACTS: Mapping[str, str] = {
    "pointing": r"\bas (?:you )?(?:can )?see\b|\byou can see\b|\bhere we\b|\bhere is\b|\bhere you\b",
    "slide": r"\bslides?\b|\bthis lecture\b|\bthis talk\b|\bthis video\b",
    "greeting": r"\b(?:hello|good (?:morning|afternoon|evening)|welcome|thanks|thank you)\b",
    "discourse": r"\blet'?s\b|\blet us\b|\bmoving (?:on|to)\b|\bnext,? we\b|\btoday\b|\bokay\b",
    "first person": r"(?<!type )(?<!grade )(?<!stage )(?<!zone )\bi\b|\bi'(?:m|ve|d|ll)\b|\bmy\b|\bwe\b"
                    r"|\bwe'(?:re|ve|ll)\b|\bour\b|\bus\b",
    "second person": r"\byou\b|\byour\b|\byou'(?:re|ve|ll)\b",
}

# fmt: on

# A derived claim phrased as what a finding may mean, not as a fact.
HEDGES = re.compile(
    r"consistent with|suggest\w*|may (?:indicate|represent|be|reflect)|might|could|in keeping with"
    r"|compatible with|possib\w*|suspicious (?:for|of)|raises? (?:the )?(?:possibility|suspicion)"
    r"|points? to|associated with"
    r"|can (?:be seen|occur) in|seen in|typical of|characteristic of|likely|probabl\w*|differential"
)
_NEGATION = re.compile(r"\b(?:no|not|without|absent|free of|nor|neither|rules? out|ruled out|negative for)\b")
_CLAUSE_END = re.compile(r"[.;:!?]|\bbut\b|\bhowever\b|\balthough\b|\bwhereas\b")


@dataclass(frozen=True)
class Mention:
    term: str
    start: int
    end: int
    negated: bool
    hedged: bool


@lru_cache(maxsize=16)
def _compiled(table: tuple[tuple[str, str], ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((name, re.compile(rf"(?:{pattern})")) for name, pattern in table)


def _clause_before(text: str, start: int) -> str:
    """The clause leading up to a match (a list after "no" stays in its scope: commas do not end it)."""
    before = text[max(0, start - 80) : start]
    ends = list(_CLAUSE_END.finditer(before))
    return before[ends[-1].end() :] if ends else before


def _sentence_of(text: str, start: int, end: int) -> str:
    left = max(text.rfind(c, 0, start) for c in ".!?\n")
    rights = [i for i in (text.find(c, end) for c in ".!?\n") if i >= 0]
    return text[left + 1 : min(rights) if rights else len(text)]


def mentions(text: str, table: Mapping[str, str]) -> list[Mention]:
    """Every term of `table` named in text, the longest match winning where two overlap."""
    folded = fold(text)
    raw = [
        (m.start(), m.end(), name)
        for name, pattern in _compiled(tuple(table.items()))
        for m in pattern.finditer(folded)
        if m.end() > m.start()
    ]
    raw.sort(key=lambda r: (-(r[1] - r[0]), r[0]))
    kept: list[tuple[int, int, str]] = []
    for start, end, name in raw:
        if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in kept):
            kept.append((start, end, name))
    return [
        Mention(
            name, s, e,
            negated=bool(_NEGATION.search(_clause_before(folded, s))),
            hedged=bool(HEDGES.search(_sentence_of(folded, s, e))),
        )
        for s, e, name in sorted(kept, key=lambda r: r[0])
    ]  # fmt: skip


def with_parents(terms: Iterable[str]) -> set[str]:
    out = set(terms)
    for term in list(out):
        out.update(PARENTS.get(term, ()))
    return out


def terms(text: str, table: Mapping[str, str], *, affirmed: bool = True) -> set[str]:
    """Canonical terms named in text (only those not negated when `affirmed`), with their parents."""
    return with_parents(m.term for m in mentions(text, table) if not (affirmed and m.negated))


def canonical(name: str, table: Mapping[str, str]) -> set[str]:
    """A ground-truth name ("dot_blot", "Flame haemorrhages") as canonical terms; unknown: itself, literal."""
    spoken = name.replace("_", " ")
    found = {m.term for m in mentions(spoken, table)}
    return found or {f"literal:{fold(spoken).strip()}"}


def names(text: str, term: str, table: Mapping[str, str]) -> bool:
    """Whether text names `term` (affirmed): a canonical one by its pattern (or a child), a literal one by
    all its words."""
    if term.startswith("literal:"):
        words = set(re.findall(r"[a-z]+", fold(text)))
        return all(w in words or w.rstrip("s") in words for w in re.findall(r"[a-z]+", term[8:]))
    return term in terms(text, table)


def artefacts(text: str) -> list[str]:
    folded = fold(text)
    return [kind for kind, pattern in ARTEFACTS.items() if re.search(pattern, folded)]
