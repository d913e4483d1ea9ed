"""Whether the release is true to its lectures: clinical images only, every clinical scene and footage span
yielding records, each answer sentence supported by a true narration sentence, real words, no planted PHI."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from eval.quality.records import Measured, Rec, content_words, sentences, share
from eval.quality.truth import Scene
from eval.quality.vocab import DIAGNOSES, FINDINGS, MODALITIES, fold, mentions, terms

WORD_LISTS = (
    "/usr/share/dict/american-english-large",
    "/usr/share/dict/british-english-large",
    "/usr/share/dict/words",
)

# Terms a general dictionary lacks; the set's own narration is added per set (the narrator's words are real).
DOMAIN_WORDS = frozenset(
    "drusen druse microaneurysm microaneurysms exudate exudates exudative haemorrhage haemorrhages "
    "hemorrhage "
    "hemorrhages intraretinal subretinal preretinal epiretinal neovascularisation neovascularization "
    "papilloedema papilledema oedema edema oedematous macular fovea foveal foveola parafoveal perifoveal "
    "photocoagulation panretinal retinopathy maculopathy chorioretinopathy choroidal choroid vitreomacular "
    "hyperreflective hyporeflective hyperfluorescence hypofluorescence hyperfluorescent hypofluorescent "
    "angiogram angiography fluorescein indocyanine tomography perimetry scotoma scotomas arcuate "
    "neuroretinal peripapillary glaucomatous cupping ellipsoid photoreceptor photoreceptors arteriolar "
    "arterioles venules tortuous tortuosity hypopyon hyphaema hyphema keratic biomicroscopy fundoscopy "
    "ophthalmoscopy fundus oct rpe rnfl amd dmo dme cmo cme nvd nve cnv ffa icg onh brvo crvo brao crao "
    "pdr npdr erm vmt ped".split()
)


def clinical_precision(records: list[Rec]) -> Measured:
    bad = sorted(
        {f"image {r.image} from non-clinical scene {r.scene.key}" for r in records if not r.scene.clinical}
    )
    return share(sum(r.scene.clinical for r in records), len(records), bad)


def scene_recall(records: list[Rec], scenes: list[Scene]) -> Measured:
    """Clinical lecture scenes (or, given footage spans, spans) with at least one record."""
    covered = {r.scene.key for r in records}
    wanted = [s for s in scenes if s.clinical]
    missed = [f"no record from {s.key} ({s.modality})" for s in wanted if s.key not in covered]
    return share(len(wanted) - len(missed), len(wanted), missed)


def _grounded_terms(sentence: str, scene: Scene) -> bool:
    """Every diagnosis the sentence names is named in the scene's narration; every finding too, or in other
    words the narration holds ("the retina thickened" for "thickened retina": a vocabulary gap is no lie)."""
    if not terms(sentence, DIAGNOSES, affirmed=False) <= terms(scene.narration, DIAGNOSES, affirmed=False):
        return False
    said = terms(scene.narration, FINDINGS, affirmed=False)
    said_words = set(content_words(scene.narration))
    folded = fold(sentence)
    return all(
        m.term in said or set(content_words(folded[m.start : m.end])) <= said_words
        for m in mentions(sentence, FINDINGS)
    )


_CLAIM_WORDS = frozenset(content_words("normal abnormal abnormality healthy unremarkable"))
# What kind of picture it is: judged by modality_contradictions, not by fidelity.
_MODALITY_WORDS = frozenset(
    content_words(
        "oct scan b-scan photograph photo fundus colour camera angiogram angiography fluorescein slit lamp "
        "tomography optical coherence microscope perimetry diagram drawing illustration "
        + " ".join(MODALITIES)
    )
)


def supported(sentence: str, scene: Scene, threshold: float = 0.6) -> bool | None:
    """A record sentence is supported when every finding and diagnosis it names was named in the scene's
    narration and one true sentence holds most of its content words (modality and normal/abnormal words
    are judged by their own figures).  None: nothing to judge (no content words)."""
    words = set(content_words(sentence)) - _MODALITY_WORDS - _CLAIM_WORDS
    if not words:
        return None
    if not _grounded_terms(sentence, scene):
        return False
    best = max((len(words & set(content_words(s))) / len(words) for s in scene.sentences), default=0.0)
    return best >= threshold


def fidelity(records: list[Rec], descriptive: bool = False) -> Measured:
    """Share of answer sentences supported by a true narration sentence of the record's scene. descriptive:
    only what says what the image shows, not a chain of thought's reasoning (its lines after the first:
    what a finding means and the conclusion, which go beyond the narration by design and are judged by the
    invented-diagnosis figures): where the gap between the two lies."""
    hits = total = 0
    problems = []
    for r in records:
        text = r.answers.strip().split("\n", 1)[0] if descriptive and r.kind == "cot" else r.answers
        for sentence in sentences(text):
            verdict = supported(sentence, r.scene)
            if verdict is None:
                continue
            total += 1
            hits += verdict
            if not verdict:
                problems.append(f"record {r.id} ({r.scene.key}): unsupported: {sentence[:90]}")
    return share(hits, total, problems)


@lru_cache(maxsize=1)
def dictionary() -> frozenset[str]:
    found = [Path(p) for p in WORD_LISTS if Path(p).exists()]
    if not found:
        raise RuntimeError(f"no word list at {WORD_LISTS}: install wamerican-large/wbritish-large")
    words: set[str] = set()
    for path in found:
        words.update(
            w.strip().lower().removesuffix("'s") for w in path.read_text(errors="ignore").splitlines()
        )
    return frozenset(words)


def non_words(text: str, known: frozenset[str]) -> list[str]:
    out = []
    for token in re.findall(r"[A-Za-z]+(?:'[a-z]+)?", text):
        word = token.lower().removesuffix("'s")
        if len(word) > 2 and word not in known and fold(word) not in known:
            out.append(token)
    return out


def garbled(records: list[Rec], narration: str) -> Measured:
    """Records whose text holds a word that is in no dictionary, the domain list or the set's narration."""
    said = {w.lower() for w in re.findall(r"[A-Za-z]+", narration)}
    known = dictionary() | DOMAIN_WORDS | said | {fold(w) for w in said}
    bad = []
    for r in records:
        odd = non_words(r.text, known)
        if odd:
            bad.append(f"record {r.id}: non-word(s) {', '.join(odd[:5])}")
    return share(len(bad), len(records), bad)


def planted_phi(truth: dict[str, Any]) -> list[str]:
    values = []
    for video in truth["videos"]:
        for scene in video["scenes"]:
            values += scene.get("phi_text", [])
            for sentence in scene["sentences"]:
                values += sentence.get("phi", [])
    # Each planted string, and its parts that identify on their own (a surname, a record number, a date).
    parts = {
        p for v in values for p in re.findall(r"[A-Za-z]{3,}|\d[\d/.-]{4,}", v) if p not in {"MRN", "DOB"}
    }
    return sorted({*values, *parts})


_IDENTIFIERS = re.compile(
    r"(?i:\b(?:mrn|dob|date of birth|hospital number|nhs number|record number)\b\W{0,3}\d)"
    r"|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"
    r"|\b(?:Mr|Mrs|Ms|Miss|Dr|Doctor|Professor)\.? [A-Z][a-z]{2,}",
)


def leaks(text: str, planted: list[str]) -> list[str]:
    """What leaked, by kind only (never the value): a planted string, or an identifier's shape."""
    lowered = text.lower()
    found = ["planted string" for p in planted if p.lower() in lowered]
    return found + ["identifier" for _ in _IDENTIFIERS.finditer(text)]
