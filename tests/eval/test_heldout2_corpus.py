"""The heldout2 corpus: its ground truth matches its videos, and its generator refuses inconsistent input."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from eval.corpus import heldout2_images as im
from eval.corpus.heldout2.script import _s, aside, footage, lectures, see
from eval.corpus.heldout2_fundus import Fundus, fundus_photo, geometry

HELDOUT2 = Path(__file__).resolve().parents[2] / "eval" / "corpus" / "heldout2"
MODALITIES = {"colour_fundus", "oct", "angiography", "slit_lamp", "external_eye", "surgical_microscope",
              "visual_field", "diagram_or_slide", "non_clinical"}  # fmt: skip
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def _truth() -> dict:
    return json.loads((HELDOUT2 / "ground_truth.json").read_text(encoding="utf-8"))


def _audio(path: Path) -> np.ndarray:
    cmd = ["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", "16000", "-"]
    raw = subprocess.run(cmd, check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.int16).astype(np.float32) / 32768


def test_scene_refuses_sentence_finding_missing_from_scene() -> None:
    with pytest.raises(ValueError, match="drusen"):
        _s("oct", "oct", {}, [see("Drusen lift the RPE.", "drusen")], findings=())
    scene = _s(
        "oct", "oct", {}, [see("Drusen lift the RPE.", "drusen"), aside("Next slide, please.")], ("drusen",)
    )
    assert scene.findings == ("drusen",) and scene.clinical


def test_line_artefacts_names_presentation_phrases_only() -> None:
    assert aside("Okay, next slide please.").artefacts() == ["next slide please", "okay"]
    assert see("The cup is enlarged.", "optic disc cupping").artefacts() == []


def test_fundus_photo_draws_drusen_at_the_macula_and_refuses_unknown_lesions() -> None:
    normal, drusen = fundus_photo(Fundus(5), 270), fundus_photo(Fundus(5, lesions=("drusen",)), 270)
    fx, fy = (int(v) for v in geometry(Fundus(5), 270)["fovea"])
    yellow = [((img[..., 1].astype(int) - img[..., 2]) > 70)[fy - 40 : fy + 40, fx - 40 : fx + 40].sum()
              for img in (normal, drusen)]  # fmt: skip
    assert yellow[1] > yellow[0] + 50
    assert normal[0, 0].tolist() == [0, 0, 0]  # round field on black
    with pytest.raises(ValueError, match="unknown lesions"):
        fundus_photo(Fundus(5, lesions=("papilloedema",)), 64)


def test_oct_bscan_hole_opens_the_fovea_and_normal_does_not() -> None:
    normal, hole = im.oct_bscan(1, "normal"), im.oct_bscan(1, "hole")
    mid = slice(290, 310)
    # a full-thickness hole leaves the central column dark down to the RPE; normal retina is bright there
    assert hole[120:170, mid].mean() < 0.5 * normal[120:170, mid].mean()
    with pytest.raises(ValueError):
        im.oct_bscan(1, "melanoma")


def test_script_covers_every_modality_drawn_and_one_normal_image() -> None:
    scenes = [s for lec in lectures() for s in lec.scenes]
    drawn = {
        "colour_fundus",
        "oct",
        "slit_lamp",
        "external_eye",
        "visual_field",
        "diagram_or_slide",
        "non_clinical",
    }
    assert {s.modality for s in scenes} >= drawn
    clinical = [s for s in scenes if s.clinical]
    assert any(not s.findings for s in clinical)
    assert any(s.diagnoses for s in clinical) and any(not s.diagnoses and s.findings for s in clinical)
    assert len(footage()) == 1


def test_ground_truth_heldout2_is_consistent() -> None:
    truth = _truth()
    assert truth["seed"] and len(truth["videos"]) == 5 and len(truth["footage"]) == 1
    phi_scenes = 0
    for video in truth["videos"]:
        scenes = video["scenes"]
        assert scenes[0]["start_s"] == 0 and abs(scenes[-1]["end_s"] - video["duration_s"]) < 0.1
        for a, b in zip(scenes, scenes[1:], strict=False):
            assert a["end_s"] == b["start_s"]
        for scene in scenes:
            assert scene["modality"] in MODALITIES
            said = {f for s in scene["sentences"] for f in s["findings"]}
            assert said <= set(scene["findings"])
            for s in scene["sentences"]:
                assert scene["start_s"] <= s["start_s"] < s["end_s"] <= scene["end_s"]
            phi_scenes += "phi_text" in scene
            if scene["clinical_image"]:
                assert scene["normal"] == (not scene["findings"])
    assert phi_scenes == 1
    spoken = [
        s for v in truth["videos"] for sc in v["scenes"] for s in sc["sentences"] if s.get("phi_spoken")
    ]
    assert len(spoken) == 1 and not spoken[0]["describes_image"]


@needs_ffmpeg
def test_ground_truth_heldout2_sentence_times_are_where_the_speech_is() -> None:
    """Speech is louder inside every sentence than in the silences around it, despite the room noise."""
    truth = _truth()
    for video in truth["videos"] + truth["footage"]:
        audio = _audio(HELDOUT2 / video["file"])
        assert abs(audio.size / 16000 - video["duration_s"]) < 0.2
        sentences = [s for sc in video.get("scenes", video.get("spans", [])) for s in sc["sentences"]]
        sentences += video.get("intro", [])
        sentences.sort(key=lambda s: s["start_s"])
        speech = np.zeros(audio.size, bool)
        for s in sentences:
            speech[int(s["start_s"] * 16000) : int(s["end_s"] * 16000)] = True
        gaps = ~speech
        gaps[: int(0.1 * 16000)] = False  # the encoder's priming
        quiet = float(np.sqrt(np.mean(audio[gaps] ** 2)))
        for s in sentences:
            part = audio[int(s["start_s"] * 16000) : int(s["end_s"] * 16000)]
            assert float(np.sqrt(np.mean(part**2))) > 2.5 * quiet, (video["file"], s["text"])
