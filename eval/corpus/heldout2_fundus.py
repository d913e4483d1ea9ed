"""Procedural colour fundus photographs and a hand-drawn fundus diagram for the heldout2 corpus.

Nothing here reuses a photograph: every fundus is drawn from a seed (orange-red field with choroidal
texture, optic disc and cup, branching vessel arcades, macula and fovea) and lesions are painted on top.
Coordinates are in units of the field radius R, with the fovea near the centre; the optic disc sits about
0.67 R nasal to it (15 degrees in a 45-degree field), on the right of the picture for a right eye (OD).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

LESIONS = {
    "drusen", "dot_blot", "microaneurysms", "hard_exudates", "exudate_ring", "macular_star",
    "cotton_wool", "flame", "nvd", "laser_scars", "disc_swelling",
}  # fmt: skip


@dataclass(frozen=True)
class Fundus:
    """Parameters of one drawn fundus photograph."""

    seed: int
    eye: str = "OD"  # OD: disc on the right of the picture; OS: on the left
    lesions: tuple[str, ...] = ()
    cdr: float = 0.35  # cup-to-disc ratio
    pallor: float = 0.0  # 0 healthy pink rim .. 1 white disc
    pigment: float = 1.0  # darker (>1) or blonder (<1) fundus
    flame_sector: str = "all"  # "all" around the disc, or "superotemporal" (a branch vein occlusion)
    cotton_wool_at: tuple[float, float] | None = None  # cluster centre, offset from the disc in R units


def geometry(spec: Fundus, size: int) -> dict[str, tuple[float, float]]:
    """Pixel positions of the fovea and the optic disc centre, and the field radius, in a ``size`` picture."""
    cv = _Canvas(spec, size)
    return {"fovea": tuple(cv.fovea), "disc": tuple(cv.disc), "radius": (cv.r, cv.disc_r)}


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    field = cv2.GaussianBlur(rng.standard_normal(shape).astype(np.float32), (0, 0), sigma)
    return field / (field.std() + 1e-6)


def _blend(img: np.ndarray, alpha: np.ndarray, colour: tuple[float, float, float]) -> None:
    """Paint ``colour`` into ``img`` (float RGB 0..1) with per-pixel opacity ``alpha`` (in place)."""
    a = np.clip(alpha, 0, 1)[..., None]
    img *= 1 - a
    img += a * (np.asarray(colour, np.float32) / 255.0)


class _Canvas:
    """Float RGB picture plus the geometry needed to place anatomy and lesions."""

    def __init__(self, spec: Fundus, size: int) -> None:
        self.size, self.spec = size, spec
        self.rng = np.random.default_rng(spec.seed)
        self.r = size / 2 * 0.97
        self.c = np.array([size / 2, size / 2])
        side = 1 if spec.eye == "OD" else -1
        self.side = side
        self.fovea = self.c + self.r * np.array([-0.22 * side, 0.04])
        self.disc = self.fovea + self.r * np.array([0.67 * side, -0.06])
        self.disc_r = 0.115 * self.r
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
        self.xx, self.yy = xx, yy
        self.img = np.zeros((size, size, 3), np.float32)

    def px(self, p: np.ndarray) -> tuple[int, int]:
        return int(round(p[0] * 4)), int(round(p[1] * 4))  # cv2 shift=2 sub-pixel coordinates

    def dist(self, p: np.ndarray) -> np.ndarray:
        return np.hypot(self.xx - p[0], self.yy - p[1])

    def blob(self, p: np.ndarray, rx: float, ry: float, angle: float = 0.0, soft: float = 1.0) -> np.ndarray:
        mask = np.zeros((self.size, self.size), np.float32)
        cv2.ellipse(mask, self.px(p), (max(1, int(rx * 4)), max(1, int(ry * 4))), angle, 0, 360, 1.0, -1,
                    cv2.LINE_AA, 2)  # fmt: skip
        return cv2.GaussianBlur(mask, (0, 0), soft) if soft > 0 else mask


def _background(cv: _Canvas) -> None:
    rng, pig = cv.rng, cv.spec.pigment
    rel = cv.dist(cv.c) / cv.r
    hue = rng.uniform(-0.04, 0.04)
    base = np.array([0.80 + hue, 0.36 + hue / 2, 0.16], np.float32) / pig**0.5
    shade = (1.0 - 0.38 * rel**2.2)[..., None]
    choroid = 0.035 * _smooth_noise(rng, (cv.size, cv.size), cv.size / 140) + 0.03 * _smooth_noise(
        rng, (cv.size, cv.size), cv.size / 25
    )
    grain = 0.025 * _smooth_noise(rng, (cv.size, cv.size), 0.8)
    img = base * shade * (1 + choroid + grain)[..., None]
    img[..., 2] *= 1 + 0.6 * _smooth_noise(rng, (cv.size, cv.size), cv.size / 40) * 0.15
    macula = np.exp(-((cv.dist(cv.fovea) / (0.22 * cv.r)) ** 2))[..., None]
    img *= 1 - 0.28 * macula * np.array([0.7, 1.0, 1.0], np.float32)
    cv.img = img.astype(np.float32)


def _disc(cv: _Canvas) -> None:
    spec, r = cv.spec, cv.disc_r
    swell = "disc_swelling" in spec.lesions
    rim = np.array([232, 118, 74], np.float32) * (1 - spec.pallor) + np.array([240, 222, 190]) * spec.pallor
    halo = cv.blob(cv.disc, r * 1.25, r * 1.35, soft=r * 0.25)
    _blend(cv.img, halo * 0.2, (214, 112, 62))
    disc = cv.blob(cv.disc, r, r * 1.1, soft=(r * 0.3 if swell else 1.5))
    _blend(cv.img, disc * 0.9, tuple(rim if not swell else (246, 168, 120)))
    if not swell:
        cup = cv.blob(cv.disc + np.array([-0.08 * r * cv.side, 0]), r * spec.cdr, r * spec.cdr * 1.12,
                      soft=r * 0.12)  # fmt: skip
        _blend(cv.img, cup * 0.95, (250, 230, 186))
        edge = cv.blob(cv.disc, r * 1.02, r * 1.12, soft=1.0) - cv.blob(cv.disc, r * 0.9, r * 1.0, soft=1.0)
        _blend(cv.img, np.clip(edge, 0, 1) * 0.25, (150, 60, 40))  # the scleral ring is a little darker


def _vessel(cv: _Canvas, layers: dict[str, np.ndarray], start: np.ndarray, heading: float, width: float,
            length: float, kind: str, depth: int, around: bool) -> None:  # fmt: skip
    """Grow one vessel as a gently curving polyline, spawning thinner branches that head outwards.

    A trunk with ``around`` set follows a widening spiral about the fovea: the temporal arcades.
    """
    rng, pos, pts = cv.rng, start.astype(float), [start.astype(float)]
    step = cv.r * 0.015
    travelled, next_branch = 0.0, rng.uniform(0.15, 0.3) * cv.r
    turn = 0.0
    while travelled < length and width > 0.7:
        to_f = cv.fovea - pos
        dist_f = float(np.linalg.norm(to_f))
        if around and dist_f > 1e-3:
            tangent = np.array([-to_f[1], to_f[0]]) / dist_f
            if np.dot(tangent, [math.cos(heading), math.sin(heading)]) < 0:
                tangent = -tangent
            outward = -to_f / dist_f
            want_v = tangent + 0.12 * outward  # a spiral that opens temporally, as the arcades do
            want = math.atan2(want_v[1], want_v[0])
            heading += 0.12 * math.atan2(math.sin(want - heading), math.cos(want - heading))
        elif dist_f < 0.3 * cv.r:  # twigs bend away from the foveal avascular zone
            away = math.atan2(-to_f[1], -to_f[0])
            heading += 0.15 * math.atan2(math.sin(away - heading), math.cos(away - heading))
        turn = 0.85 * turn + rng.normal(0, 0.012 if depth == 0 else 0.03)  # branches wander more
        heading += turn
        pos = pos + step * np.array([math.cos(heading), math.sin(heading)])
        pts.append(pos)
        travelled += step
        if np.linalg.norm(pos - cv.c) > cv.r * 1.02 or dist_f < 0.1 * cv.r:
            break
        if travelled > next_branch and depth < 2:
            sign = rng.choice([-1, 1])
            _vessel(cv, layers, pos, heading + sign * rng.uniform(0.45, 0.9), width * rng.uniform(0.5, 0.7),
                    length * rng.uniform(0.3, 0.5), kind, depth + 1, False)  # fmt: skip
            width *= 0.9
            next_branch = travelled + rng.uniform(0.14, 0.28) * cv.r
        width *= 0.997
    poly = np.array([cv.px(p) for p in pts], np.int32)
    cv2.polylines(layers[kind], [poly], False, 1.0, max(1, int(round(width))), cv2.LINE_AA, 2)
    if kind == "artery" and width > 2.5:
        cv2.polylines(layers["reflex"], [poly], False, 1.0, 1, cv2.LINE_AA, 2)


def _vessels(cv: _Canvas) -> None:
    size, s, r = cv.size, cv.side, cv.r
    layers = {k: np.zeros((size, size), np.float32) for k in ("artery", "vein", "reflex")}
    w = max(2.0, size / 80)
    # (heading, arcade?, relative width): superior/inferior temporal arcades, nasal trunks, small twigs
    up, down = -math.pi / 2, math.pi / 2
    nasal = 0.0 if s > 0 else math.pi
    trunks = [(up - 0.5 * s, True, 1.0), (down + 0.5 * s, True, 1.0),
              (up + 0.6 * s, False, 0.7), (down - 0.6 * s, False, 0.7),
              (nasal + 0.1, False, 0.45), (nasal + math.pi + 0.25 * s, False, 0.4)]  # fmt: skip
    for heading, arcade, rel in trunks:
        for kind, dx, scale in (("vein", 0.3, 1.3), ("artery", -0.3, 0.9)):
            start = cv.disc + np.array([dx * cv.disc_r * 0.45, 0])
            length = r * (2.2 if arcade else 1.0)
            _vessel(cv, layers, start, heading + cv.rng.normal(0, 0.1), w * scale * rel, length, kind,
                    0, arcade)  # fmt: skip
    for kind, colour in (("vein", (100, 18, 16)), ("artery", (160, 40, 26))):
        _blend(cv.img, cv2.GaussianBlur(layers[kind], (0, 0), 0.8) * 0.85, colour)
    _blend(cv.img, cv2.GaussianBlur(layers["reflex"], (0, 0), 0.5) * 0.3, (235, 150, 120))


def _scatter(cv: _Canvas, centre: np.ndarray, n: int, r0: float, r1: float) -> list[np.ndarray]:
    ang = cv.rng.uniform(0, 2 * math.pi, n)
    rad = cv.r * np.sqrt(cv.rng.uniform(r0**2, r1**2, n))
    pts = centre + np.stack([np.cos(ang) * rad, np.sin(ang) * rad], 1)
    return [p for p in pts if np.linalg.norm(p - cv.c) < cv.r * 0.93]


def _lesions(cv: _Canvas) -> None:
    rng, r, les = cv.rng, cv.r, set(cv.spec.lesions)
    unit = cv.size / 540  # lesion sizes scale with the picture
    if "drusen" in les:
        for p in _scatter(cv, cv.fovea, 70, 0.02, 0.3):
            rad = rng.uniform(1.5, 5.5) * unit
            _blend(
                cv.img, cv.blob(p, rad, rad * rng.uniform(0.8, 1.2), soft=rad * 0.45) * 0.8, (232, 196, 112)
            )
    if "microaneurysms" in les:
        for p in _scatter(cv, cv.fovea, 30, 0.12, 0.5):
            _blend(cv.img, cv.blob(p, 1.2 * unit, 1.2 * unit, soft=0.4) * 0.9, (150, 18, 14))
    if "dot_blot" in les:
        for p in _scatter(cv, cv.c, 24, 0.15, 0.85):
            rad = rng.uniform(2.5, 6.5) * unit
            _blend(cv.img, cv.blob(p, rad, rad * rng.uniform(0.7, 1.1), rng.uniform(0, 180), 0.8) * 0.92,
                   (112, 14, 10))  # fmt: skip
    if "hard_exudates" in les or "exudate_ring" in les:
        centre = cv.fovea + r * np.array([-0.2 * cv.side, 0.05])
        for k in range(45):
            a = rng.uniform(0, 2 * math.pi) if "exudate_ring" in les else rng.uniform(-1, 1)
            rad = r * (0.12 + rng.normal(0, 0.015)) if "exudate_ring" in les else r * rng.uniform(0.05, 0.3)
            p = centre + rad * np.array([math.cos(a), math.sin(a)]) + rng.normal(0, 2 * unit, 2)
            s = rng.uniform(1.2, 3.2) * unit * (1.4 if k % 7 == 0 else 1)
            _blend(
                cv.img, cv.blob(p, s, s * rng.uniform(0.6, 1.0), rng.uniform(0, 180), 0.3), (250, 228, 120)
            )
    if "macular_star" in les:
        for _ in range(60):
            a = rng.uniform(0, 2 * math.pi)
            p = cv.fovea + r * rng.uniform(0.05, 0.2) * np.array([math.cos(a), math.sin(a)])
            s = rng.uniform(1.2, 2.8) * unit
            _blend(cv.img, cv.blob(p, s * 2.2, s, math.degrees(a), 0.6 * unit), (250, 232, 130))
    if "cotton_wool" in les:
        at = cv.spec.cotton_wool_at
        spots = (_scatter(cv, cv.disc, 7, 0.25, 0.55) if at is None
                 else _scatter(cv, cv.disc + r * np.asarray(at), 6, 0.0, 0.13))  # fmt: skip
        for p in spots:
            rad = rng.uniform(8, 14) * unit
            fluff = cv.blob(p, rad * 1.5, rad, rng.uniform(0, 180), soft=rad * 0.6) * 0.85
            fluff *= 0.8 + 0.15 * _smooth_noise(rng, fluff.shape, 2 * unit)
            _blend(cv.img, fluff, (242, 236, 222))
    if "flame" in les:
        sector = cv.spec.flame_sector
        for _ in range(26 if sector == "all" else 22):
            if sector == "all":
                a = rng.uniform(0, 2 * math.pi)
            else:  # superotemporal: up and towards the fovea
                a = (
                    rng.uniform(-math.pi / 2 - 0.9, -math.pi / 2 + 0.1)
                    if cv.side > 0
                    else rng.uniform(-math.pi / 2 - 0.1, -math.pi / 2 + 0.9)
                )
            d = r * rng.uniform(0.16, 0.45 if sector == "all" else 0.7)
            p = cv.disc + d * np.array([math.cos(a), math.sin(a)])
            blob = cv.blob(
                p, rng.uniform(6, 12) * unit, rng.uniform(1.5, 2.6) * unit, math.degrees(a), 0.8 * unit
            )
            streaks = 0.8 + 0.2 * np.sin(
                (cv.xx * math.sin(a) - cv.yy * math.cos(a)) / unit
            )  # feathered fibres
            _blend(cv.img, blob * 0.9 * streaks, (128, 16, 12))
    if "nvd" in les:
        layer = np.zeros((cv.size, cv.size), np.float32)
        for _ in range(34):  # fine looping vessels over the disc and just beyond its margin
            p = cv.disc + rng.normal(0, cv.disc_r * 0.7, 2)
            heading = rng.uniform(0, 2 * math.pi)
            pts = [p]
            for _ in range(14):
                heading += rng.normal(0.45, 0.3)  # curling: the loops of a neovascular frond
                p = p + 2.2 * unit * np.array([math.cos(heading), math.sin(heading)])
                pts.append(p)
            thick = max(1, int(round(unit * 1.2)))
            cv2.polylines(
                layer, [np.array([cv.px(q) for q in pts], np.int32)], False, 1.0, thick, cv2.LINE_AA, 2
            )
        _blend(cv.img, cv2.GaussianBlur(layer, (0, 0), 0.5) * 0.95, (180, 24, 30))
    if "laser_scars" in les:
        for p in _scatter(cv, cv.fovea, 120, 0.55, 0.92):
            if np.linalg.norm(p - cv.disc) < 0.3 * r:
                continue
            s = rng.uniform(3.5, 6.5) * unit
            _blend(
                cv.img,
                cv.blob(p, s, s * rng.uniform(0.75, 1.0), rng.uniform(0, 180), 0.7) * 0.9,
                (48, 30, 16),
            )
            _blend(cv.img, cv.blob(p, s * 0.5, s * 0.45, soft=0.9) * 0.75, (222, 196, 150))
    if "disc_swelling" in les:
        for _ in range(8):
            a = rng.uniform(0, 2 * math.pi)
            p = cv.disc + cv.disc_r * rng.uniform(1.05, 1.5) * np.array([math.cos(a), math.sin(a)])
            _blend(cv.img, cv.blob(p, 6 * unit, 1.8 * unit, math.degrees(a), 0.8) * 0.85, (130, 18, 12))


def _fovea(cv: _Canvas) -> None:
    _blend(cv.img, cv.blob(cv.fovea, 0.05 * cv.r, 0.05 * cv.r, soft=0.03 * cv.r) * 0.35, (60, 20, 10))
    _blend(cv.img, cv.blob(cv.fovea, 1.6, 1.6, soft=0.8) * 0.8, (255, 235, 200))


def fundus_photo(spec: Fundus, size: int = 540) -> np.ndarray:
    """A colour fundus photograph, ``size`` x ``size`` RGB uint8: round field on black."""
    unknown = set(spec.lesions) - LESIONS
    if unknown:
        raise ValueError(f"unknown lesions {sorted(unknown)}")
    cv = _Canvas(spec, size)
    _background(cv)
    _disc(cv)
    _vessels(cv)
    if "disc_swelling" in spec.lesions:  # the swollen disc margin blurs the vessels crossing it
        ring = cv.blob(cv.disc, cv.disc_r * 1.5, cv.disc_r * 1.6, soft=cv.disc_r * 0.3)
        blurred = cv2.GaussianBlur(cv.img, (0, 0), cv.disc_r * 0.1)
        cv.img = cv.img * (1 - ring[..., None]) + blurred * ring[..., None]
    _fovea(cv)
    _lesions(cv)
    field = np.clip((cv.r - cv.dist(cv.c)) / 2.5, 0, 1)[..., None]
    edge = np.exp(-(((cv.dist(cv.c) - cv.r * 0.97) / (0.05 * cv.r)) ** 2))[..., None]  # bright rim flare
    img = cv2.GaussianBlur(cv.img, (0, 0), 0.6) * (1 + 0.25 * edge)
    img += 0.012 * cv.rng.standard_normal(img.shape).astype(np.float32)
    return (np.clip(img * field, 0, 1) * 255).astype(np.uint8)


def _pencil(img: np.ndarray, pts: np.ndarray, colour: tuple[int, int, int], rng: np.random.Generator,
            width: int = 2, strokes: int = 2) -> None:  # fmt: skip
    """A hand-drawn stroke: the same path drawn a few times with jitter."""
    for _ in range(strokes):
        jitter = pts + rng.normal(0, 1.2, pts.shape)
        cv2.polylines(img, [np.round(jitter * 4).astype(np.int32)], False, colour, width, cv2.LINE_AA, 2)


def fundus_diagram(seed: int, size: tuple[int, int] = (540, 760)) -> tuple[np.ndarray, list[str]]:
    """A hand-drawn style diagram of a right fundus with a superotemporal branch vein occlusion.

    Returns the RGB picture and the label words written on it.
    """
    rng = np.random.default_rng(seed)
    h, w = size
    paper = np.full((h, w, 3), (246, 241, 228), np.float32)
    paper *= (1 + 0.008 * _smooth_noise(rng, (h, w), 2))[..., None]
    img = np.clip(paper, 0, 255).astype(np.uint8)
    c, r = np.array([w * 0.42, h * 0.5]), h * 0.42
    ring = np.stack([c + r * np.array([math.cos(t), math.sin(t)]) for t in np.linspace(0, 2 * math.pi, 90)])
    _pencil(img, ring, (40, 40, 40), rng, 2, 3)
    disc, fovea = c + r * np.array([0.55, -0.05]), c + r * np.array([-0.1, 0.03])
    disc_pts = np.stack([disc + r * 0.12 * np.array([math.cos(t), 1.1 * math.sin(t)])
                         for t in np.linspace(0, 2 * math.pi, 40)])  # fmt: skip
    _pencil(img, disc_pts, (200, 120, 40), rng, 2, 2)
    _pencil(img, fovea + r * 0.05 * np.stack([[math.cos(t), math.sin(t)] for t in np.linspace(0, 6.3, 30)]),
            (60, 60, 60), rng, 1, 2)  # fmt: skip
    for sgn in (-1, 1):  # arcades: arteries red, veins blue, as textbook diagrams colour them
        for colour, off in (((200, 30, 30), 0.0), ((40, 60, 170), 0.05)):
            ts = np.linspace(0, 1, 40)  # up (or down) out of the disc, then arching temporally past the fovea
            arc = np.stack([disc + r * np.array([0.05 - 1.05 * t ** 1.3,
                                                 sgn * (0.42 + off) * (1 - math.exp(-5 * t))
                                                 - sgn * 0.12 * t]) for t in ts])  # fmt: skip
            _pencil(img, arc, colour, rng, 2, 2)
    for _ in range(40):  # flame haemorrhages: short red hatching in the superotemporal sector
        p = disc + r * np.array([-rng.uniform(0.25, 0.85), -rng.uniform(0.12, 0.5)])
        d = rng.normal(0, 1, 2)
        d = 9 * d / np.linalg.norm(d)
        _pencil(img, np.stack([p - d, p + d]), (190, 20, 20), rng, 2, 1)
    labels = [("optic disc", disc, (w * 0.78, h * 0.30)), ("fovea", fovea, (w * 0.62, h * 0.88)),
              ("haemorrhages", disc + r * np.array([-0.55, -0.35]), (w * 0.70, h * 0.08))]  # fmt: skip
    from PIL import Image, ImageDraw

    from eval.corpus.heldout2_images import font

    pil = Image.fromarray(img)
    draw = ImageDraw.Draw(pil)
    for text, target, (tx, ty) in labels:
        draw.line([(tx, ty + 14), (float(target[0]), float(target[1]))], fill=(50, 50, 50), width=2)
        draw.text((tx - 4, ty - 6), text, fill=(30, 30, 90), font=font(24, "oblique"))
    return np.asarray(pil), [t for t, _, _ in labels]
