"""The transparent visual-cue lexicon: ophthalmic terms, modalities, deictic phrases and non-visual cues."""

from __future__ import annotations

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
_SEP = r"[\s-]*"

ANATOMY: Mapping[str, str] = {
    "optic disc": r"optic (?:dis[ck]s?|nerve heads?|nerves?)|dis[ck]s?|nerve heads?",
    "cup-to-disc ratio": r"cup{_SEP}(?:to{_SEP})?dis[ck]{_SEP}ratios?|c{_SEP}(?:/|to){_SEP}d{_SEP}ratios?|cdr",
    "cup": r"(?:optic )?cups?",
    "neuroretinal rim": r"(?:neuro{_SEP}retinal )?rims?",
    "macula": r"macula[er]?|maculas|posterior pole",
    "fovea": r"fove(?:a|ae|al|ola)(?: (?:pit|depression|contour|reflex|centre|center))?",
    "retina": r"retina[ls]?|retinae",
    "retinal vessels": r"(?:retinal |blood )?vessels?|vasculature|(?:vascular )?arcades?",
    "arteries": r"arter(?:y|ies|ioles?)|arteriolar",
    "veins": r"veins?|venules?|venous",
    "rpe": r"rpe|retinal pigment(?:ed)? epithelium|pigment epithelium",
    "bruch's membrane": r"bruch'?s(?: membrane)?",
    "ellipsoid zone": r"ellipsoid(?: zone| layer)?|is{_SEP}/?{_SEP}os junction|photoreceptors?(?: layer)?|external "
                      r"limiting membrane|elm",
    "retinal layers": r"(?:retinal |outer |inner )?layers?",
    "nerve fibre layer": r"(?:retinal )?nerve fib(?:re|er)s?(?: layer)?|r?nfl|ganglion cells?(?: layer)?|gcl"
                         r"|(?:inner|outer) (?:nuclear|plexiform) layer",
    "choroid": r"choroid(?:al)?|choriocapillaris",
    "sclera": r"scleral?",
    "vitreous": r"vitreous|hyaloid",
    "peripapillary region": r"peri{_SEP}papillary|para{_SEP}papillary|lamina cribrosa",
    "anterior segment": r"cornea[ls]?|endothelium|lens|iris|pupils?|anterior chamber|conjunctiva[l]?|eyelids?"
                        r"|lid margins?|trabecular meshwork|(?:drainage|iridocorneal|anterior chamber) angle",
}

FINDINGS: Mapping[str, str] = {
    "haemorrhage": r"h(?:a|ae|æ)?emorrhag(?:e|es|ic|ing)|bleeds?|bleeding|blot(?:s| haemorrhages?)?",
    "exudates": r"(?:hard |soft )?exudat(?:e|es|ion)",
    "cotton wool spots": r"cotton{_SEP}wool(?: spots?)?",
    "microaneurysms": r"(?:micro{_SEP})?aneurysms?",
    "neovascularization": r"neo{_SEP}vasculari[sz]ation|neovascular(?: membranes?)?|new vessels|nv[de]|cnvm?",
    "oedema": r"(?:macular |disc |optic disc |retinal |corneal |cystoid macular )?o?edema(?:tous)?"
              r"|swollen|swelling",
    "cyst": r"cysts?|cystic|cystoid(?: spaces?)?",
    "fluid": r"(?:(?:intra|sub){_SEP}retinal )?fluid|irf|srf",
    "pigment epithelial detachment": r"pigment epithelial detachments?|peds?",
    "drusen": r"drusen|druse|drusenoid",
    "atrophy": r"atroph(?:y|ic|ies)",
    "scar": r"scars?|scarring|fibrosis|fibrotic|laser (?:marks|burns|spots)",
    "pallor": r"pallor|pale|pallid",
    "cupping": r"cupping|cupped|excavat(?:ion|ed)",
    "notching": r"notch(?:ing|ed|es)?|thinning|thinned",
    "thickening": r"thicken(?:ing|ed)",
    "tortuosity": r"tortu(?:osity|ous)",
    "papilledema": r"papill?o?edema",
    "lesion": r"lesions?|nodules?|mass(?:es)?|tumou?rs?|nae?vus|nae?vi|melanoma",
    "tear": r"tears?|(?:retinal |horseshoe )breaks?|retinal dialysis",
    "detachment": r"detach(?:ment|ments|ed)",
    "hole": r"holes?|lamellar",
    "epiretinal membrane": r"(?:epi{_SEP}retinal )?membranes?|(?:vitreo{_SEP}macular )?traction",
    "pigmentary change": r"(?:hyper{_SEP}|hypo{_SEP})?pigment(?:ation|ed|ary(?: changes?)?)|pigment clump(?:s|ing)?"
                         r"|bone spicules?",
    "vessel change": r"(?:av |arterio{_SEP}venous )?nicking|beading|sheathing|irma|shunt vessels|collaterals?"
                     r"|emboli|embolus|plaques?|silver wiring|copper wiring",
    "cherry red spot": r"cherry{_SEP}red spot",
    "reflectivity": r"hyper{_SEP}reflectiv(?:e|ity)|hypo{_SEP}reflectiv(?:e|ity)|shadowing|(?:hyper|hypo){_SEP}"
                    r"fluorescen(?:t|ce)|leakage|leaking|pooling|staining|window defects?",
    "opacity": r"opacit(?:y|ies)|opacification|cataracts?|haze|infiltrates?|ulcers?|hypopyon|hyph(?:a|ae)ema"
               r"|keratic precipitates",
    "defect": r"defects?|folds?|striae|crescents?",
}

# Scored only when pointed at: diagnosis names dominate non-visual discourse (epidemiology, management).
DIAGNOSES: Mapping[str, str] = {
    "glaucoma": r"glaucoma(?:tous)?",
    "diabetic retinopathy": r"(?:(?:non{_SEP})?proliferative )?diabetic retinopathy|n?pdr|diabetic macular o?edema"
                            r"|dmo|dme",
    "macular degeneration": r"(?:age{_SEP}related )?macular degeneration|amd|armd|(?:wet|dry) amd",
    "vascular occlusion": r"(?:central |branch |hemi{_SEP})?retinal (?:vein|artery) occlusion|[cb]r[va]o",
    "retinal detachment": r"rhegmatogenous|retinal detachment|macular hole",
    "central serous chorioretinopathy": r"central serous(?: chorio{_SEP}?retinopathy)?|cscr?",
    "retinopathy": r"(?:hypertensive |sickle cell )?retinopathy(?: of prematurity)?|rop",
    "optic neuropathy": r"(?:ischa?emic |glaucomatous |optic )?neuropath(?:y|ies)|optic neuritis|n?aion",
    "inflammation": r"uveitis|vasculitis|retinitis(?: pigmentosa)?|chorioretinitis|keratitis|scleritis"
                    r"|endophthalmitis|toxoplasm\w*",
    "myopia": r"pathologic(?:al)? myopia|myopic maculopathy|maculopathy",
    "tumour": r"retinoblastoma|choroidal melanoma",
}

MODALITIES: Mapping[str, str] = {
    "fundus photograph": r"(?:colou?r |retinal )?fundus(?: (?:photo(?:graph)?s?|images?|pictures?|photography))?"
                         r"|retinal (?:photo(?:graph)?s?|images?)|ophthalmoscopy|red{_SEP}free|wide{_SEP}field"
                         r"|optos",
    "oct": r"o{_SEP}c{_SEP}t(?:{_SEP}a)?(?: (?:scans?|images?))?|optical coherence tomography|b{_SEP}scans?"
           r"|en face|line scans?|scans?|tomograms?",
    "angiogram": r"(?:fluorescein |icg |indocyanine green )?angiogra(?:m|ms|phy)|ffa|icga?",
    "autofluorescence": r"(?:fundus )?auto{_SEP}fluorescence|faf",
    "slit lamp": r"slit{_SEP}lamp(?: (?:photo(?:graph)?s?|images?|exam(?:ination)?))?|biomicroscopy|gonioscopy",
    "ultrasound": r"ultrasound|ultrasonography|a{_SEP}scan",
    "visual field": r"visual fields?(?: tests?| printouts?)?|perimetry|humphrey",
}

DEICTIC: Mapping[str, str] = {
    "see": r"(?:you|we|one) (?:can|could|will|should|may|might)(?: \w+)? see|(?:you|we)'ll(?: \w+)? see"
           r"|can(?: \w+)? be seen|(?:you|we) see|see (?:here|there|how|that|this|these|those|the|a|an|some|two"
           r"|three|several|multiple|many)\b|seen",
    "here": r"here|over there|this is (?:a|an|the|our|my)|these are|this one",
    "notice": r"notice[ds]?|note (?:the|that|how|this|these)",
    "look": r"look(?:s|ing|ed)?|take a (?:closer )?look",
    "shown": r"shown|shows?|showing|demonstrat(?:es|ed|ing)|reveal(?:s|ed|ing)|illustrat(?:es|ed|ing)"
             r"|depict(?:s|ed|ing)",
    "visible": r"visible|visuali[sz]ed?|evident|apparent|obvious|noted|observed|identified|highlighted"
               r"|outlined|circled|marked",
    "appears": r"appear(?:s|ed|ing|ance)?",
    "in this image": r"in (?:this|these|the) (?:\w+ ){0,2}(?:images?|photos?|photograph|pictures?|scans?|slides?"
                     r"|figures?|views?|frames?|examples?|cases?|panels?)|in this (?:eye|patient|one|fundus)"
                     r"|(?:this|these|that) (?:images?|photos?|photograph|pictures?|scans?|slides?|figures?"
                     r"|examples?|cases?)",
    "position": r"on the (?:left|right|top|bottom)|(?:left|right){_SEP}hand side|(?:upper|lower|top|bottom)"
                r" (?:left|right|half|part|panel|image|corner)|(?:supero|infero)(?:temporal|nasal)(?:ly)?"
                r"|(?:temporal|nasal|superior|inferior)(?:ly)?(?= (?:to|side|half|aspect|edge|margin|border"
                r"|quadrant|sector|arcade|rim|area|region|pole))|adjacent to|surrounding|next to|beneath"
                r"|underneath|arrows?|arrowheads?|asterisks?|pointing (?:to|at)",
    "descriptor": r"yellow(?:ish)?|white|whitish|red(?:dish)?|dark(?:er)?|bright(?:er)?|black|gr[ae]y(?:ish)?"
                  r"|pink|orange|brown|large|larger|small|tiny|big|huge|round|oval|irregular|well{_SEP}defined"
                  r"|ill{_SEP}defined|blurr?(?:ed|y)|fuzzy|hazy|elevated|raised|flat|enlarged|dilated"
                  r"|attenuated|narrow(?:ed|ing)?|scattered|multiple|numerous|diffuse|focal|patchy|subtle"
                  r"|prominent|extensive|confluent|discrete|distorted|disrupted|intact|normal{_SEP}looking",
}

NEGATIVE: Mapping[str, str] = {
    "greeting": r"welcome|hello|hi (?:everyone|guys|all)|hey (?:everyone|guys)|good (?:morning|afternoon|evening)"
                r"|my name(?:'s| is)|see you(?: (?:next|soon|later|in))?|bye|goodbye",
    "channel": r"subscribe[ds]?|like and subscribe|like button|notification bell|the channel|my channel|this channel"
               r"|patreon|sponsor(?:ed)?|description box|link in the description|comments?(?: below)?",
    "thanks": r"thank(?:s| you)",
    "lecture": r"today (?:we|i)\b|in (?:this|today's|the next|the previous|the last) (?:lecture|talk|video|session"
               r"|module|episode|tutorial|presentation)|next (?:lecture|video|session|time)|let's (?:talk|discuss"
               r"|move on|start|begin|recap)|we(?:'ll| will) (?:talk|discuss|cover)|talk about|any questions",
    "epidemiology": r"million|billion|percent|per cent|\d+(?:\.\d+)? ?%|prevalence|incidence|worldwide|globally|population"
                    r"|epidemiolog\w*|leading cause|most common (?:cause|type|form)|causes? of|blindness"
                    r"|statistics|each year|per year|working{_SEP}age|adults|years? of age|year{_SEP}old",
    "risk": r"risk factors?(?: include)?|risk of|at risk|(?:increased|higher|lower) risk|diabetes|hypertension"
            r"|blood (?:pressure|sugar)|hba1c|smok(?:ing|ers?)|cholesterol|(?:patients|people|individuals) (?:with|who)",
    "history": r"history of|referred (?:by|from|to)|referral|present(?:s|ed|ing)? with|complain(?:s|ed|ing)? of"
               r"|symptoms?|vision|visual acuity|acuity|eyesight|headaches?|pain",
    "management": r"treat(?:ed|ment|ments|ing)?|therap(?:y|ies)|manage(?:d|ment)?|injections?|anti{_SEP}vegf"
                  r"|surgery|surgical|medications?|prescribe[ds]?|follow{_SEP}up|prognosis|screening",
    "definition": r"defined as|refers? to|characteri[sz]ed by|caused by|associated with|is an? (?:common|rare"
                  r"|chronic|progressive|leading|major|condition|disease|disorder)|(?:disease|condition|disorder)s?"
                  r" (?:that|which|where|in which)|pathophysiology|mechanism|genetic|genes?|inherited|stud(?:y|ies)"
                  r"|trials?|research|guidelines?|non{_SEP}invasive|technique|technology",
}


def _compile(kind: TermKind, table: Mapping[str, str]) -> tuple[Term, ...]:
    # Lookarounds instead of \b so patterns ending in '%' or "'" still get a boundary.
    return tuple(
        Term(label, kind, re.compile(r"(?<![\w'])(?:{_expand(pattern)})(?![\w'])", re.IGNORECASE))
        for label, pattern in table.items()
    )


def _expand(pattern: str) -> str:
    # The tables stay plain raw strings (regex braces would clash with f-strings), so splice {_SEP} in here.
    return pattern.replace("{_SEP}", _SEP)


TERMS: tuple[Term, ...] = (
    _compile("anatomy", ANATOMY) + _compile("finding", FINDINGS) + _compile("diagnosis", DIAGNOSES)
    + _compile("modality", MODALITIES)
)
DEICTIC_TERMS: tuple[Term, ...] = _compile("deictic", DEICTIC)
NEGATIVE_TERMS: tuple[Term, ...] = _compile("negative", NEGATIVE)


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
