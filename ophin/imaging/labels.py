"""Where burned-in labels live: text-like stroke clusters in the frame's border bands, found without OCR.

Camera labels (name, date of birth, record number) sit in the corners and the top and bottom bands of a
clinical picture, often small and light on black, where tesseract reads little or nothing. Whether text is
there is a simpler question than what it says: strokes brighter (or, on a light ground, darker) than their
surroundings, thinner than a morphological kernel, grouped into lines of a plausible height. De-identification
fills such a line unless OCR read it with confidence as something other than a name (ophin/imaging/deid.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ophin.adapters.ocr import Box


@dataclass(frozen=True)
class LabelParams:
    enabled: bool = True
    band: float = 0.22  # outer share of the width and of the height searched (corners, top/bottom, sides)
    contrast: int = 70  # stroke against its ground (the local median), grey levels
    light_ground: int = 175  # dark strokes count only on a ground at least this light (fundus tissue: ~110)
    min_height: int = 5  # px in the frame: smaller is not legible
    max_height: float = 0.07  # of the frame's height: taller is a picture's structure, not a label line
    # A name needs several letters: a line at least this many times as wide as tall. One- or two-glyph
    # clusters are what OCT speckle makes in a crop's bands (a clean B-scan lost 9.7 % of its area to them).
    min_aspect: float = 2.0
    # A part of a line (a letter of large text, a short word) only joins a row of such parts: alone, a
    # part as wide as this share of its height is not a line.
    min_part_aspect: float = 0.3
    min_fill: float = 0.12  # share of a line's box that is stroke: text 0.2-0.5, speckle blobs more
    max_fill: float = 0.7
    # Labels are written on a ground without strokes of its own: the 90th percentile of the non-stroke
    # pixels' distance from the local median (the ground) around a line. A spread of grey levels is not
    # texture: a smooth gradient (fundus tissue near the field's edge) or a ground of two tones (a slide
    # next to the photograph's edge) has a small residual, which a plain std (up to 76 there) took for
    # texture. OCT speckle stays far above: stroke-like blobs there are texture, not text.
    flat_residual: float = 20.0
    # Stroke clusters smaller than this (px) are speckle, not glyph parts (a 10 px glyph has 15+).
    min_stroke_area: int = 6
    # Glyphs stand up: a stem or a bowl's side crosses its column from near the top to near the bottom.
    # A curve or a slanted line lying along the band crosses each column once, a stroke's width high: the
    # lower arc of a ring drawn round a lesion on a teaching slide, cut by the band's edge, is one stroke
    # 4 times as wide as tall with no column crossed over half its height. A stroke cluster at least
    # min_aspect times as wide as tall with under this share of such tall columns is a drawn line, not
    # text (letters joined to a rule keep their stems; a hyphen or an underline is one stroke high).
    max_tall_columns: float = 0.05


def label_lines(image_bgr: np.ndarray, p: LabelParams | None = None) -> list[Box]:
    """Boxes (frame pixels) of text-like lines in the border bands."""
    import cv2

    p = p or LabelParams()
    if not p.enabled:
        return []
    gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY) if image_bgr.ndim == 3 else image_bgr
    h, w = gray.shape
    # The ground is the median over a window about twice a label line's height: text covers well under
    # half of it, so the median is the paper the text is written on (an opening or closing would fill the
    # gaps between letters and call them strokes of the other polarity).
    k = max(15, round(h / 24)) | 1
    ground = cv2.medianBlur(gray, k)
    bright = cv2.subtract(gray, ground) > p.contrast
    dark = (cv2.subtract(ground, gray) > p.contrast) & (ground >= p.light_ground)
    strokes = (bright | dark).astype(np.uint8)
    bx, by = round(p.band * w), round(p.band * h)
    strokes[by : h - by, bx : w - bx] = 0  # the middle of the picture is the clinical content
    strokes = _without_specks(strokes, p.min_stroke_area)
    strokes = _without_curves(strokes, p.min_aspect, p.max_tall_columns)
    # Letters into words into lines: close gaps narrower than a word space at the largest legible size.
    gap = max(5, round(h / 90))
    merged = cv2.morphologyEx(strokes, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1)))
    merged = cv2.dilate(merged, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    near = cv2.dilate(strokes, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))) > 0  # with antialiasing
    residual = cv2.absdiff(gray, ground)
    n, _, stats, _ = cv2.connectedComponentsWithStats(merged, connectivity=8)
    parts: list[Box] = []
    for x, y, cw, ch, _area in (tuple(int(v) for v in s) for s in stats[1:n]):
        if not p.min_height <= ch <= p.max_height * h or cw < p.min_part_aspect * ch:
            continue
        fill = float(strokes[y : y + ch, x : x + cw].mean())
        if (
            p.min_fill <= fill <= p.max_fill
            and _ground_texture(residual, near, (x, y, cw, ch)) <= p.flat_residual
        ):
            parts.append((x, y, cw, ch))
    return [b for b in _rows_of(parts) if b[2] >= p.min_aspect * b[3]]


def _rows_of(parts: list[Box]) -> list[Box]:
    """Parts on one row, of one height, less than a line height apart, as one box: large text's letters
    stand apart wider than the closing joins, and a short last word ("JANE") is no line on its own."""
    rows: list[Box] = []
    for b in sorted(parts):
        x, y, w, h = b
        for k, (rx, ry, rw, rh) in enumerate(rows):
            over = min(y + h, ry + rh) - max(y, ry)
            if over >= 0.6 * max(h, rh) and x - (rx + rw) <= max(h, rh):
                x0, y0 = min(x, rx), min(y, ry)
                rows[k] = (x0, y0, max(x + w, rx + rw) - x0, max(y + h, ry + rh) - y0)
                break
        else:
            rows.append(b)
    return rows


def _without_specks(strokes: np.ndarray, min_area: int) -> np.ndarray:
    """Stroke pixels in clusters of at least min_area px spanning at least 3 px (glyph parts, not noise)."""
    import cv2

    n, lab, st, _ = cv2.connectedComponentsWithStats(strokes, connectivity=8)
    keep = (st[:, cv2.CC_STAT_AREA] >= min_area) & (np.maximum(st[:, 2], st[:, 3]) >= 3)
    keep[0] = False
    return keep[lab].astype(np.uint8)


def _without_curves(strokes: np.ndarray, min_aspect: float, max_tall: float) -> np.ndarray:
    """Strokes less the clusters that are wide, flat curves or slanted lines (see max_tall_columns)."""
    import cv2

    n, lab, st, _ = cv2.connectedComponentsWithStats(strokes, connectivity=8)
    out = strokes.copy()
    for i in range(1, n):
        x, y, w, h = (int(v) for v in st[i, :4])
        if w < min_aspect * h or h < 4:
            continue
        sub = lab[y : y + h, x : x + w] == i
        cols = sub.any(axis=0)
        top = sub.argmax(axis=0)[cols]
        bottom = h - 1 - sub[::-1].argmax(axis=0)[cols]
        if ((bottom - top + 1) >= 0.5 * h).mean() < max_tall:
            out[y : y + h, x : x + w][sub] = 0
    return out


def _ground_texture(residual: np.ndarray, near: np.ndarray, box: Box) -> float:
    """90th percentile of the ground's residual (|grey - local median|) around a line (grown by its
    height), leaving out the pixels near a stroke."""
    x, y, w, h = box
    y0, y1, x0, x1 = max(0, y - h), y + 2 * h, max(0, x - h), x + w + h
    ground = residual[y0:y1, x0:x1][~near[y0:y1, x0:x1]]
    return float(np.percentile(ground, 90)) if ground.size >= 16 else 255.0
