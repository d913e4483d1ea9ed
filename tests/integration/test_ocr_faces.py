"""Real tesseract and the real face detector on real images: scikit-image photographs, sample lectures."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from ophin.adapters.ocr import TesseractOcr, lines
from ophin.adapters.vision import detect_faces
from ophin.imaging.clinical import clinical_score
from ophin.imaging.deid import DeidParams, deidentify
from ophin.imaging.field import FieldParams
from tests.support.media import ffmpeg

CORPUS = Path(__file__).resolve().parents[2] / "eval" / "corpus"
FONT = cv2.FONT_HERSHEY_SIMPLEX
PHI_TEXT = "Jane Doe  MRN 448812  DOB 12/03/1961"
CAPTION = "OCT B-scan, right eye"

needs_tesseract = pytest.mark.skipif(
    not TesseractOcr.available(),
    reason="tesseract with English data is not installed (apt-get install tesseract-ocr tesseract-ocr-eng)",
)


@pytest.fixture(scope="module")
def ocr() -> TesseractOcr:
    return TesseractOcr()


@pytest.fixture(scope="module")
def retina() -> np.ndarray:
    return cv2.cvtColor(data.retina(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def _fit(image: np.ndarray, w: int, h: int) -> np.ndarray:
    out = np.zeros((h, w, 3), np.uint8)
    s = min(w / image.shape[1], h / image.shape[0])
    r = cv2.resize(image, (int(image.shape[1] * s), int(image.shape[0] * s)), interpolation=cv2.INTER_AREA)
    y, x = (h - r.shape[0]) // 2, (w - r.shape[1]) // 2
    out[y : y + r.shape[0], x : x + r.shape[1]] = r
    return out


def _inset(frame: np.ndarray, photo: np.ndarray, frac: float) -> np.ndarray:
    """photo scaled to frac of the frame's height, pasted in the bottom-right corner."""
    out = frame.copy()
    h = int(frame.shape[0] * frac)
    w = int(photo.shape[1] * h / photo.shape[0])
    out[-h:, -w:] = cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA)
    return out


def _burn_in(frame: np.ndarray) -> np.ndarray:
    """PHI across the top (over the fundus rim), a caption along the bottom, white, as devices burn them."""
    out = frame.copy()
    scale = frame.shape[0] / 720
    thick = max(1, round(2 * scale))
    cv2.putText(
        out, PHI_TEXT, (int(20 * scale), int(50 * scale)), FONT, scale, (255, 255, 255), thick, cv2.LINE_AA
    )
    cv2.putText(
        out,
        CAPTION,
        (int(20 * scale), frame.shape[0] - int(24 * scale)),
        FONT,
        scale,
        (255, 255, 255),
        thick,
        cv2.LINE_AA,
    )
    return out


def _read(ocr: TesseractOcr, image: np.ndarray) -> str:
    return "\n".join(line.text for line in lines(ocr.words(image)))


@needs_tesseract
@pytest.mark.parametrize("size", [(640, 360), (1280, 720)])
def test_deidentify_redacts_burned_in_phi_and_keeps_the_caption(
    ocr: TesseractOcr, retina: np.ndarray, size: tuple[int, int]
) -> None:
    frame = _burn_in(_fit(retina, *size))
    before = _read(ocr, frame)
    assert "448812" in before and "12/03/1961" in before  # the check below means something

    # The caption sits on the black surround, which the fundus field fill clears whole (field.py): the
    # OCR's own redaction, which must keep a harmless caption, is checked with that fill off.
    r = deidentify(frame, ocr=ocr, params=DeidParams(fundus_field=FieldParams(enabled=False)))

    after = _read(ocr, r.image)
    for secret in ("Jane", "448812", "1961", "MRN", "DOB"):
        assert secret not in after
    assert "B-scan" in after
    assert {"record number", "date of birth"} <= set(r.redaction_reasons)
    # The PHI line is filled, in one piece or more (the label finder fills what the OCR's line box left
    # of it), and nothing below it: every filled pixel lies in the top band.
    assert r.text_boxes_redacted >= 1 and r.faces == 0
    filled = (r.image.max(axis=2) == 0) & (frame.max(axis=2) > 0)
    assert filled.any() and np.nonzero(filled)[0].max() < 0.15 * frame.shape[0]

    cleared = deidentify(frame, ocr=ocr, params=DeidParams())
    after = _read(ocr, cleared.image)
    assert not any(secret in after for secret in ("Jane", "448812", "1961", "MRN", "DOB"))
    assert "fundus surround" in cleared.redaction_reasons


@needs_tesseract
def test_tesseract_boxes_are_in_the_frames_own_pixels(ocr: TesseractOcr, retina: np.ndarray) -> None:
    frame = _burn_in(_fit(retina, 640, 360))  # upscaled x2 inside words(): boxes must come back at 1x
    number = next(w for w in ocr.words(frame) if w.text == "448812")
    x, y, w, h = number.box
    assert 100 < x < 200 and 10 < y < 30 and 40 < w < 80 and 6 < h < 16
    assert number.conf >= 50


def test_detect_faces_finds_the_astronaut_at_full_size(astronaut: np.ndarray) -> None:
    faces = detect_faces(astronaut)
    assert len(faces) == 1
    x, y, w, h = faces[0].box
    assert 170 < x + w / 2 < 270 and 80 < y + h / 2 < 160 and faces[0].score > 0.97


def test_detect_faces_from_many_threads_at_once_agrees_with_one(astronaut: np.ndarray) -> None:
    # `ophin run --workers N` runs keyframes of several videos at once: each thread has its own networks.
    from concurrent.futures import ThreadPoolExecutor

    alone = detect_faces(astronaut)
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda _: detect_faces(astronaut), range(12)))
    assert all(faces == alone for faces in together)


@pytest.mark.parametrize(("size", "frac"), [((1411, 1411), 1 / 4), ((640, 360), 1 / 4), ((640, 360), 1 / 8)])
def test_detect_faces_finds_a_webcam_inset(
    retina: np.ndarray, astronaut: np.ndarray, size: tuple[int, int], frac: float
) -> None:
    frame = _inset(_fit(retina, *size), astronaut, frac)
    faces = detect_faces(frame)
    assert len(faces) == 1
    x, y, w, h = faces[0].box
    assert x > size[0] * (1 - frac) and y > size[1] * (1 - frac)  # in the corner, not on the fundus


def test_detect_faces_sees_none_in_the_fundus_photograph(retina: np.ndarray) -> None:
    assert detect_faces(retina) == []
    assert detect_faces(_fit(retina, 640, 360)) == []


def test_deidentify_marks_the_astronaut_portrait_as_subject(astronaut: np.ndarray) -> None:
    r = deidentify(astronaut, ocr=None, params=DeidParams())
    assert r.faces == 1 and r.face_is_subject
    assert detect_faces(r.image) == []  # blurred all the same


def test_deidentify_blurs_an_inset_face_and_the_fundus_stays_clinical(
    retina: np.ndarray, astronaut: np.ndarray
) -> None:
    frame = _inset(retina, astronaut, 1 / 4)
    ocr = TesseractOcr() if TesseractOcr.available() else None
    r = deidentify(frame, ocr=ocr, params=DeidParams())
    assert r.faces == 1 and r.faces_blurred == 1 and not r.face_is_subject
    assert r.face_fraction < 0.01
    assert detect_faces(r.image) == []
    score = clinical_score(r.image, r.ocr_words)
    assert score.is_clinical and score.score > 0.9


def _corpus_frames(root: Path) -> list[tuple[dict, str, Path]]:
    """(scene truth, name, png) for a frame grabbed mid-scene from every scene of every sample lecture."""
    out = []
    # The sets made like the demo; heldout2 is measured by `make quality` only, never by engine tests.
    for truth in (CORPUS / "demo" / "ground_truth.json", CORPUS / "heldout" / "ground_truth.json"):
        for video in json.loads(truth.read_text())["videos"]:
            for scene in video["scenes"]:
                name = f"{truth.parent.name}/{Path(video['file']).stem}/{scene['index']}"
                png = root / f"{name.replace('/', '_')}.png"
                t = (scene["start_s"] + scene["end_s"]) / 2
                ffmpeg("-ss", f"{t:.2f}", "-i", str(truth.parent / video["file"]), "-frames:v", "1", str(png))
                out.append((scene, name, png))
    return out


@pytest.fixture(scope="module")
def corpus_frames(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[dict, str, Path]]:
    return _corpus_frames(tmp_path_factory.mktemp("frames"))


def _inside(box: tuple[int, int, int, int], norm: list[float], w: int, h: int) -> bool:
    """The face box's centre lies in the ground truth's normalised (x0, y0, x1, y1) box."""
    cx, cy = (box[0] + box[2] / 2) / w, (box[1] + box[3] / 2) / h
    return norm[0] <= cx <= norm[2] and norm[1] <= cy <= norm[3]


def test_sample_corpus_scenes_by_kind(corpus_frames: list[tuple[dict, str, Path]]) -> None:
    """Every scene of every sample lecture: faces, subject, clinical score, as its ground truth says."""
    ocr = TesseractOcr(min_conf=0) if TesseractOcr.available() else None
    wrong = []
    for scene, name, png in corpus_frames:
        kind = scene["kind"]
        image = cv2.imread(str(png))
        h, w = image.shape[:2]
        r = deidentify(image, ocr=ocr, params=DeidParams())
        score = clinical_score(image, r.ocr_words)
        if kind == "face":
            if not r.face_is_subject:
                wrong.append(f"{name}: face scene, face_fraction {r.face_fraction}")
            continue
        if scene.get("webcam_inset"):
            found = detect_faces(image)
            if r.face_is_subject or not any(_inside(f.box, scene["face_box"], w, h) for f in found):
                wrong.append(
                    f"{name}: webcam inset, faces {[f.box for f in found]}, subject {r.face_is_subject}"
                )
        elif r.faces:
            wrong.append(f"{name}: {kind} scene, {r.faces} face(s)")
        if score.is_clinical != scene["clinical_image"]:
            wrong.append(f"{name}: {kind} scene scored {score.score} ({score.reason})")
    kinds = {scene["kind"] for scene, _, _ in corpus_frames}
    assert kinds >= {"title", "text", "fundus", "oct", "face"}
    assert wrong == []


@needs_tesseract
@pytest.mark.parametrize("min_conf", [0, 50])
def test_sample_corpus_burned_in_banners_are_redacted(
    corpus_frames: list[tuple[dict, str, Path]], min_conf: int
) -> None:
    """The *_cases lectures' patient banners: after deidentify no OCR, however lax, reads any of it."""
    banners = [(scene, name, png) for scene, name, png in corpus_frames if scene.get("phi_text")]
    assert banners, "the sample corpus has burned-in banners to test"
    lax = TesseractOcr(min_conf=0)
    for scene, name, png in banners:
        image = cv2.imread(str(png))
        r = deidentify(image, ocr=TesseractOcr(min_conf=min_conf), params=DeidParams())
        after = _read(lax, r.image)
        tokens = {t for phrase in scene["phi_text"] for t in phrase.split() if t not in ("DOB", "MRN")}
        assert not [t for t in tokens if t in after], (name, after)
        assert r.redaction_reasons and r.text_boxes_redacted >= 1
        assert clinical_score(r.image, r.ocr_words).is_clinical  # a blacked-out strip leaves the fundus


def test_tesseract_thread_limit_stays_out_of_this_process(monkeypatch) -> None:  # noqa: ANN001
    """OMP_THREAD_LIMIT=1 in the engine's own process makes faster-whisper return no segments (measured):
    only the tesseract subprocess may see it."""
    import os

    import pytesseract.pytesseract as tess

    from ophin.adapters.ocr import TesseractOcr

    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    TesseractOcr()
    assert "OMP_THREAD_LIMIT" not in os.environ
    assert dict(tess.environ)["OMP_THREAD_LIMIT"] == "1" and dict(tess.environ)["PATH"] == os.environ["PATH"]
