"""Refine a keyframe before it is stored: trim borders and slide chrome, crop to the clinical image, cap size.

A lecture frame is mostly not the image it teaches: black letterbox/pillarbox bars, a slide's flat margins
and bullet text beside the photograph, a presenter's webcam in a corner. Refinement keeps the photograph
and says, in source pixels, what it cut and why, so the crop goes into the frame's lineage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

Box = tuple[int, int, int, int]  # x, y, w, h in source pixels


@dataclass(frozen=True)
class RefineParams:
    enabled: bool = True
    border_tolerance: int = 24  # max channel difference from the bar's colour (re-encoded black is not 0)
    border_uniform: float = 0.985  # share of a row/column within tolerance for it to be a bar
    border_max_share: float = 0.45  # never trim more than this of the width/height from one side
    dark_bar: int = 24  # a bar this dark (0..255, each channel) is letterbox/pillarbox and is trimmed
    min_component: float = 0.01  # photographic components smaller than this share of the frame are noise
    region_full: float = 0.8  # a region covering this much of the trimmed frame is the frame: no crop
    region_margin: float = 0.02  # grow the region by this share of the frame's long side, each side
    # A picture-in-picture inset (webcam) is a small component in a corner zone; it is never the region.
    inset_max_share: float = 0.08
    inset_zone: float = 0.35
    # Never crop to something tiny: a crop below either limit falls back to the whole frame.
    min_crop_share: float = 0.08  # of the source frame's area
    min_crop_side: int = 64  # px, source
    long_side: int = 1024  # cap on the stored image's long side (0: no cap)


@dataclass(frozen=True)
class Refined:
    image: np.ndarray  # 3-channel BGR uint8, long side <= params.long_side
    box: Box  # the crop in source pixels
    removed: list[str] = field(default_factory=list)  # "letterbox", "pillarbox", "slide-margin", ...
    reason: str = ""
    source_size: tuple[int, int] = (0, 0)  # width, height

    def crop_box(self) -> dict[str, Any]:
        """What frame.crop_box stores."""
        out: dict[str, Any] = {"box": list(self.box), "removed": list(self.removed)}
        return out | ({"reason": self.reason} if self.reason else {})


def refine_image(image: np.ndarray, params: RefineParams | None = None) -> Refined:
    p = params or RefineParams()
    src = as_bgr_uint8(image)
    h, w = src.shape[:2]
    if not p.enabled:
        return Refined(cap_long_side(src, p.long_side), (0, 0, w, h), [], "refinement off", (w, h))
    box, removed = trim_borders(src, p)
    region, region_removed, why = find_region(src[box[1] : box[1] + box[3], box[0] : box[0] + box[2]], p)
    if region is not None:
        box = (box[0] + region[0], box[1] + region[1], region[2], region[3])
        removed += region_removed
    if box[2] * box[3] < p.min_crop_share * w * h or min(box[2], box[3]) < p.min_crop_side:
        size = f"{box[2]}x{box[3]}"
        return Refined(cap_long_side(src, p.long_side), (0, 0, w, h), [], f"crop {size} too small", (w, h))
    x, y, bw, bh = box
    return Refined(cap_long_side(src[y : y + bh, x : x + bw], p.long_side), box, removed, why, (w, h))


def trim_borders(image: np.ndarray, p: RefineParams) -> tuple[Box, list[str]]:
    """Strip dark uniform rows/columns from each side: letterbox (top, bottom) and pillarbox (sides)."""
    h, w = image.shape[:2]
    top = _uniform_run(image, p)
    bottom = _uniform_run(image[::-1], p)
    left = _uniform_run(image.transpose(1, 0, 2), p)
    right = _uniform_run(image.transpose(1, 0, 2)[::-1], p)
    # Only dark bars are trimmed: a slide's coloured margin runs into its title bar and gradients, and
    # trimming "uniform" rows there cuts into the title; the region crop removes slide chrome instead.
    top, bottom, left, right = (
        r if max(r[1]) <= p.dark_bar else (0, r[1]) for r in (top, bottom, left, right)
    )
    removed = ["letterbox"] * bool(top[0] or bottom[0]) + ["pillarbox"] * bool(left[0] or right[0])
    x0, x1 = left[0], w - right[0]
    y0, y1 = top[0], h - bottom[0]
    if x1 - x0 < 2 or y1 - y0 < 2:  # a blank frame: nothing to trim to
        return (0, 0, w, h), []
    return (x0, y0, x1 - x0, y1 - y0), removed


def _uniform_run(image: np.ndarray, p: RefineParams) -> tuple[int, tuple[int, ...]]:
    """How many leading rows are one colour (that of the first row), and that colour."""
    ref = np.median(image[0].reshape(-1, image.shape[2]), axis=0).astype(np.int16)
    close = (np.abs(image.astype(np.int16) - ref).max(axis=2) <= p.border_tolerance).mean(axis=1)
    limit = int(len(close) * p.border_max_share)
    bad = np.nonzero(close[:limit] < p.border_uniform)[0]
    n = int(bad[0]) if len(bad) else limit
    return n, tuple(int(c) for c in ref)


def find_region(image: np.ndarray, p: RefineParams) -> tuple[Box | None, list[str], str]:
    """The photograph inside a slide: the bounding box of the photographic components that are not a
    corner inset, grown by a margin. None when the frame is the photograph or holds none."""
    import cv2

    from ophin.imaging.clinical import photographic_mask

    h, w = image.shape[:2]
    field = _round_field_box(image, p)
    if field is not None:
        return field
    mask, s = photographic_mask(image, ())
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    mh, mw = mask.shape
    comps = [
        tuple(int(v) for v in stats[i]) for i in range(1, n) if stats[i][4] >= p.min_component * mask.size
    ]
    if not comps:
        return None, [], "no photographic region"
    insets = [c for c in comps if _is_inset(c, mw, mh, p)]
    main = [c for c in comps if c not in insets] or comps
    # Every sizeable component counts: smooth tissue (a fundus's macula) reads flat and splits one
    # photograph into pieces, while slide text and bullets are never photographic.
    box = main[0][:4]
    for c in main[1:]:
        box = _union(box, c[:4])
    bx, by, bw, bh = box
    if bw * bh >= p.region_full * mw * mh:
        return None, [], "the photograph fills the frame"
    m = round(p.region_margin * max(w, h))
    x0, y0 = max(0, int(bx / s) - m), max(0, int(by / s) - m)
    x1, y1 = min(w, int(np.ceil((bx + bw) / s)) + m), min(h, int(np.ceil((by + bh) / s)) + m)
    removed = ["slide-text" if _has_strokes(image, (x0, y0, x1 - x0, y1 - y0)) else "slide-chrome"]
    if any(not _intersects(i[:4], box) for i in insets):
        removed.append("inset")
    return (x0, y0, x1 - x0, y1 - y0), removed, f"cropped to the photograph ({len(comps)} region(s) found)"


def _round_field_box(image: np.ndarray, p: RefineParams) -> tuple[Box | None, list[str], str] | None:
    """A round field on a dark surround (fundus camera, angiogram) is kept whole: its bounding box, not the
    bounding box of its textured parts. The photographic mask misses a fundus's smooth periphery, so the
    component crop cut the rim off the stored image and the black surround with it, the round-field cue
    the modality step reads. None when the frame holds no such field."""
    from ophin.imaging.field import field_circle

    h, w = image.shape[:2]
    circle = field_circle(image)
    if circle is None:
        return None
    cx, cy, r = circle
    x0, y0, x1, y1 = max(0, cx - r), max(0, cy - r), min(w, cx + r), min(h, cy + r)
    if (x1 - x0) * (y1 - y0) >= p.region_full * w * h:
        return None, [], "the round field fills the frame"
    box = (x0, y0, x1 - x0, y1 - y0)
    removed = ["slide-text" if _has_strokes(image, box) else "slide-chrome"]
    return box, removed, "cropped to the round field (the whole disc and its rim kept)"


def _is_inset(c: tuple[int, ...], w: int, h: int, p: RefineParams) -> bool:
    x, y, bw, bh, area = c
    cx, cy = (x + bw / 2) / w, (y + bh / 2) / h
    in_corner = min(cx, 1 - cx) < p.inset_zone and min(cy, 1 - cy) < p.inset_zone
    return in_corner and bw * bh < p.inset_max_share * w * h


def _has_strokes(image: np.ndarray, box: Box) -> bool:
    """Whether what the crop leaves out holds edges (text, bullets), not just flat fill."""
    import cv2

    edges = cv2.Canny(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), 60, 150) > 0
    x, y, bw, bh = box
    edges[y : y + bh, x : x + bw] = False
    return bool(edges.mean() > 0.002)


def _grow(b: tuple[int, ...], d: int) -> Box:
    return (b[0] - d, b[1] - d, b[2] + 2 * d, b[3] + 2 * d)


def _intersects(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return min(a[0] + a[2], b[0] + b[2]) > max(a[0], b[0]) and min(a[1] + a[3], b[1] + b[3]) > max(a[1], b[1])


def _union(a: tuple[int, ...], b: tuple[int, ...]) -> Box:
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    return (x0, y0, max(a[0] + a[2], b[0] + b[2]) - x0, max(a[1] + a[3], b[1] + b[3]) - y0)


def as_bgr_uint8(image: np.ndarray) -> np.ndarray:
    """Any decoded frame as 3-channel BGR uint8: grey gains channels, alpha is dropped, 16-bit is scaled."""
    import cv2

    if image.dtype != np.uint8:
        top = 65535.0 if image.dtype == np.uint16 else max(1.0, float(image.max()))
        image = np.clip(image.astype(np.float64) * (255.0 / top), 0, 255).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(image)


def cap_long_side(image: np.ndarray, long_side: int) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    if long_side <= 0 or max(h, w) <= long_side:
        return np.ascontiguousarray(image)
    s = long_side / max(h, w)
    return cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
