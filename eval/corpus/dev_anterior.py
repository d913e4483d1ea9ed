"""Drawn anterior-segment photographs and visual-field printouts for the dev set.

The demo and first dev lectures only show the fundus photograph and OCT scans, so the engine was never
developed on the other modalities the held-out sets hold. These are drawn here from scratch, in their own
style (not heldout2's drawings, which stay unread): a slit-lamp view of one eye in a dark room, lids and
lashes, a textured iris, a slit beam, and the finding drawn in it; and a greyscale threshold printout with
its defect, numbers and a header. Deterministic for a seed.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw

from eval.corpus.generate import HEIGHT, WIDTH, get_font


def _smooth(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    noise = rng.standard_normal(shape).astype(np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), sigma)
    return noise / (np.abs(noise).max() + 1e-6)


def render_anterior(
    seed: int = 0, drawn: tuple[str, ...] = (), iris: str = "brown", light: str = "dark"
) -> np.ndarray:
    """One eye under the slit lamp, RGB (HEIGHT, WIDTH, 3): in a dark room with the face softly lit
    (``light="dark"``), or under the lamp's diffuser, the skin bright edge to edge (``"diffuse"``).
    ``drawn`` names what is drawn in it: "cataract", "hypopyon", "corneal ulcer", "conjunctival injection"."""
    rng = np.random.default_rng(seed)
    h, w = HEIGHT, WIDTH
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = w * (0.48 + 0.04 * rng.random()), h * (0.5 + 0.04 * rng.random())
    # Dark room, the face's skin lit softly around the eye.
    skin_light = np.exp(-(((xx - cx) / (w * 0.42)) ** 2 + ((yy - cy) / (h * 0.55)) ** 2))
    if light == "diffuse":
        skin_light = 1.15 - 0.2 * skin_light
    img = np.zeros((h, w, 3), np.float32)
    skin = np.array([190, 130, 105], np.float32) * (0.85 + 0.15 * _smooth(rng, (h, w), 6)[..., None])
    img += skin * skin_light[..., None] * 0.9
    # The palpebral fissure: an almond between two parabolic lids.
    half_w, half_h = w * 0.34, h * 0.27
    u = (xx - cx) / half_w
    upper = cy - half_h * (1 - u**2)
    lower = cy + half_h * 0.8 * (1 - u**2)
    opening = (np.abs(u) < 1) & (yy > upper) & (yy < lower)
    injected = "conjunctival injection" in drawn
    sclera = np.array([236, 226, 218], np.float32)
    if injected:
        sclera = np.array([228, 170, 160], np.float32)
    eye = np.broadcast_to(sclera, (h, w, 3)).copy()
    # Conjunctival vessels: wavy red lines running in from the canthi.
    vessels = np.zeros((h, w), np.uint8)
    for _ in range(26 if injected else 9):
        side = rng.choice([-1, 1])
        x0 = cx + side * half_w * rng.uniform(0.55, 0.95)
        y0 = cy + rng.uniform(-0.5, 0.5) * half_h
        pts = [(x0, y0)]
        for _step in range(8):
            x0 -= side * rng.uniform(8, 18)
            y0 += rng.uniform(-6, 6)
            pts.append((x0, y0))
        cv2.polylines(vessels, [np.array(pts, np.int32)], False, 255, int(rng.integers(1, 3)), cv2.LINE_AA)
    vessel_colour = np.array([170, 40, 45], np.float32)
    a = (cv2.GaussianBlur(vessels, (0, 0), 0.8).astype(np.float32) / 255)[..., None]
    eye = eye * (1 - a * 0.8) + vessel_colour * a * 0.8
    # Iris and pupil.
    r_iris, r_pupil = half_h * 0.95, half_h * (0.32 + 0.06 * rng.random())
    ix, iy = cx + rng.uniform(-6, 6), cy + half_h * 0.05
    rr = np.hypot(xx - ix, yy - iy)
    angle = np.arctan2(yy - iy, xx - ix)
    base = np.array([120, 70, 35] if iris == "brown" else [70, 105, 140], np.float32)
    fibres = 0.75 + 0.25 * np.sin(angle * 70 + 3 * _smooth(rng, (h, w), 3))
    iris_img = base * fibres[..., None] * (0.8 + 0.2 * (rr / r_iris))[..., None]
    in_iris = rr < r_iris
    eye[in_iris] = iris_img[in_iris]
    in_pupil = rr < r_pupil
    eye[in_pupil] = (12, 10, 10)
    if "cataract" in drawn:
        opacity = np.clip(1 - rr / r_pupil, 0, 1) ** 0.4 * (0.75 + 0.25 * _smooth(rng, (h, w), 2))
        cat = np.array([215, 205, 170], np.float32)
        eye[in_pupil] = eye[in_pupil] * (1 - opacity[in_pupil, None]) + cat * opacity[in_pupil, None]
    if "hypopyon" in drawn:
        level = iy + r_iris * 0.55
        pus = in_iris & (yy > level)
        eye[pus] = (238, 234, 215)
    if "corneal ulcer" in drawn:
        ux, uy = ix + r_iris * 0.25, iy - r_iris * 0.3
        spot = np.exp(-((xx - ux) ** 2 + (yy - uy) ** 2) / (2 * (r_iris * 0.14) ** 2))
        eye = (
            eye * (1 - spot[..., None] * 0.9) + np.array([245, 242, 228], np.float32) * spot[..., None] * 0.9
        )
    # The slit beam: a narrow bright band crossing the cornea, and its corneal reflex.
    bx = cx - r_iris * 0.45
    beam = np.exp(-(((xx - bx) / 4.0) ** 2)) * (np.abs(yy - iy) < r_iris * 1.05)
    eye = eye + beam[..., None] * 90
    img[opening] = eye[opening]
    # Lid margins and lashes.
    canvas = np.clip(img, 0, 255).astype(np.uint8)
    for y_lid, sign in ((upper, -1), (lower, 1)):
        pts = [(int(x), int(y_lid[0, int(x)])) for x in np.linspace(cx - half_w + 2, cx + half_w - 2, 40)]
        cv2.polylines(canvas, [np.array(pts, np.int32)], False, (95, 55, 45), 3, cv2.LINE_AA)
        for x, y in pts[3:-3:2]:
            cv2.line(canvas, (x, y), (x + int(rng.integers(-4, 5)), y + sign * int(rng.integers(9, 16))),
                     (30, 22, 20), 1, cv2.LINE_AA)  # fmt: skip
    # The corneal reflex of the light source.
    cv2.circle(
        canvas, (int(ix + r_iris * 0.35), int(iy - r_iris * 0.35)), 4, (255, 255, 255), -1, cv2.LINE_AA
    )
    return canvas


def render_field(
    seed: int = 0, defect: str = "normal", eye: str = "OS", backdrop: tuple[int, int, int] | None = None
) -> np.ndarray:
    """A greyscale threshold printout on white paper: header, the grey-tone plot with its ``defect``
    ("superior arcuate", "inferior arcuate", "nasal step" or "normal"), a few figures; whole-frame, or scanned
    and pasted at 85 % on a slide of colour ``backdrop``."""
    rng = np.random.default_rng(seed)
    page = Image.new("RGB", (WIDTH, HEIGHT), (250, 250, 247))
    draw = ImageDraw.Draw(page)
    small, tiny = get_font(14), get_font(11)
    draw.text((18, 12), f"Central 24-2 Threshold Test   {eye}", fill=(20, 20, 20), font=small)
    draw.text(
        (18, 32), "Fixation Monitor: Gaze/Blind Spot   Stimulus: III, White", fill=(40, 40, 40), font=tiny
    )
    draw.text((18, 48), "Fixation Losses: 1/14   False POS Errors: 2%", fill=(40, 40, 40), font=tiny)
    # The plot: a grey-tone map, 6 degrees a cell, each cell a dither of printer dots.
    size, ox, oy = 250, WIDTH // 2 - 170, 70
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    x, y = (xx - size / 2) / (size / 2), (size / 2 - yy) / (size / 2)
    if eye == "OS":
        x = -x  # nasal to the right on a left eye's plot
    r = np.hypot(x, y)
    loss = np.zeros_like(r)
    ang = np.degrees(np.arctan2(y, x))
    if defect in ("superior arcuate", "inferior arcuate"):
        sign = 1 if defect.startswith("superior") else -1
        band = np.exp(-(((r - 0.5) / 0.14) ** 2)) * (sign * y > 0.04)
        loss = np.maximum(loss, band * np.clip((ang * sign + 10) / 60, 0, 1) * 1.0)
    if defect == "nasal step":
        loss = np.maximum(loss, ((x > 0.45) & (y > 0.02) & (r < 0.95)).astype(np.float32))
    # Physiological blind spot, temporal, just below the horizontal.
    loss = np.maximum(loss, np.exp(-(((x + 0.5) ** 2 + (y + 0.1) ** 2) / 0.006)))
    darkness = np.clip(0.08 + 0.85 * loss + 0.05 * _smooth(rng, (size, size), 4), 0, 1)
    dots = rng.random((size, size)) < darkness
    plot = np.where(dots & (r < 1.0), 25, 250).astype(np.uint8)
    page_np = np.array(page)
    page_np[oy : oy + size, ox : ox + size] = plot[..., None]
    page = Image.fromarray(page_np)
    draw = ImageDraw.Draw(page)
    draw.line((ox, oy + size // 2, ox + size, oy + size // 2), fill=(0, 0, 0), width=1)
    draw.line((ox + size // 2, oy, ox + size // 2, oy + size), fill=(0, 0, 0), width=1)
    md = -1.2 - 8 * float(loss.mean()) - rng.random()
    draw.text((ox + size + 30, 120), f"MD  {md:.2f} dB  P < 0.5%", fill=(20, 20, 20), font=small)
    draw.text(
        (ox + size + 30, 145), f"PSD  {3 + 6 * float(loss.mean()):.2f} dB", fill=(20, 20, 20), font=small
    )
    draw.text((ox + size + 30, 170), "GHT: Outside normal limits", fill=(20, 20, 20), font=small)
    if backdrop is None:
        return np.array(page)
    slide = np.full((HEIGHT, WIDTH, 3), backdrop, np.uint8)
    pw, ph = round(WIDTH * 0.85), round(HEIGHT * 0.85)
    x0, y0 = (WIDTH - pw) // 2, (HEIGHT - ph) // 2
    slide[y0 : y0 + ph, x0 : x0 + pw] = np.array(page.resize((pw, ph), Image.LANCZOS))
    return slide
