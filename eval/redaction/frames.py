"""Labelled frames with burned-in camera labels (name, date of birth, record number) and their ground truth.

Two generators that share no font: "dev" draws with OpenCV's Hershey fonts (what the redaction was tuned
on), "heldout" with TrueType fonts through PIL (Pillow's bundled Aileron, DejaVu where installed), so the
held-out figure measures fonts the tuning never saw. Backgrounds: a real fundus photograph
(skimage.data.retina) pillarboxed on black, an OCT-like B-scan letterboxed on black, and a light slide with
the fundus in its middle; labels in all four corners and the top and bottom bands, at several heights
(10-32 px) and colours (white, light grey, yellow, green on black; dark on the light slide).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

Box = tuple[int, int, int, int]

NAMES = [
    ("DOE", "JANE"), ("Okafor", "Chidi"), ("MARTINEZ", "LUCIA"), ("Kowalski", "Piotr"), ("NGUYEN", "AN"),
    ("Fitzgerald", "Maeve"), ("SATO", "HIRO"), ("Lindqvist", "Anna"), ("BROWN", "TOM"), ("Haddad", "Rami"),
    ("PETERSEN", "IDA"), ("Moreau", "Louis"),
]  # fmt: skip
DARK_INKS = {
    "white": (255, 255, 255),
    "grey": (185, 185, 185),
    "yellow": (0, 225, 250),
    "green": (60, 200, 60),
}
LIGHT_INKS = {"dark": (45, 45, 45), "navy": (110, 40, 25)}
PLACES = ("tl", "tr", "bl", "br", "top", "bottom")
HEIGHTS = (10, 12, 14, 18, 24, 32)  # cap height in px, in a 1280x720 frame (half that frame: half the px)


@dataclass
class Labelled:
    """One frame, what was burned into it, and where the clinical picture is."""

    name: str  # e.g. "dev/fundus/tl/white/12/cut"
    image: np.ndarray  # BGR
    name_text: str  # the name as written ("DOE, JANE")
    name_box: Box | None  # None on a clean frame
    name_ink: np.ndarray | None  # bool mask of the name's drawn pixels (alpha > 0.5)
    clinical: np.ndarray = field(repr=False, default=None)  # bool mask of the clinical picture's pixels
    cut: bool = False  # only the name line is in the frame (the lower lines were cut away)


def _fit(photo: np.ndarray, w: int, h: int, bg: tuple[int, int, int], scale: float = 1.0) -> tuple:
    out = np.full((h, w, 3), bg, np.uint8)
    s = min(w / photo.shape[1], h / photo.shape[0]) * scale
    r = cv2.resize(photo, (int(photo.shape[1] * s), int(photo.shape[0] * s)), interpolation=cv2.INTER_AREA)
    y, x = (h - r.shape[0]) // 2, (w - r.shape[1]) // 2
    out[y : y + r.shape[0], x : x + r.shape[1]] = r
    mask = np.zeros((h, w), bool)
    mask[y : y + r.shape[0], x : x + r.shape[1]] = r.max(axis=2) > 20  # the black surround is no picture
    return out, mask, (x, y, r.shape[1], r.shape[0])


def fundus() -> np.ndarray:
    from skimage import data

    return cv2.cvtColor(data.retina(), cv2.COLOR_RGB2BGR)


def oct_bscan(seed: int = 0, h: int = 300, w: int = 640) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    depth = ys - (90 + 25 * np.exp(-(((xs - w / 2) / 60) ** 2)))
    layers = np.select(
        [depth < 0, depth < 12, depth < 40, depth < 55, depth < 80, depth < 92, depth < 110],
        [0.05, 0.8, 0.45, 0.25, 0.55, 0.95, 0.6],
        default=0.3,
    )
    grey = np.clip(layers * rng.gamma(2.0, 0.5, size=(h, w)) * 200, 0, 255).astype(np.uint8)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


def background(kind: str, w: int, h: int) -> tuple[np.ndarray, np.ndarray, bool, Box]:
    """(frame, clinical mask, dark label background?, the photograph's box) for kind fundus | oct | slide.

    Labels go in the corners of the photograph's box, where a camera writes them and where the crop to the
    photograph keeps them (fundus: the black corners around the round field; OCT: over the B-scan's dark
    vitreous and its speckle; slide: a fundus export on a white canvas, pasted on a light slide).
    """
    if kind == "fundus":
        img, mask, box = _fit(fundus(), w, h, (0, 0, 0))
        return img, mask, True, box
    if kind == "oct":
        img, mask, box = _fit(oct_bscan(), w, h, (0, 0, 0))
        return img, mask, True, box
    white = fundus()
    white[white.max(axis=2) <= 20] = (236, 238, 240)
    img, _, box = _fit(white, w, h, (240, 244, 246), scale=0.8)
    x, y, bw, bh = box
    mask = np.zeros((h, w), bool)
    mask[y : y + bh, x : x + bw] = (
        cv2.resize(fundus(), (bw, bh), interpolation=cv2.INTER_AREA).max(axis=2) > 20
    )
    cv2.rectangle(img, (0, 0), (w, int(0.004 * w)), (90, 60, 20), -1)  # a thin title rule
    return img, mask, False, box


# --- the two font families -------------------------------------------------------------------------------


def _hershey_mask(text: str, height: int, font: int, shape: tuple[int, int], org: tuple[int, int]) -> tuple:
    """(alpha mask, box) of text with its top-left at org, cap height about height px."""
    (_, h1), _ = cv2.getTextSize("H", font, 1.0, 1)
    scale = height / h1
    thick = max(1, round(height / 14))
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    mask = np.zeros(shape, np.uint8)
    x, y = org
    cv2.putText(mask, text, (x, y + th), font, scale, 255, thick, cv2.LINE_AA)
    return mask, (x, y, tw, th + base)


def _pil_mask(text: str, height: int, font_path: str | None, shape: tuple[int, int], org: tuple) -> tuple:
    from PIL import Image, ImageDraw, ImageFont

    size = round(height / 0.72)  # cap height is about 0.72 of the em in these fonts
    font = ImageFont.truetype(font_path, size) if font_path else ImageFont.load_default(size)
    img = Image.new("L", (shape[1], shape[0]), 0)
    draw = ImageDraw.Draw(img)
    x0, y0, x1, y1 = draw.textbbox(org, text, font=font, anchor="lt")
    draw.text(org, text, fill=255, font=font, anchor="lt")
    return np.asarray(img).copy(), (x0, y0, x1 - x0, y1 - y0)


HERSHEY = [cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_PLAIN]
TTF = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
]


def fonts(family: str) -> list:
    if family == "dev":
        return HERSHEY
    return [None] + [p for p in TTF if Path(p).exists()]  # None: Pillow's bundled Aileron


def _draw(family: str, font, text: str, height: int, shape: tuple[int, int], org: tuple[int, int]) -> tuple:
    if family == "dev":
        return _hershey_mask(text, height, font, shape, org)
    return _pil_mask(text, height, font, shape, org)


def _size(family: str, font, text: str, height: int) -> tuple[int, int]:
    _, box = _draw(family, font, text, height, (height * 4, len(text) * height * 2), (0, 0))
    return box[2], box[3]


def burn_label(
    image: np.ndarray,
    lines: list[str],
    *,
    place: str,
    anchor: Box,
    height: int,
    ink: tuple[int, int, int],
    family: str,
    font,
) -> tuple[np.ndarray, Box, np.ndarray]:
    """Draw a stacked label block in a corner of anchor (x, y, w, h) or in the frame's top/bottom band;
    return the image, the first line's box and its ink mask."""
    h, w = image.shape[:2]
    ax, ay, aw, ah = anchor if place not in ("top", "bottom") else (0, 0, w, h)
    sizes = [_size(family, font, t, height) for t in lines]
    step = round(max(s[1] for s in sizes) * 1.5)
    block_h = step * (len(lines) - 1) + sizes[-1][1]
    margin = max(4, round(0.012 * w))
    y0 = ay + margin if place in ("tl", "tr", "top") else ay + ah - margin - block_h
    out = image.astype(np.float32)
    first_box, first_ink = None, None
    for i, (text, (tw, _)) in enumerate(zip(lines, sizes, strict=True)):
        x = (
            ax + margin
            if place in ("tl", "bl")
            else ax + aw - margin - tw
            if place in ("tr", "br")
            else (w - tw) // 2
        )
        alpha, box = _draw(family, font, text, height, (h, w), (x, y0 + i * step))
        a = (alpha.astype(np.float32) / 255.0)[..., None]
        out = out * (1 - a) + np.array(ink, np.float32) * a
        if i == 0:
            first_box, first_ink = box, alpha > 127
    return np.clip(out, 0, 255).astype(np.uint8), first_box, first_ink


def labelled_set(family: str, *, size: tuple[int, int] = (1280, 720), limit: int | None = None) -> list:
    """Every background x place, cycling inks, heights, fonts, names; every third frame is cut."""
    w, h = size
    out: list[Labelled] = []
    combos = list(itertools.product(("fundus", "oct", "slide"), PLACES, HEIGHTS))
    fam_fonts = fonts(family)
    for i, (kind, place, height) in enumerate(combos):
        frame, clinical, dark, anchor = background(kind, w, h)
        inks = DARK_INKS if dark else LIGHT_INKS
        ink_name = list(inks)[i % len(inks)]
        surname, given = NAMES[i % len(NAMES)]
        name = f"{surname}, {given}" if i % 2 == 0 else f"{given} {surname}"
        cut = i % 3 == 2
        lines = (
            [name]
            if cut
            else [name, f"DOB {1 + i % 28:02d}/0{1 + i % 9}/19{40 + i % 50}", f"ID {448812 + 97 * i}"]
        )
        px = max(6, round(height * h / 720))
        font = fam_fonts[i % len(fam_fonts)]
        image, box, ink = burn_label(
            frame, lines, place=place, anchor=anchor, height=px, ink=inks[ink_name], family=family, font=font
        )
        tag = f"{family}/{kind}/{place}/{ink_name}/{px}px" + ("/cut" if cut else "")
        out.append(Labelled(tag, image, name, box, ink, clinical & ~_dilate(ink, 3), cut))
    return out[:limit] if limit else out


def clean_set(size: tuple[int, int] = (1280, 720)) -> list[Labelled]:
    """The three backgrounds with nothing burned in: what redaction must leave alone."""
    w, h = size
    out = []
    for kind in ("fundus", "oct", "slide"):
        frame, clinical, _, _ = background(kind, w, h)
        out.append(Labelled(f"clean/{kind}", frame, "", None, None, clinical))
    return out


def _dilate(mask: np.ndarray, r: int) -> np.ndarray:
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    return cv2.dilate(mask.astype(np.uint8), k) > 0
