"""Per-frame image scores: sharpness, exposure, clipped fraction, text fraction, faces.

Each is a number a reviewer can reproduce, measured so a threshold means the same at any resolution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ophin.adapters.ocr import OcrWord

WORK_SIDE = 512  # sharpness is measured with the long side scaled to this: Laplacian variance scales with it
CRUSHED = 6  # luma (0..255) at or below which a pixel is crushed black
BLOWN = 250  # luma at or above which a pixel is blown white
WHITE_FRAME = 0.6  # share of the border that is white for white to be a slide's margin, not blown picture
SURROUND = (
    12  # luma below which a pixel may be a dark surround reached from the border (re-encoded black: <12)
)


@dataclass(frozen=True)
class ImageScores:
    sharpness: (
        float  # variance of the Laplacian of the luma at WORK_SIDE, over the content (not the surround)
    )
    exposure: float  # mean luma of the content, 0..1
    clipped_fraction: float  # crushed-black or blown-white share of the content
    surround_fraction: float  # border-connected black/white surround (fundus mask, letterbox, slide margin)
    text_fraction: float  # OCR word boxes' share of the frame
    faces: int
    face_fraction: float  # largest face's share of the frame


def image_scores(
    image_bgr: np.ndarray, ocr_words: Sequence[OcrWord] = (), *, faces: int = 0, face_fraction: float = 0.0
) -> ImageScores:
    import cv2

    luma = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    content = ~surround(luma)
    n = int(content.sum())
    values = luma[content] if n else luma.ravel()
    clipped = ((values <= CRUSHED) | (values >= BLOWN)).mean()
    return ImageScores(
        sharpness=round(sharpness(image_bgr, content), 2),
        exposure=round(float(values.mean()) / 255.0, 4),
        clipped_fraction=round(float(clipped), 4),
        surround_fraction=round(1 - n / luma.size, 4),
        text_fraction=round(text_fraction(luma.shape, ocr_words), 4),
        faces=faces,
        face_fraction=round(face_fraction, 5),
    )


def sharpness(image_bgr: np.ndarray, content: np.ndarray | None = None) -> float:
    """Variance of the Laplacian at WORK_SIDE and mean luma 128, over content away from the surround.

    The fixed size makes a 1080p and a 360p copy of one picture score alike; leaving out the black
    surround stops a fundus's mask (flat) diluting it and its rim (a hard edge) inflating it.
    """
    import cv2

    gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY) if image_bgr.ndim == 3 else image_bgr
    h, w = gray.shape
    s = WORK_SIDE / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    small = small.astype(np.float32)
    inner = np.ones(small.shape, bool)
    if content is not None:
        inner = cv2.resize(content.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
        inner = cv2.erode(inner, np.ones((7, 7), np.uint8)).astype(bool)
        if inner.sum() <= 100:
            inner = np.ones(small.shape, bool)
    # Scaled to a mean luma of 128 first: a dimmer copy of a picture is no blurrier (the variance
    # would otherwise fall with the square of the gain).
    small *= 128.0 / max(float(small[inner].mean()), 8.0)
    return float(cv2.Laplacian(small, cv2.CV_32F)[inner].var())


def surround(luma: np.ndarray) -> np.ndarray:
    """What is not picture: the dark surround (dark_surround), and, when white rings most of the border,
    the white slide around a photograph cropped with a margin, with the photograph's black corners it
    reaches. Left out of exposure and clipping; blown highlights inside a picture (even at its edge: a
    white ring is a frame, a blown band at one edge is not) still count."""
    edge = np.concatenate([luma[0], luma[-1], luma[:, 0], luma[:, -1]])
    if (edge >= BLOWN).mean() < WHITE_FRAME:
        return dark_surround(luma)
    return _border_connected(((luma < SURROUND) | (luma >= BLOWN)).astype(np.uint8))


def dark_surround(luma: np.ndarray) -> np.ndarray:
    """Dark pixels connected to the frame's border: a fundus camera's black mask or a letterbox bar is
    legitimate black, not a crushed exposure."""
    return _border_connected((luma < SURROUND).astype(np.uint8))


def _border_connected(mask: np.ndarray) -> np.ndarray:
    import cv2

    n, labels = cv2.connectedComponents(mask, connectivity=4)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    border = border[border > 0]
    return np.isin(labels, border) if n > 1 and len(border) else np.zeros(mask.shape, bool)


def text_fraction(shape: tuple[int, ...], words: Sequence[OcrWord]) -> float:
    mask = np.zeros(shape[:2], bool)
    for word in words:
        x, y, w, h = word.box
        mask[max(0, y) : max(0, y + h), max(0, x) : max(0, x + w)] = True
    return float(mask.mean())
