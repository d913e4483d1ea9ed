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
    inset = framed_inset(src[box[1] : box[1] + box[3], box[0] : box[0] + box[2]], p)
    if inset is not None:
        # A picture-in-picture pasted over the photograph (a webcam over a zoomed fundus) touches it, so
        # the component search cannot tell them apart; its straight frame can. The larger side of the
        # photograph beside it is kept, the inset left out.
        keep = _beside(box[2], box[3], inset)
        box = (box[0] + keep[0], box[1] + keep[1], keep[2], keep[3])
        removed.append("inset")
        why = f"{why}; webcam inset left out" if why else "webcam inset left out"
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


def framed_inset(image: np.ndarray, p: RefineParams) -> Box | None:
    """A picture-in-picture in a corner, found by its frame: a straight vertical and a straight horizontal
    step in colour (at least 8 % of the frame's side each) meeting at the inset's inner corner, the
    rectangle they close with the frame's corner 0.5 %-inset_max_share of the frame. Box in the image's
    pixels, or None. Photographs have no long straight steps that meet at a right angle near a corner."""
    import cv2

    h, w = image.shape[:2]
    if min(h, w) < 64:
        return None
    im = cv2.GaussianBlur(image, (0, 0), 1.0).astype(np.int16)
    dx = np.zeros((h, w), bool)  # a step between column x-1 and x
    dy = np.zeros((h, w), bool)
    dx[:, 1:] = np.abs(np.diff(im, axis=1)).max(axis=2) > 40
    dy[1:] = np.abs(np.diff(im, axis=0)).max(axis=2) > 40
    # A step between an edge's antialiased pixels can straddle two columns: either counts.
    dx[:, :-1] |= dx[:, 1:]
    dy[:-1] |= dy[1:]
    # Where the inset's content matches the photograph's colour for a few pixels, its frame has a gap:
    # closed along the edge's own direction.
    dx = cv2.morphologyEx(dx.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((9, 1), np.uint8)).astype(bool)
    dy = cv2.morphologyEx(dy.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((1, 9), np.uint8)).astype(bool)
    for flip_x in (False, True):
        for flip_y in (False, True):
            vx = dx[:, ::-1] if flip_x else dx
            vy = dy[:, ::-1] if flip_x else dy
            vx, vy = (vx[::-1], vy[::-1]) if flip_y else (vx, vy)
            found = _corner_frame(vx, vy, w, h, p)
            if found is None:
                continue
            x, y, bw, bh = found  # in the flipped picture, the corner at the bottom right
            return (int(w - x - bw if flip_x else x), int(h - y - bh if flip_y else y), int(bw), int(bh))
    return None


def _corner_frame(vx: np.ndarray, vy: np.ndarray, w: int, h: int, p: RefineParams) -> Box | None:
    """_frame's search in the bottom-right corner: the inset's left edge is a column of steps running
    down from its top edge, a row of steps running right from its left edge."""
    import cv2

    x_lo, y_lo = int(w * (1 - p.inset_zone - 0.1)), int(h * (1 - p.inset_zone - 0.1))
    min_v, min_h = max(12, int(0.08 * h)), max(12, int(0.08 * w))
    cols = vx[y_lo:, x_lo:]
    rows = vy[y_lo:, x_lo:]
    best: Box | None = None
    # Steps from (y, x) on, going down and going right; the two edges' ends may miss each other by a
    # pixel or two at the corner (antialiasing), so each run is read over a 5x5 neighbourhood.
    k = np.ones((5, 5), np.uint8)
    col_run = cv2.dilate(_runs(cols.T).T.astype(np.float32), k)
    row_run = cv2.dilate(_runs(rows).astype(np.float32), k)
    ys, xs = np.nonzero((col_run >= min_v) & (row_run >= min_h))
    for y, x in zip(ys, xs, strict=True):
        bh, bw = int(col_run[y, x]), int(row_run[y, x])
        gx, gy = x_lo + x, y_lo + y
        # The rectangle reaches (near) the frame's corner: no more than a margin of picture beyond it.
        if w - (gx + bw) > 0.04 * w or h - (gy + bh) > 0.06 * h:
            continue
        area = (w - gx) * (h - gy)
        if not 0.005 * w * h <= area <= p.inset_max_share * w * h * 1.6:
            continue
        if best is None or area > best[2] * best[3]:
            best = (gx, gy, w - gx, h - gy)
    return best


def _runs(mask: np.ndarray) -> np.ndarray:
    """For each cell, how many consecutive True cells start there going right along its row."""
    out = np.zeros(mask.shape, np.int32)
    run = np.zeros(mask.shape[0], np.int32)
    for x in range(mask.shape[1] - 1, -1, -1):
        run = np.where(mask[:, x], run + 1, 0)
        out[:, x] = run
    return out


def _beside(w: int, h: int, inset: Box) -> Box:
    """The larger rectangle of a w x h picture that leaves the inset out: the side beside it or the band
    above or below it."""
    x, y, bw, bh = inset
    options = [
        (0, 0, x, h) if x > 0 else None,  # left of it
        (x + bw, 0, w - x - bw, h) if x + bw < w else None,  # right of it
        (0, 0, w, y) if y > 0 else None,  # above it
        (0, y + bh, w, h - y - bh) if y + bh < h else None,  # below it
    ]
    return max((o for o in options if o is not None), key=lambda o: o[2] * o[3], default=(0, 0, w, h))


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
