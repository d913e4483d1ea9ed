"""Frame measurements with OpenCV and imagehash: perceptual hash, sharpness, face count, JPEG bytes."""

from __future__ import annotations

from functools import lru_cache

import cv2
import imagehash
import numpy as np
from PIL import Image


def perceptual_hash(image_bgr: np.ndarray) -> str:
    rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
    return str(imagehash.phash(Image.fromarray(rgb)))


def hash_distance(a: str, b: str) -> int:
    return imagehash.hex_to_hash(a) - imagehash.hex_to_hash(b)


def sharpness(image_bgr: np.ndarray) -> float:
    """Variance of the Laplacian: low means blur or a flat card."""
    gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


@lru_cache(maxsize=1)
def _face_cascade() -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    if cascade.empty():
        raise RuntimeError("OpenCV ships no Haar cascades (opencv-python-headless>=5?); pin <5")
    return cascade


def count_faces(image_bgr: np.ndarray) -> int:
    gray = cv2.equalizeHist(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY))
    min_side = max(24, min(gray.shape[:2]) // 8)  # ignore tiny detections in textures
    faces = _face_cascade().detectMultiScale(
        gray, scaleFactor=1.1, minNeighbors=6, minSize=(min_side, min_side)
    )
    return len(faces)


def encode_jpeg(image_bgr: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()
