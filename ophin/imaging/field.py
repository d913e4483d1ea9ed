"""The round field of a fundus photograph: a bright disc on a black surround, where nothing clinical lies.

Fundus cameras write the patient's name, date of birth and record number in the surround's corners, in
whatever font and colour the device uses. Where the field is found with confidence, everything outside it
is filled: every label there goes, read or not, at no clinical cost. Not found (a rectangular picture, a
light ground, a field cut by the frame's edges beyond a small share), nothing is filled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FieldParams:
    enabled: bool = True
    lit: int = 20  # max channel above which a pixel is picture, not surround
    min_radius: float = 0.3  # of the frame's shorter side: smaller is an inset, not the photograph
    # The lit region's share of its circle inside the frame: a round field ~1 (a notch or a tab at the
    # edge: 0.97+); a rectangle inscribed in a circle 0.64, a letterboxed OCT less.
    min_roundness: float = 0.9
    # Share of the surround (outside the circle, inside the frame) that is dark: labels are thin strokes,
    # a picture's rectangle corners are not.
    min_dark: float = 0.9
    pad: float = 0.01  # of the radius, kept around the circle (the field's antialiased rim)


def field_circle(image_bgr: np.ndarray, p: FieldParams | None = None) -> tuple[int, int, int] | None:
    """(cx, cy, r) in frame pixels of a round field on a dark surround, or None."""
    import cv2

    p = p or FieldParams()
    if not p.enabled:
        return None
    lit = (image_bgr.max(axis=2) if image_bgr.ndim == 3 else image_bgr) > p.lit
    h, w = lit.shape
    # An opening wider than a label's stroke drops the text on the surround before the outline is traced.
    k = max(5, round(min(h, w) / 60)) | 1
    body = cv2.morphologyEx(
        lit.astype(np.uint8), cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    )
    contours, _ = cv2.findContours(body, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    (cx, cy), r = cv2.minEnclosingCircle(max(contours, key=cv2.contourArea))
    if r < p.min_radius * min(h, w):
        return None
    disc = np.zeros((h, w), np.uint8)
    cv2.circle(disc, (round(cx), round(cy)), round(r), 1, -1)
    inside = disc.astype(bool)
    if body[inside].mean() < p.min_roundness:
        return None
    outside = ~inside
    if outside.sum() < 0.02 * h * w or (~lit[outside]).mean() < p.min_dark:
        return None  # a field filling the frame has no surround to clear
    return round(cx), round(cy), round(r * (1 + p.pad)) + 1


def clear_surround(image_bgr: np.ndarray, p: FieldParams | None = None) -> tuple[np.ndarray, int]:
    """A copy with everything outside the round field black, and how many lit pixels that removed (0:
    no field found, or a surround with nothing on it)."""
    import cv2

    p = p or FieldParams()
    circle = field_circle(image_bgr, p)
    if circle is None:
        return image_bgr, 0
    outside = np.ones(image_bgr.shape[:2], np.uint8)
    cv2.circle(outside, circle[:2], circle[2], 0, -1)
    lit = (image_bgr.max(axis=2) if image_bgr.ndim == 3 else image_bgr) > p.lit
    removed = int((lit & (outside > 0)).sum())
    out = image_bgr.copy()
    out[outside > 0] = 0
    return out, removed
