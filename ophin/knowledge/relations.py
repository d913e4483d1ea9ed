"""Cited finding -> meaning relations, keyed by cue-lexicon labels, and which of them a sentence asserts."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache
from typing import Literal

from ophin.cues.lexicon import TERMS, find_terms
from ophin.text.negation import is_negated


@dataclass(frozen=True)
class Relation:
    finding: str  # what is seen, words taken from `statement`
    indicates: str  # what it means (a condition, or "a healthy optic disc"), words taken from `statement`
    statement: str  # one plain sentence a verifier may accept as grounding knowledge
    source: str  # a real, citable reference
    labels: tuple[str, ...] = ()  # cue-lexicon labels naming the finding; any one suffices
    requires: tuple[str, ...] = ()  # regexes that must ALL match the same sentence, each outside a negation
    excludes: tuple[str, ...] = ()  # regexes that veto the relation (another meaning of the same words)
    kind: Literal["sign", "normal"] = "sign"  # "normal": how a healthy structure looks
    modality: str | None = None  # lexicon modality label where the finding is typically judged


_AMD_PPP = "AAO Preferred Practice Pattern: Age-Related Macular Degeneration (2019)."
_DR_PPP = "AAO Preferred Practice Pattern: Diabetic Retinopathy (2019)."
_RVO_PPP = "AAO Preferred Practice Pattern: Retinal Vein Occlusions (2019)."
_RAO_PPP = "AAO Preferred Practice Pattern: Retinal and Ophthalmic Artery Occlusions (2019)."
_ERM_PPP = "AAO Preferred Practice Pattern: Idiopathic Epiretinal Membrane and Vitreomacular Traction (2019)."
_PVD_PPP = (
    "AAO Preferred Practice Pattern: Posterior Vitreous Detachment, Retinal Breaks, and Lattice "
    "Degeneration (2019)."
)
_POAG_PPP = "AAO Preferred Practice Pattern: Primary Open-Angle Glaucoma (2020)."
_CATARACT_PPP = "AAO Preferred Practice Pattern: Cataract in the Adult Eye (2021)."
_KERATITIS_PPP = "AAO Preferred Practice Pattern: Bacterial Keratitis (2018)."
_ETDRS10 = (
    "ETDRS Research Group. Grading diabetic retinopathy from stereoscopic color fundus photographs "
    "(ETDRS Report 10). Ophthalmology 1991;98:786-806."
)
_ETDRS1 = (
    "ETDRS Research Group. Photocoagulation for diabetic macular edema (ETDRS Report 1). "
    "Arch Ophthalmol 1985;103:1796-1806."
)
_INTL_DR = (
    "Wilkinson CP et al. Proposed international clinical diabetic retinopathy and diabetic macular edema "
    "disease severity scales. Ophthalmology 2003;110:1677-1682."
)
_DRS8 = (
    "Diabetic Retinopathy Study Research Group. Photocoagulation treatment of proliferative diabetic "
    "retinopathy (DRS Report 8). Ophthalmology 1981;88:583-600."
)
_BECKMAN = (
    "Ferris FL 3rd et al. Clinical classification of age-related macular degeneration. "
    "Ophthalmology 2013;120:844-851."
)
_CAM3 = (
    "Sadda SR et al. Consensus definition for atrophy associated with age-related macular degeneration "
    "on OCT (CAM Report 3). Ophthalmology 2018;125:537-548."
)
_IN_OCT = (
    "Staurenghi G et al. Proposed lexicon for anatomic landmarks in normal posterior segment "
    "spectral-domain OCT: the IN*OCT consensus. Ophthalmology 2014;121:1572-1578."
)
_IVTS = (
    "Duker JS et al. The International Vitreomacular Traction Study Group classification of vitreomacular "
    "adhesion, traction, and macular hole. Ophthalmology 2013;120:2611-2619."
)
_JONAS = (
    "Jonas JB, Budde WM, Panda-Jonas S. Ophthalmoscopic evaluation of the optic nerve head. "
    "Surv Ophthalmol 1999;43:293-320."
)
_HTN = "Wong TY, Mitchell P. Hypertensive retinopathy. N Engl J Med 2004;351:2310-2317."
_RP = "Hartong DT, Berson EL, Dryja TP. Retinitis pigmentosa. Lancet 2006;368:1795-1809."
_IIH = (
    "Friedman DI, Liu GT, Digre KB. Revised diagnostic criteria for the pseudotumor cerebri syndrome in "
    "adults and children. Neurology 2013;81:1159-1165."
)
_CSC = (
    "Daruich A et al. Central serous chorioretinopathy: recent findings and new physiopathology "
    "hypothesis. Prog Retin Eye Res 2015;48:82-118."
)
_DME_OCT = (
    "Murakami T, Yoshimura N. Structural changes in individual retinal layers in diabetic macular edema. "
    "J Diabetes Res 2013;2013:920713."
)
_PED = (
    "Karampelas M et al. Retinal pigment epithelial detachment in age-related macular degeneration. "
    "Ophthalmol Ther 2020;9:739-756."
)
_VH = (
    "Lindgren G, Sjodell L, Lindblom B. A prospective study of dense spontaneous vitreous hemorrhage. "
    "Am J Ophthalmol 1995;119 (PMID 7709970)."
)
_FORRESTER = (
    "Forrester JV et al. The Eye: Basic Sciences in Practice, 4th ed. Elsevier, 2016, chapter "
    "'Anatomy of the eye and orbit'."
)


def _kanski(chapter: str) -> str:
    return f"Bowling B. Kanski's Clinical Ophthalmology, 8th ed. Elsevier, 2016, chapter '{chapter}'."


# Shared qualifier patterns. Anything that is a number is matched exactly as spoken or written.
_LARGE = (
    r"enlarg\w*|increas\w*|large|larger|big|high|raised|deep(?:er|ened)?|vertical\w* (?:elongat|oval)\w*"
    r"|0?\.[6-9]\d*|(?:zero )?point (?:six|seven|eight|nine)"
)
_DISC = r"dis[ck]s?|optic|nerve heads?"
_RETINAL_NV = r"dis[ck]|nv[de]|elsewhere|retinal|new vessels|optic|arcades?|periph\w*"

# fmt: off
RELATIONS: tuple[Relation, ...] = (
    # --- glaucoma ---------------------------------------------------------------------------------------
    Relation("optic disc cupping", "glaucomatous optic neuropathy",
             "Progressive cupping of the optic disc is the hallmark of glaucomatous optic neuropathy.",
             _POAG_PPP, ("cupping",), excludes=(r"physiolog\w*",), modality="fundus photograph"),
    Relation("enlarged cup-to-disc ratio", "glaucomatous optic neuropathy",
             "An enlarged or asymmetric cup-to-disc ratio raises suspicion of glaucomatous optic neuropathy.",
             _POAG_PPP, ("cup-to-disc ratio", "cup"), requires=(_LARGE,), excludes=(r"physiolog\w*",),
             modality="fundus photograph"),
    Relation("neuroretinal rim thinning", "glaucomatous optic neuropathy",
             "Thinning or notching of the neuroretinal rim is characteristic of glaucomatous optic "
             "neuropathy.",
             _JONAS, ("thinning", "neuroretinal rim"),
             requires=(r"rims?|notch\w*", r"thin\w*|notch\w*|narrow\w*|loss|lost|erod\w*|erosion"),
             modality="fundus photograph"),
    Relation("retinal nerve fibre layer thinning", "glaucomatous optic neuropathy",
             "Thinning of the retinal nerve fibre layer reflects loss of ganglion cell axons, as in "
             "glaucomatous optic neuropathy.",
             _POAG_PPP, ("thinning", "nerve fibre layer"),
             requires=(r"(?:retinal )?nerve fib(?:re|er)s?|r?nfl|ganglion", r"thin\w*|loss|lost|defects?"),
             modality="oct"),
    Relation("optic disc haemorrhage", "glaucoma",
             "A haemorrhage at the optic disc margin is a recognised sign of glaucoma and of its "
             "progression.",
             _POAG_PPP, ("haemorrhage",), requires=(rf"{_DISC}|rims?|margins?|drance|splinter",),
             excludes=(r"swollen|swelling|o?edema\w*|papill\w*|vitreous|pre-?retinal|dot|blot",),
             modality="fundus photograph"),
    Relation("peripapillary atrophy", "glaucoma or high myopia",
             "Peripapillary atrophy, especially its beta zone, is associated with glaucoma and with high "
             "myopia.",
             _JONAS, ("atrophy", "peripapillary region"),
             requires=(r"peri-?papillary|para-?papillary|beta zone|around the (?:optic )?dis[ck]",
                       r"atroph\w*")),
    # --- diabetic retinopathy and macular oedema ----------------------------------------------------
    Relation("microaneurysms", "diabetic retinopathy",
             "Microaneurysms are the earliest clinically visible sign of diabetic retinopathy.",
             _INTL_DR, ("microaneurysms",), requires=(r"micro\w*",), modality="fundus photograph"),
    Relation("dot and blot haemorrhages", "diabetic retinopathy",
             "Dot and blot haemorrhages in the deeper retina are a feature of diabetic retinopathy.",
             _ETDRS10, ("haemorrhage",), requires=(r"dots?|blots?",), modality="fundus photograph"),
    Relation("hard exudates", "diabetic retinopathy",
             "Hard exudates are lipid deposits leaking from abnormal retinal vessels and are common in "
             "diabetic retinopathy.",
             _ETDRS10, ("exudates",), requires=(r"hard|lipid|circinate",), modality="fundus photograph"),
    Relation("cotton wool spots", "retinal ischaemia",
             "Cotton wool spots are nerve fibre layer infarcts that indicate retinal ischaemia.",
             _kanski("Retinal vascular disease"), ("cotton wool spots",), modality="fundus photograph"),
    Relation("soft exudates", "retinal ischaemia",
             "Soft exudates, also called cotton wool spots, are nerve fibre layer infarcts that indicate "
             "retinal ischaemia.",
             _kanski("Retinal vascular disease"), ("exudates",), requires=(r"soft",),
             modality="fundus photograph"),
    Relation("retinal neovascularisation", "proliferative diabetic retinopathy",
             "Retinal neovascularisation, on the optic disc or elsewhere, is the defining feature of "
             "proliferative diabetic retinopathy.",
             _ETDRS10, ("neovascularization",), requires=(_RETINAL_NV,),
             excludes=(r"choroid\w*|cnvm?|sub-?retinal|macul\w*|iris|angle|rubeosis|cornea\w*",),
             modality="fundus photograph"),
    Relation("venous beading", "severe non-proliferative diabetic retinopathy",
             "Venous beading is a sign of severe non-proliferative diabetic retinopathy.",
             _INTL_DR, ("vessel change",), requires=(r"beading",), modality="fundus photograph"),
    Relation("intraretinal microvascular abnormalities", "severe non-proliferative diabetic retinopathy",
             "Intraretinal microvascular abnormalities are a sign of severe non-proliferative diabetic "
             "retinopathy.",
             _INTL_DR, ("vessel change",), requires=(r"irma|intraretinal microvascular",),
             modality="fundus photograph"),
    Relation("retinal thickening at the macula", "macular oedema",
             "Retinal thickening at the macula from leaking fluid is macular oedema.",
             _ETDRS1, ("oedema", "thickening"),
             requires=(r"macul\w*|fove\w*|retina\w*|cystoid|cent(?:re|er|ral)",),
             excludes=(rf"{_DISC}|papill\w*|cornea\w*|lids?|rpe|choroid\w*|rims?|membranes?|nfl",
                       r"nerve fib\w*"),
             modality="oct"),
    Relation("cystoid spaces", "macular oedema",
             "Cystoid spaces within the retina on OCT are a sign of macular oedema.",
             _DME_OCT, ("cyst",),
             excludes=(r"iris|lids?|conjunctiv\w*|cornea\w*|choroid\w*|vitreous|pars plana",),
             modality="oct"),
    Relation("intraretinal fluid", "macular oedema",
             "Intraretinal fluid on OCT is a sign of macular oedema.",
             _DR_PPP, ("fluid",),
             requires=(r"intra-?\s?retinal(?: \w+)? fluid|fluid (?:with)?in the retina|irf",),
             modality="oct"),
    Relation("subretinal fluid", "active exudation",
             "Subretinal fluid on OCT is a sign of active exudation, as in neovascular age-related macular "
             "degeneration.",
             _AMD_PPP, ("fluid",),
             requires=(r"sub-?\s?retinal(?: \w+)? fluid|fluid (?:under|beneath|below) the (?:neurosensory )?"
                       r"retina|(?:the )?sub-?\s?retinal space|srf",),
             modality="oct"),
    Relation("serous detachment of the neural retina", "central serous chorioretinopathy",
             "A dome-shaped serous detachment of the neural retina is typical of central serous "
             "chorioretinopathy.",
             _CSC, ("fluid", "detachment"), requires=(r"serous|dome\w*",),
             excludes=(r"pigment epithel\w*|peds?|rpe",), modality="oct"),
    # --- age-related macular degeneration ------------------------------------------------------------------
    Relation("drusen", "age-related macular degeneration",
             "Drusen are a hallmark of age-related macular degeneration.",
             _BECKMAN, ("drusen",), excludes=(r"small|tiny|few|hard drusen", _DISC)),
    Relation("optic disc drusen", "optic disc drusen",
             "Optic disc drusen are calcified deposits in the optic nerve head that can mimic disc swelling.",
             _kanski("Neuro-ophthalmology"), ("drusen",), requires=(_DISC,)),
    Relation("pigment epithelial detachment", "age-related macular degeneration",
             "A pigment epithelial detachment is a separation of the retinal pigment epithelium from Bruch's "
             "membrane and is a common feature of age-related macular degeneration.",
             _PED, ("pigment epithelial detachment",), modality="oct"),
    Relation("elevation of the retinal pigment epithelium", "age-related macular degeneration",
             "Elevation of the retinal pigment epithelium on OCT marks a pigment epithelial detachment, a "
             "common feature of age-related macular degeneration.",
             _PED, ("rpe",), requires=(r"elevat\w*|raised|detach\w*|lifted|dome\w*",), modality="oct"),
    Relation("choroidal neovascularisation", "neovascular age-related macular degeneration",
             "Choroidal neovascularisation is the defining lesion of neovascular age-related macular "
             "degeneration.",
             _AMD_PPP, ("neovascularization",),
             requires=(r"choroid\w*|cnvm?|sub-?retinal|membranes?|macul\w*|wet",)),
    Relation("atrophy of the retinal pigment epithelium", "geographic atrophy",
             "Sharply demarcated atrophy of the retinal pigment epithelium at the macula is geographic "
             "atrophy, the advanced dry form of age-related macular degeneration.",
             _CAM3, ("atrophy",),
             requires=(r"rpe|pigment epithel\w*|geographic|macul\w*|outer retina\w*|fove\w*",),
             excludes=(rf"{_DISC}|peri-?papillary|para-?papillary",)),
    Relation("increased transmission into the choroid", "atrophy of the retinal pigment epithelium",
             "Increased light transmission into the choroid on OCT marks atrophy of the retinal pigment "
             "epithelium.",
             _CAM3, ("choroid", "reflectivity"),
             requires=(r"choroid\w*", r"hyper-?transmission|increased (?:light |signal )?transmission"),
             modality="oct"),
    Relation("fibrous scar at the macula", "end-stage neovascular age-related macular degeneration",
             "A fibrous scar at the macula is the end stage of neovascular age-related macular "
             "degeneration.",
             _AMD_PPP, ("scar",), requires=(r"disciform|macul\w*|fove\w*|sub-?retinal",),
             excludes=(r"laser|photocoag\w*|toxo\w*",)),
    # --- retinal vascular disease -------------------------------------------------------------------------
    Relation("dilated tortuous retinal veins", "retinal vein occlusion",
             "Dilated, tortuous retinal veins with retinal haemorrhages are typical of retinal vein "
             "occlusion.",
             _RVO_PPP, ("tortuosity", "veins"),
             requires=(r"tortu\w*|dilat\w*|engorg\w*", r"veins?|venous|venules?"),
             modality="fundus photograph"),
    Relation("flame haemorrhages", "retinal vein occlusion or hypertensive retinopathy",
             "Flame haemorrhages lie in the nerve fibre layer and are seen in retinal vein occlusion and "
             "hypertensive retinopathy.",
             _kanski("Retinal vascular disease"), ("haemorrhage",), requires=(r"flame\w*",),
             excludes=(rf"{_DISC}|margins?|rims?|swollen|papill\w*",), modality="fundus photograph"),
    Relation("cherry-red spot", "central retinal artery occlusion",
             "A cherry-red spot at the fovea within a pale, swollen retina is the classic sign of central "
             "retinal artery occlusion.",
             _RAO_PPP, ("cherry red spot",), modality="fundus photograph"),
    Relation("retinal arterial embolus", "embolic disease",
             "A retinal arterial embolus, such as a cholesterol plaque, indicates embolic disease, often "
             "from the carotid arteries.",
             _RAO_PPP, ("vessel change",), requires=(r"embol\w*|plaques?|hollenhorst",),
             modality="fundus photograph"),
    Relation("arteriovenous nicking", "hypertensive retinopathy",
             "Arteriovenous nicking is a sign of hypertensive retinopathy.",
             _HTN, ("vessel change",), requires=(r"nick\w*",), modality="fundus photograph"),
    Relation("copper or silver wiring", "hypertensive retinopathy",
             "Copper or silver wiring of the retinal arterioles reflects thickened arteriole walls in "
             "hypertensive retinopathy.",
             _HTN, ("vessel change",), requires=(r"wiring",), modality="fundus photograph"),
    Relation("narrowing of the retinal arterioles", "hypertensive retinopathy",
             "Narrowing of the retinal arterioles is seen in hypertensive retinopathy.",
             _HTN, ("arteries",), requires=(r"narrow\w*|attenuat\w*|thread\w*|constrict\w*",),
             modality="fundus photograph"),
    Relation("vitreous haemorrhage",
             "proliferative diabetic retinopathy, a retinal tear or retinal vein occlusion",
             "Vitreous haemorrhage most often arises from proliferative diabetic retinopathy, a retinal tear "
             "or retinal vein occlusion.",
             _VH, ("haemorrhage",), requires=(r"vitreous|pre-?retinal|sub-?hyaloid|boat\w*",)),
    Relation("regularly spaced laser scars", "previous laser photocoagulation",
             "Regularly spaced chorioretinal laser scars indicate previous laser photocoagulation, as used "
             "for proliferative diabetic retinopathy.",
             _DRS8, ("scar",), requires=(r"laser|photocoag\w*|pan-?retinal|prp",),
             modality="fundus photograph"),
    # --- optic nerve ------------------------------------------------------------------------------------
    Relation("optic disc swelling", "optic disc oedema",
             "Swelling of the optic disc with blurred margins is optic disc oedema, called papilloedema when "
             "caused by raised intracranial pressure.",
             _IIH, ("oedema", "optic disc"),
             requires=(rf"{_DISC}|papill\w*", r"swell\w*|swollen|o?edema\w*|blurr\w*|indistinct|elevat\w*"),
             excludes=(r"macul\w*|cystoid|cornea\w*|cup-?to-?dis[ck]",), modality="fundus photograph"),
    Relation("papilloedema", "raised intracranial pressure",
             "Papilloedema is optic disc swelling caused by raised intracranial pressure.",
             _IIH, ("papilledema",), modality="fundus photograph"),
    Relation("optic disc pallor", "optic atrophy",
             "Pallor of the optic disc indicates optic atrophy from loss of retinal ganglion cell axons.",
             _kanski("Neuro-ophthalmology"), ("pallor", "atrophy"), requires=(rf"{_DISC}|rims?",),
             excludes=(r"peri-?papillary|para-?papillary|beta zone|crescent|rpe|geographic",),
             modality="fundus photograph"),
    # --- vitreoretinal interface and peripheral retina ----------------------------------------------
    Relation("full-thickness macular hole", "macular hole",
             "A full-thickness macular hole is a defect of all neural retinal layers at the fovea.",
             _IVTS, ("hole",), requires=(r"macul\w*|fove\w*|full|cent(?:re|er|ral)",),
             excludes=(r"lamellar|pseudo\w*",), modality="oct"),
    Relation("epiretinal membrane", "epiretinal membrane",
             "An epiretinal membrane is a thin sheet of fibrous tissue on the inner retinal surface that "
             "can wrinkle and distort the macula.",
             _ERM_PPP, ("epiretinal membrane",),
             requires=(r"epi-?\s?retinal|surface|wrinkl\w*|pucker\w*|cellophane",),
             excludes=(r"neovascular|choroid\w*|bruch\w*|limiting",), modality="oct"),
    Relation("vitreomacular traction", "vitreomacular traction",
             "Vitreomacular traction is distortion of the fovea by a partly attached, pulling posterior "
             "vitreous.",
             _IVTS, ("epiretinal membrane",), requires=(r"traction",),
             excludes=(r"tractional (?:retinal )?detach\w*",), modality="oct"),
    Relation("retinal tear", "a retinal break",
             "A retinal tear is a full-thickness break in the neural retina that can lead to "
             "rhegmatogenous retinal detachment.",
             _PVD_PPP, ("tear",), requires=(r"retina\w*|horseshoe|flap|breaks?|dialysis|periph\w*|u-shaped",),
             excludes=(r"film|ducts?|lacrimal|punct\w*|tear break-?up",)),
    Relation("retinal detachment", "retinal detachment",
             "A retinal detachment is a separation of the neural retina from the retinal pigment "
             "epithelium.",
             _kanski("Retinal detachment"), ("detachment",),
             requires=(r"retina\w*|rhegmatogenous|tractional",),
             excludes=(r"pigment epithel\w*|peds?|vitreous|hyaloid|choroidal detach\w*|serous|dome\w*",)),
    Relation("bone-spicule pigmentation", "retinitis pigmentosa",
             "Bone-spicule pigmentation in the peripheral retina is characteristic of retinitis pigmentosa.",
             _RP, ("pigmentary change",), requires=(r"bone[\s-]*spicules?",), modality="fundus photograph"),
    Relation("pigmented choroidal lesion", "a choroidal naevus or melanoma",
             "A pigmented choroidal lesion is most often a choroidal naevus, but thickness, subretinal fluid "
             "and orange pigment raise concern for melanoma.",
             _kanski("Ocular tumours"), ("lesion",),
             requires=(r"choroid\w*|pigmented|nae?vus|nae?vi|melanoma",)),
    # --- angiography --------------------------------------------------------------------------------------
    Relation("leakage of fluorescein", "leakage from incompetent or abnormal vessels",
             "Leakage of fluorescein on angiography indicates incompetent or abnormal vessels, such as "
             "choroidal neovascularisation.",
             _kanski("Acquired macular disorders"), ("reflectivity",), requires=(r"leak\w*",),
             modality="angiogram"),
    Relation("window defect", "atrophy of the retinal pigment epithelium",
             "A window defect on fluorescein angiography reflects atrophy of the retinal pigment epithelium.",
             _kanski("Acquired macular disorders"), ("reflectivity", "defect"), requires=(r"window",),
             modality="angiogram"),
    # --- anterior segment --------------------------------------------------------------------------------
    Relation("lens opacity", "cataract",
             "Opacity of the crystalline lens is a cataract.",
             _CATARACT_PPP, ("opacity",), requires=(r"cataracts?|lens",), modality="slit lamp"),
    Relation("hypopyon", "severe intraocular inflammation or infection",
             "A hypopyon is a layer of white cells in the anterior chamber and indicates severe intraocular "
             "inflammation or infection.",
             _kanski("Uveitis"), ("opacity",), requires=(r"hypopyon",), modality="slit lamp"),
    Relation("keratic precipitates", "anterior uveitis",
             "Keratic precipitates are inflammatory cell deposits on the corneal endothelium and indicate "
             "anterior uveitis.",
             _kanski("Uveitis"), ("opacity",), requires=(r"keratic precipitates",), modality="slit lamp"),
    Relation("corneal infiltrate", "infectious keratitis",
             "A corneal infiltrate with an overlying epithelial defect suggests infectious keratitis.",
             _KERATITIS_PPP, ("opacity",), requires=(r"infiltrat\w*|ulcers?",), modality="slit lamp"),
    Relation("hyphaema", "ocular trauma",
             "A hyphaema is blood in the anterior chamber, most often after ocular trauma.",
             _kanski("Trauma"), ("opacity",), requires=(r"hyph(?:a|ae)ema",), modality="slit lamp"),
    # --- visual fields ------------------------------------------------------------------------------------
    Relation("arcuate field defect", "glaucomatous optic neuropathy",
             "An arcuate defect or a nasal step in the visual field follows the nerve fibre layer and is "
             "typical of glaucomatous optic neuropathy.",
             _POAG_PPP, ("field defect",), requires=(r"arcuate|nasal steps?",), modality="visual field"),
    # --- normal appearance --------------------------------------------------------------------------------
    Relation("healthy optic disc", "a healthy optic disc",
             "A healthy optic disc has a well-defined margin, a pink neuroretinal rim and a small central "
             "cup.",
             _JONAS, ("optic disc", "neuroretinal rim", "cup", "cup-to-disc ratio"), kind="normal"),
    Relation("healthy neuroretinal rim", "a healthy neuroretinal rim",
             "In a healthy optic disc the neuroretinal rim is usually widest inferiorly, then superiorly, "
             "nasally and temporally.",
             _JONAS, ("neuroretinal rim",), kind="normal"),
    Relation("healthy retinal layers", "healthy retinal layers",
             "On a healthy OCT scan the retinal layers are continuous, with an intact ellipsoid zone and a "
             "smooth foveal depression.",
             _IN_OCT,
             ("retinal layers", "ellipsoid zone", "fovea", "rpe", "nerve fibre layer", "retina", "macula"),
             kind="normal", modality="oct"),
    Relation("healthy macula", "a healthy macula",
             "A healthy macula is slightly darker than the surrounding retina, with a foveal light reflex at "
             "its centre.",
             _FORRESTER, ("macula", "fovea"), kind="normal", modality="fundus photograph"),
    Relation("healthy retinal vessels", "healthy retinal vessels",
             "Healthy retinal vessels have arterioles that are narrower and lighter in colour than their "
             "venules.",
             _FORRESTER, ("retinal vessels", "arteries", "veins"), kind="normal",
             modality="fundus photograph"),
)
# fmt: on

# Spellings people (and other modules) use for the lexicon's labels.
ALIASES: dict[str, str] = {
    "hemorrhage": "haemorrhage",
    "edema": "oedema",
    "papilloedema": "papilledema",
    "neovascularisation": "neovascularization",
    "cotton-wool spots": "cotton wool spots",
    "cup to disc ratio": "cup-to-disc ratio",
    "cdr": "cup-to-disc ratio",
    "rnfl": "nerve fibre layer",
    "nerve fiber layer": "nerve fibre layer",
    "ped": "pigment epithelial detachment",
    "erm": "epiretinal membrane",
    "cherry-red spot": "cherry red spot",
    "microaneurysm": "microaneurysms",
}

# What a finding shows about the tissue, not what the patient has: a relation indicating one of these names
# no diagnosis (its statement names none either), so a record may state it whatever the narrator diagnosed.
# Left out on purpose: meanings whose statement gives a disease as example ("active exudation, as in
# neovascular age-related macular degeneration", "previous laser photocoagulation, as used for ...").
TISSUE_MEANINGS: frozenset[str] = frozenset(
    {
        "retinal ischaemia",
        "atrophy of the retinal pigment epithelium",
        "leakage from incompetent or abnormal vessels",
    }
)

# Folded into the generator's config(): editing a relation re-runs synthesis.
RELATIONS_DIGEST = hashlib.sha256(
    json.dumps([[asdict(r) for r in RELATIONS], sorted(TISSUE_MEANINGS)], sort_keys=True).encode()
).hexdigest()[:12]


def is_diagnostic(relation: Relation) -> bool:
    """Whether the relation's meaning is a diagnosis (a condition the patient has), not how healthy tissue
    looks or what a finding shows about the tissue."""
    return relation.kind == "sign" and relation.indicates not in TISSUE_MEANINGS


def condition_narrated(relation: Relation, narration: Iterable[str]) -> bool:
    """Whether a record may use this relation when derived diagnoses must be narrated: a non-diagnostic
    meaning always; a diagnosis only when the narration names it, not negated: one of its alternatives as
    written ("glaucoma or high myopia": "glaucoma"), and every lexicon diagnosis its statement names
    ("glaucomatous optic neuropathy" needs both glaucoma and optic neuropathy said)."""
    if not is_diagnostic(relation):
        return True
    sentences = [_spelling(s) for s in narration if s and s.strip()]
    told = {
        m.term.label
        for s in sentences
        for m in find_terms(s, TERMS)
        if m.term.kind == "diagnosis" and not is_negated(s, m.start, m.end)
    }
    wanted = {
        m.term.label
        for text in (relation.indicates, relation.statement)
        for m in find_terms(text, TERMS)
        if m.term.kind == "diagnosis"
    }
    if not wanted <= told:
        return False
    if wanted & told and any(m.term.kind == "diagnosis" for m in find_terms(relation.indicates, TERMS)):
        return True
    return any(_said(alt, s) for alt in _alternatives(relation.indicates) for s in sentences)


_ALTERNATIVE = re.compile(r",\s*(?:or\s+)?|\s+or\s+")
_SPELLINGS = (("edema", "oedema"), ("ischemia", "ischaemia"), ("hemorrhage", "haemorrhage"))


def _spelling(text: str) -> str:
    text = text.lower()
    for us, uk in _SPELLINGS:
        text = re.sub(rf"(?<![a-z]){us}", uk, text)
    return text


def _alternatives(indicates: str) -> list[str]:
    """'proliferative diabetic retinopathy, a retinal tear or retinal vein occlusion' -> its three parts,
    without their articles."""
    parts = (re.sub(r"^(?:a|an|the)\s+", "", p.strip()) for p in _ALTERNATIVE.split(_spelling(indicates)))
    return [p for p in parts if p]


def _said(phrase: str, sentence: str) -> bool:
    return any(
        not is_negated(sentence, m.start(), m.end())
        for m in re.finditer(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", sentence)
    )


# Spoken "cup to disc ratio" contains "disc"; it must not satisfy optic-disc qualifiers.
_CDR = re.compile(r"cup[\s-]*(?:to[\s-]*)?dis[ck][\s-]*ratios?", re.IGNORECASE)


# Hedged wording: what a finding is consistent with, not what the patient has.
HEDGE = re.compile(
    r"\b(?:consistent with|in keeping with|compatible with|suggest(?:s|ed|ing|ive of)?|points? to"
    r"|raises? (?:the )?suspicion|typical of|characteristic of|features? of|may|might|could|possibl[ey]"
    r"|likely|probabl[ey]|hallmark of|sign of)\b",
    re.IGNORECASE,
)


def relations_for(labels: Iterable[str]) -> list[Relation]:
    """Every relation (sign or normal) keyed by any of these lexicon labels or their aliases, table order."""
    wanted = {ALIASES.get(label.lower(), label.lower()) for label in labels}
    return [r for r in RELATIONS if wanted & set(r.labels)]


def relations_in(sentence: str) -> list[Relation]:
    """The sign relations a sentence asserts: one of its labels named and not negated, every `requires`
    pattern matched outside a negation, no `excludes` pattern present."""
    matches = find_terms(sentence, TERMS)
    asserted = {
        m.term.label
        for m in matches
        if m.term.kind in ("anatomy", "modality") or not is_negated(sentence, m.start, m.end)
    }
    masked = _CDR.sub(lambda m: " " * len(m.group(0)), sentence)
    return [
        r
        for r in RELATIONS
        if r.kind == "sign"
        and asserted & set(r.labels)
        and not any(_pattern(p).search(masked) for p in r.excludes)
        and all(_asserted_match(_pattern(p), masked) for p in r.requires)
    ]


def normal_relations(labels: Iterable[str], modality: str | None) -> list[Relation]:
    """Normal-appearance relations for these anatomy labels that apply to this modality (None: any)."""
    return [
        r
        for r in relations_for(labels)
        if r.kind == "normal" and (r.modality is None or modality is None or r.modality == modality)
    ]


def _asserted_match(pattern: re.Pattern[str], sentence: str) -> bool:
    return any(not is_negated(sentence, m.start(), m.end()) for m in pattern.finditer(sentence))


@cache
def _pattern(source: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-])(?:{source})(?![\w])", re.IGNORECASE)
