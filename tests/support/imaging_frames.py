"""Synthetic lecture frames for the imaging tests: a fundus, an OCT B-scan, slides, insets, and variants."""

from __future__ import annotations

import cv2
import numpy as np
from skimage import data

from ophin.adapters.ocr import OcrWord

W, H = 640, 360
FONT = cv2.FONT_HERSHEY_SIMPLEX


def fundus_photo() -> np.ndarray:
    return cv2.cvtColor(data.retina(), cv2.COLOR_RGB2BGR)


def face_photo() -> np.ndarray:
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def grey_photo() -> np.ndarray:
    return cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2BGR)


def oct_bscan(seed: int = 0, h: int = 300, w: int = 640) -> np.ndarray:
    """Retinal layers as bright and dark bands dipping at a fovea, with multiplicative speckle."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    surface = 90 + 25 * np.exp(-(((xs - w / 2) / 60) ** 2))
    depth = ys - surface
    layers = np.select(
        [depth < 0, depth < 12, depth < 40, depth < 55, depth < 80, depth < 92, depth < 110],
        [0.05, 0.8, 0.45, 0.25, 0.55, 0.95, 0.6],
        default=0.3,
    )
    speckle = rng.gamma(2.0, 0.5, size=(h, w))
    return cv2.cvtColor(np.clip(layers * speckle * 200, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def fit(image: np.ndarray, w: int = W, h: int = H, bg: tuple[int, int, int] = (0, 0, 0)) -> np.ndarray:
    """image centred in a w x h frame of bg (black: letterbox or pillarbox)."""
    out = np.full((h, w, 3), bg, np.uint8)
    s = min(w / image.shape[1], h / image.shape[0])
    r = cv2.resize(image, (int(image.shape[1] * s), int(image.shape[0] * s)), interpolation=cv2.INTER_AREA)
    y, x = (h - r.shape[0]) // 2, (w - r.shape[1]) // 2
    out[y : y + r.shape[0], x : x + r.shape[1]] = r
    return out


def write(
    image: np.ndarray, text: str, x: int, y: int, scale: float, colour, thick: int = 1
) -> list[OcrWord]:
    """Draw text with its baseline at y; return the words as a perfect OCR would box them."""
    words = []
    for token in text.split():
        (tw, th), base = cv2.getTextSize(token, FONT, scale, thick)
        cv2.putText(image, token, (x, y), FONT, scale, colour, thick, cv2.LINE_AA)
        words.append(OcrWord(token, 95.0, (x, y - th, tw, th + base)))
        x += tw + int(12 * scale)
    return words


def photo_beside_bullets(photo: np.ndarray, side: int = 300) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A light slide: title bar, the photo on the right (side px tall), bullets left; and the photo's box."""
    slide = np.full((H, W, 3), (240, 244, 246), np.uint8)
    slide[:44] = (90, 60, 20)
    write(slide, "Optic disc cupping", 16, 32, 0.8, (255, 255, 255), 2)
    for i, line in enumerate(["Cup-to-disc ratio", "Rim thinning", "Notching", "Disc haemorrhage"]):
        cv2.circle(slide, (26, 90 + 40 * i), 4, (40, 40, 40), -1)
        write(slide, line, 40, 96 + 40 * i, 0.6, (40, 40, 40), 2)
    r = cv2.resize(photo, (side * photo.shape[1] // photo.shape[0], side), interpolation=cv2.INTER_AREA)
    x, y = W - r.shape[1] - 16, 52
    slide[y : y + side, x : x + r.shape[1]] = r
    return slide, (x, y, r.shape[1], side)


def with_inset(frame: np.ndarray, inset: np.ndarray, frac: float = 0.22, corner: str = "br") -> np.ndarray:
    """frame with inset (a webcam) frac of its height in a corner."""
    out = frame.copy()
    h = int(frame.shape[0] * frac)
    w = int(inset.shape[1] * h / inset.shape[0])
    small = cv2.resize(inset, (w, h), interpolation=cv2.INTER_AREA)
    y = frame.shape[0] - h - 4 if corner[0] == "b" else 4
    x = frame.shape[1] - w - 4 if corner[1] == "r" else 4
    out[y : y + h, x : x + w] = small
    return out


def rotated(image: np.ndarray, degrees: float) -> np.ndarray:
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))


def brightness(image: np.ndarray, gain: float, offset: float = 0.0) -> np.ndarray:
    return np.clip(image.astype(np.float32) * gain + offset, 0, 255).astype(np.uint8)


def blurred(image: np.ndarray, sigma: float = 3.0) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigma)
