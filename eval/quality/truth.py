"""A corpus set's ground truth as scenes: what the picture is, what was said of it, its findings, diagnoses.

Lecture scenes come from ``videos[].scenes``; each narrated span of a footage video (continuous examination or
long slide) is a scene of its own.  Where the ground truth does not state a scene's modality, findings or
diagnoses (the demo and heldout sets), they are derived here with the evaluation's vocabulary from the scene
``kind`` and its true sentences, never written into the committed ground truth.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from eval.quality.vocab import DIAGNOSES, FINDINGS, KIND_MODALITY, canonical, terms

NON_CLINICAL_KINDS = {"face": "non_clinical", "title": "diagram_or_slide", "text": "diagram_or_slide"}


@dataclass(frozen=True)
class Scene:
    key: str  # "<file>#<scene index>" or "<file>@<span index>"
    file: str
    start_s: float
    end_s: float
    clinical: bool
    modality: str
    sentences: tuple[str, ...] = ()
    image_sentences: tuple[str, ...] = ()  # those describing the picture
    findings: frozenset[str] = frozenset()  # canonical (or "literal:") names narrated about the picture
    diagnoses: frozenset[str] = frozenset()  # every diagnosis the narration names, in any voice
    normal: bool | None = None
    footage: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # phi_text etc., as given

    @property
    def narration(self) -> str:
        return " ".join(self.sentences)


def _modality(entry: dict[str, Any], clinical: bool) -> str:
    given = entry.get("modality")
    if given:
        return KIND_MODALITY.get(given, given)
    kind = entry.get("kind", "")
    if kind in KIND_MODALITY:
        return KIND_MODALITY[kind]
    return NON_CLINICAL_KINDS.get(kind, "diagram_or_slide" if clinical else "non_clinical")


def _findings(given: Iterable[str] | None, image_sentences: Iterable[str]) -> frozenset[str]:
    if given is not None:
        return frozenset(t for name in given for t in canonical(name, FINDINGS))
    return frozenset(terms(" ".join(image_sentences), FINDINGS))


def _diagnoses(given: Iterable[str] | None, sentences: Iterable[str]) -> frozenset[str]:
    # Any mention counts, hedged or negated: a record repeating what the narrator weighed invents nothing.
    named = terms(" ".join(sentences), DIAGNOSES, affirmed=False)
    named |= {t for name in given or () for t in canonical(name, DIAGNOSES)}
    return frozenset(named)


def _scene(file: str, key: str, entry: dict[str, Any], clinical: bool, modality: str,
           findings: Iterable[str] | None, footage: bool) -> Scene:  # fmt: skip
    sentences = entry["sentences"]
    said = tuple(s["text"] for s in sentences)
    seen = tuple(s["text"] for s in sentences if s.get("describes_image"))
    return Scene(
        key, file, entry["start_s"], entry["end_s"], clinical, modality, said, seen,
        _findings(findings, seen), _diagnoses(entry.get("diagnoses"), said), entry.get("normal"), footage,
        {k: entry[k] for k in ("phi_text", "phi_box", "face_box", "webcam_inset") if k in entry},
    )  # fmt: skip


def scenes(truth: dict[str, Any]) -> dict[str, list[Scene]]:
    """Scenes of every video of a set (lectures and footage), by file name, in time order."""
    out: dict[str, list[Scene]] = {}
    for video in truth["videos"]:
        out[video["file"]] = [
            _scene(video["file"], f"{video['file']}#{s['index']}", s, s["clinical_image"],
                   _modality(s, s["clinical_image"]), s.get("findings"), False)
            for s in video["scenes"]
        ]  # fmt: skip
    for video in truth.get("footage", []):
        clinical = video.get("clinical_image", True)
        modality = _modality(video, clinical)
        # One eye throughout: a diagnosis named anywhere in the footage's narration is named for every span.
        said = [s["text"] for part in (video.get("intro", []), *(sp["sentences"] for sp in video["spans"]))
                for s in part]  # fmt: skip
        named = _diagnoses(video.get("diagnoses"), said)
        out[video["file"]] = [
            replace(scene, diagnoses=scene.diagnoses | named)
            for scene in (
                _scene(video["file"], f"{video['file']}@{span['index']}", span, clinical, modality,
                       span.get("findings") or [span["finding"]], True)
                for span in video["spans"]
            )
        ]  # fmt: skip
    return out


def locate(file_scenes: list[Scene], t_s: float, window: tuple[float, float] | None = None) -> Scene:
    """The scene a record's picture belongs to.  A lecture frame: the scene its time falls in.  Footage: the
    span its narration window overlaps most (a long slide's one frame serves every span), else the nearest."""
    if not file_scenes[0].footage or window is None:
        for scene in file_scenes:
            if scene.start_s <= t_s < scene.end_s + 1e-6:
                return scene
        return min(file_scenes, key=lambda s: min(abs(s.start_s - t_s), abs(s.end_s - t_s)))
    start, end = window

    def overlap(s: Scene) -> float:
        return min(end, s.end_s) - max(start, s.start_s)

    best = max(file_scenes, key=overlap)
    if overlap(best) > 0:
        return best
    mid = (start + end) / 2
    return min(file_scenes, key=lambda s: abs((s.start_s + s.end_s) / 2 - mid))
