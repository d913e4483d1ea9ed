"""Drawn OCT reports, slit-lamp and external-eye photographs, a visual-field printout and slides (heldout2).

Every picture is procedural (numpy/cv2/PIL, seeded); none reuses an image of the sample corpus.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

W, H = 960, 540
_FONTS = Path("/usr/share/fonts/truetype/dejavu")
_FACES = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf", "oblique": "DejaVuSans-Oblique.ttf",
          "mono": "DejaVuSansMono.ttf", "serif": "DejaVuSerif.ttf"}  # fmt: skip


@cache
def font(size: int, face: str = "regular") -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu when installed (Debian's fonts-dejavu-core), else PIL's own scalable default."""
    path = _FONTS / _FACES[face]
    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    field = cv2.GaussianBlur(rng.standard_normal(shape).astype(np.float32), (0, 0), sigma)
    return field / (field.std() + 1e-6)


def _bump(x: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.exp(-(((x - centre) / width) ** 2))


# --------------------------------------------------------------------------- OCT
OCT_FINDINGS = {"normal", "cysts", "srf_ped", "hole", "drusen", "erm"}


def oct_bscan(seed: int, finding: str, shape: tuple[int, int] = (300, 600)) -> np.ndarray:
    """A greyscale macular B-scan (uint8): layered retina, foveal pit, speckle, one pathology."""
    if finding not in OCT_FINDINGS:
        raise ValueError(finding)
    rng = np.random.default_rng(seed)
    h, w = shape
    x = np.arange(w, dtype=np.float32)
    xc = w * rng.uniform(0.46, 0.54)
    pit = _bump(x, xc, w * 0.075)
    curve = 18 * ((x - xc) / w) ** 2 * 4 + rng.uniform(-6, 6) * (x - xc) / w  # scan curvature and tilt
    bruch = h * 0.62 + curve
    rpe_top = bruch - 7
    if finding == "drusen":
        for c in rng.uniform(xc - w * 0.2, xc + w * 0.2, 5):
            rpe_top = rpe_top - rng.uniform(7, 15) * _bump(x, c, rng.uniform(10, 20))
    if finding == "srf_ped":
        rpe_top = rpe_top - 22 * _bump(x, xc + w * 0.1, w * 0.06) ** 0.8
    ez = rpe_top - 10
    lift = 26 * _bump(x, xc - w * 0.02, w * 0.07) if finding == "srf_ped" else 0 * x
    pit_depth = 0.25 if finding == "erm" else 1.0
    swell = 38 * _bump(x, xc, w * 0.09) if finding == "cysts" else 0 * x
    if finding == "erm":
        swell = 14 * _bump(x, xc, w * 0.12)
    nasal = 1 / (1 + np.exp(-(x - xc) / (w * 0.12)))  # the nerve fibre layer thickens towards the disc
    thick = {  # layer thicknesses above the ellipsoid zone, inner to outer (display stretched vertically)
        "rnfl": (5 + 20 * nasal) * (1 - 0.9 * pit * pit_depth),
        "gcl_ipl": 44 * (1 - 0.95 * pit * pit_depth) + 0.4 * swell,
        "inl": 17 * (1 - 0.85 * pit * pit_depth) + 0.4 * swell,
        "opl": 9 * (1 - 0.6 * pit * pit_depth),
        "onl": 36 + 22 * pit + 0.2 * swell,
        "is": 12 + 4 * pit,
    }
    bounds = [ez - lift]
    for name in ("is", "onl", "opl", "inl", "gcl_ipl", "rnfl"):
        bounds.insert(0, bounds[0] - thick[name])
    # rows: vitreous | rnfl | gcl_ipl | inl | opl | onl | elm..is | (fluid) | ez+os | rpe | bruch | choroid
    bounds += [ez, rpe_top, bruch, bruch + 2, bruch + 60, np.full(w, float(h))]
    refl = np.array([0.0, 0.85, 0.5, 0.22, 0.62, 0.13, 0.32, 0.0, 0.8, 0.98, 0.85, 0.36, 0.1], np.float32)
    yy = np.arange(h, dtype=np.float32)[:, None]
    layer = (yy >= np.stack(bounds)[:, None, :]).sum(0)
    img = refl[layer]
    img[(layer == 7)] = (
        0.03  # the gap between lifted retina and the ellipsoid zone is fluid (SRF) when lifted
    )
    if finding == "drusen":  # sub-RPE material in the bumps is medium-reflective
        img[(yy > rpe_top + 7) & (yy < bruch)] = 0.45
    if finding == "srf_ped":
        img[(yy > rpe_top + 6) & (yy < bruch) & (bruch - rpe_top > 12)] = 0.06
    choroid = (layer == 11) & (
        cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 5, sigmaY=2.5) < -0.02
    )
    img[choroid] = 0.1  # choroidal vessel lumens
    img *= np.clip(1.25 - 0.6 * (yy - bruch) / 80, 0.35, 1.0) * (yy > bruch) + (yy <= bruch)  # attenuation
    if finding == "cysts":
        for _ in range(11):
            cx = rng.normal(xc, w * 0.06)
            col = int(np.clip(cx, 0, w - 1))
            top, bottom = bounds[2][col], bounds[5][col]
            cy, r = rng.uniform(top + 8, bottom - 8), rng.uniform(8, 18)
            cyst = np.zeros((h, w), np.float32)
            cv2.ellipse(cyst, (int(cx), int(cy)), (int(r * 0.8), int(r)), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
            cyst = cv2.GaussianBlur(cyst, (0, 0), 1.5)
            img = img * (1 - 0.9 * cyst)
    if finding == "hole":
        rim = _bump(x, xc, w * 0.09)
        for b in range(0, 6):
            bounds[b] = bounds[b] - 22 * rim
        layer = (yy >= np.stack(bounds)[:, None, :]).sum(0)
        img = refl[layer]
        # the hole: narrowest in the mid retina, flaring to a wider base on the RPE and open to the vitreous
        depth = np.clip((yy - (ez[None, :] - 110)) / 110, 0, 1)
        half = w * 0.03 + 34 * (depth - 0.45) ** 2 * 4
        img[(yy < ez[None, :]) & (np.abs(x[None, :] - xc) < half)] = 0.0
        for side in (-1, 1):
            for _ in range(3):
                cx = xc + side * rng.uniform(w * 0.05, w * 0.08)
                cy = ez[int(cx)] - rng.uniform(20, 45)
                cv2.ellipse(img, (int(cx), int(cy)), (6, 5), 0, 0, 360, 0.04, -1, cv2.LINE_AA)
        cv2.ellipse(
            img, (int(xc), int(ez[int(xc)] - 170)), (16, 4), 0, 0, 360, 0.6, -1, cv2.LINE_AA
        )  # operculum
    if finding == "erm":
        top = bounds[0] - 2 - 2 * np.abs(np.sin(x / 9)) * (np.abs(x - xc) < w * 0.3)
        pts = np.stack([x, top], 1).astype(np.int32)
        cv2.polylines(img, [pts], False, 1.0, 2, cv2.LINE_AA)
    speckle = rng.gamma(1.4, 1 / 1.4, (h, w)).astype(np.float32)
    speckle = cv2.GaussianBlur(speckle, (0, 0), sigmaX=1.4, sigmaY=0.6)
    out = np.clip(img * speckle, 0, 1.5) ** 0.65
    out = cv2.GaussianBlur(out, (0, 0), 0.7) + 0.025 * rng.gamma(1.0, 1.0, (h, w))
    return (np.clip(out / 1.2, 0, 1) * 255).astype(np.uint8)


def oct_report(seed: int, finding: str, infrared: np.ndarray, eye: str = "OD") -> np.ndarray:
    """A viewer-style OCT page: infrared fundus with the scan line on the left, the B-scan on the right."""
    img = Image.new("RGB", (W, H), (0, 0, 0))
    ir = cv2.cvtColor(infrared, cv2.COLOR_RGB2GRAY)
    ir = cv2.resize(ir, (300, 300), interpolation=cv2.INTER_AREA)
    ir = cv2.normalize(ir, None, 30, 235, cv2.NORM_MINMAX)
    ir = cv2.addWeighted(ir, 1.3, cv2.GaussianBlur(ir, (0, 0), 12), -0.3, 10)  # IR contrast
    ir_rgb = np.repeat(ir[..., None], 3, 2)
    cv2.arrowedLine(ir_rgb, (30, 160), (270, 160), (40, 220, 60), 2, cv2.LINE_AA, tipLength=0.05)
    img.paste(Image.fromarray(ir_rgb), (20, 120))
    scan = oct_bscan(seed, finding, (360, 600))
    img.paste(Image.fromarray(np.repeat(scan[..., None], 3, 2)), (340, 90))
    draw = ImageDraw.Draw(img)
    draw.text((20, 92), f"IR 30\u00b0 ART  {eye}", fill=(230, 230, 230), font=font(16))
    draw.text((340, 60), "OCT 30\u00b0 (8.9 mm)  ART (25)  Q: 31 [HS]", fill=(230, 230, 230), font=font(16))
    draw.line([(860, 430), (910, 430)], fill=(255, 255, 255), width=2)
    draw.text((858, 434), "200 \u00b5m", fill=(255, 255, 255), font=font(14))
    return np.asarray(img)


# --------------------------------------------------------------------------- anterior segment
ANTERIOR = {"normal", "cataract", "injection", "infiltrate_hypopyon"}


def anterior_eye(
    seed: int, finding: str, slit: bool, iris: tuple[int, int, int] = (112, 74, 42)
) -> np.ndarray:
    """A photograph of the eye between the lids: sclera, iris, pupil; a slit beam when ``slit``."""
    if finding not in ANTERIOR:
        raise ValueError(finding)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    c = np.array([W * 0.5 + rng.uniform(-30, 30), H * 0.52])
    skin = np.array([196, 146, 120], np.float32) / 255 * (1 + 0.02 * _noise(rng, (H, W), 10))[..., None]
    img = skin * (1 - 0.35 * ((yy - c[1]) / H) ** 2)[..., None]
    # lid aperture: an almond between two arcs
    half_w, upper, lower = 360, 175, 150
    u = np.clip((xx - c[0]) / half_w, -1, 1)
    top = c[1] - upper * (1 - u**2) ** 0.8
    bottom = c[1] + lower * (1 - u**2) ** 0.9
    aperture = ((yy > top) & (yy < bottom) & (np.abs(xx - c[0]) < half_w)).astype(np.float32)
    aperture = cv2.GaussianBlur(aperture, (0, 0), 2.5)[..., None]
    sclera = np.array([0.92, 0.88, 0.84], np.float32) * (1 + 0.03 * _noise(rng, (H, W), 8))[..., None]
    red = 0.0
    if finding in ("injection", "infiltrate_hypopyon"):
        red = 0.55 if finding == "injection" else 0.3
    vessels = np.zeros((H, W), np.float32)
    for _ in range(90 if red else 30):  # conjunctival vessels: run from the fornices towards the limbus
        side = rng.choice([-1, 1])
        p = c + np.array([side * rng.uniform(150, half_w * 0.95), rng.uniform(-upper, lower) * 0.7])
        heading = math.atan2(c[1] - p[1], c[0] - p[0]) + rng.normal(0, 0.5)
        pts = [p]
        for _ in range(int(rng.uniform(8, 22))):
            heading += rng.normal(0, 0.25)
            p = p + 7 * np.array([math.cos(heading), math.sin(heading)])
            pts.append(p)
        cv2.polylines(
            vessels, [np.array(pts, np.int32)], False, 0.8, 1 + int(rng.uniform(0, 1.6)), cv2.LINE_AA
        )
    vessels = cv2.GaussianBlur(vessels, (0, 0), 0.8)
    dist = np.hypot(xx - c[0], yy - c[1])
    limbus = 118.0
    flush = (
        red * np.clip((dist - limbus) / 120, 0, 1)
        if finding == "injection"
        else red * _bump(dist, limbus + 15, 40)
    )
    sclera = sclera * (1 - flush[..., None] * np.array([0.05, 0.55, 0.55]))
    sclera = sclera * (1 - (0.45 + red) * vessels[..., None] * np.array([0.2, 0.8, 0.8]))
    eye = sclera
    # iris: radial fibres, a collarette, crypts; darker at the limbus
    ang = np.arctan2(yy - c[1], xx - c[0])
    fibres = 0.12 * np.sin(ang * 90 + 3 * _noise(rng, (H, W), 5)) + 0.1 * _noise(rng, (H, W), 2)
    iris_col = np.asarray(iris, np.float32) / 255 * (1 + fibres)[..., None]
    iris_col *= (1 - 0.5 * np.clip((dist - 95) / 25, 0, 1))[..., None]
    iris_col *= (1 + 0.25 * _bump(dist, 62, 6))[..., None]
    in_iris = np.clip(limbus - dist, 0, 1)[..., None]
    eye = eye * (1 - in_iris) + iris_col * in_iris
    pupil_r = 38 + rng.uniform(-4, 6)
    in_pupil = np.clip(pupil_r - dist, 0, 1)[..., None]
    lens = np.array([0.03, 0.03, 0.035], np.float32)
    if finding == "cataract":
        glow = _bump(dist, 0, pupil_r * 0.8)[..., None]
        lens = lens + glow * np.array([0.55, 0.40, 0.12], np.float32) * (0.45 if not slit else 0.35)
    eye = eye * (1 - in_pupil) + lens * in_pupil
    img = img * (1 - aperture) + eye * aperture
    if slit:
        img *= 0.42  # the room is dark; only the beam lights the eye
        bx = c[0] + 55
        beam = _bump(xx, bx + 0.15 * (yy - c[1]), 5) * (np.abs(yy - c[1]) < 200)
        section = _bump(dist, limbus + 2, 4) * (np.abs(xx - bx + 20) < 35) * (np.abs(yy - c[1]) < 110)
        lens_sec = _bump(xx, bx - 45 + 0.1 * (yy - c[1]), 8) * (dist < pupil_r)
        tint = np.array([0.9, 0.75, 0.35]) if finding == "cataract" else np.array([0.45, 0.5, 0.55])
        img += beam[..., None] * 0.85 + section[..., None] * 0.9 + lens_sec[..., None] * tint * 1.2
    if finding == "infiltrate_hypopyon":  # white cells scatter the light: bright even in a dark room
        inf = np.zeros((H, W), np.float32)
        cv2.ellipse(inf, (int(c[0] + 18), int(c[1] + 24)), (40, 32), 20, 0, 360, 1.0, -1, cv2.LINE_AA)
        inf = np.clip(cv2.GaussianBlur(inf, (0, 0), 4) * (0.9 + 0.15 * _noise(rng, (H, W), 3)), 0, 1)
        img = img * (1 - 0.85 * inf[..., None]) + 0.85 * np.array([0.93, 0.92, 0.86]) * inf[..., None]
        level = c[1] + limbus * 0.62
        hyp = ((yy > level) & (dist < limbus - 3)).astype(np.float32)
        hyp = cv2.GaussianBlur(hyp, (0, 0), 1.5)[..., None]
        img = img * (1 - hyp) + 0.8 * np.array([0.95, 0.92, 0.80]) * hyp
    reflex = _bump(np.hypot(xx - c[0] + 26, yy - c[1] + 30), 0, 5)[..., None]
    img += reflex * 1.2
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


# --------------------------------------------------------------------------- visual field
def visual_field(seed: int, eye: str = "OD") -> np.ndarray:
    """A 24-2 threshold printout: grey-scale map with a superior arcuate defect, indices, dB values."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (W, H), (250, 250, 247))
    draw = ImageDraw.Draw(img)
    draw.text((30, 18), "Central 24-2 Threshold Test", fill=(0, 0, 0), font=font(22, "bold"))
    meta = [
        "Fixation Monitor: Gaze/Blind Spot",
        "Fixation Target: Central",
        "Fixation Losses: 1/15",
        "False POS Errors: 2 %",
        "False NEG Errors: 6 %",
        "Test Duration: 06:12",
        "Stimulus: III, White",
        "Strategy: SITA Standard",
        f"Eye: {'Right' if eye == 'OD' else 'Left'}",
    ]
    for k, line in enumerate(meta):
        draw.text((30 + 300 * (k // 5), 52 + 19 * (k % 5)), line, fill=(30, 30, 30), font=font(14))
    cx, cy, ppd = 250, 330, 6.5  # grey-scale map centre, pixels per degree
    side = 1 if eye == "OD" else -1
    grey = np.full((H, W), 250, np.float32)
    values = {}
    for gx in range(-27, 28, 6):
        for gy in range(-21, 22, 6):
            if (abs(gx) - 3) ** 2 / 27**2 + (abs(gy) - 3) ** 2 / 21**2 > 1.02 and abs(gx) != 27:
                continue
            if abs(gx) == 27 and (gx * side > 0 or abs(gy) > 3):
                continue
            ecc = math.hypot(gx, gy)
            sens = 33 - 0.25 * ecc + rng.normal(0, 1.2)
            # superior arcuate scotoma: 10-20 degrees from fixation, above the horizontal midline only
            if gy < 0 and 8 <= ecc <= 23 and gx * side < 12:
                sens -= rng.uniform(18, 30)
            values[(gx, gy)] = max(0, int(round(sens)))
    # grey scale: the point values interpolated over the field, then printed as dots (darker = less sensitive)
    grid = np.full((8, 10), np.nan, np.float32)
    for (gx, gy), sens in values.items():
        grid[(gy + 21) // 6, (gx + 27) // 6] = sens
    filled = np.where(np.isnan(grid), np.nanmean(grid), grid)
    x0, y0 = int(cx - 30 * ppd), int(cy - 24 * ppd)
    smooth = cv2.resize(filled, (int(60 * ppd), int(48 * ppd)), interpolation=cv2.INTER_LINEAR)
    inside = cv2.resize(
        (~np.isnan(grid)).astype(np.float32), smooth.shape[::-1], interpolation=cv2.INTER_NEAREST
    )
    dots = rng.uniform(0, 1, smooth.shape) < np.clip(1 - smooth / 34, 0.02, 1) ** 1.3
    grey[y0 : y0 + smooth.shape[0], x0 : x0 + smooth.shape[1]] = np.where(
        inside > 0, np.where(dots, 20, 245), 250
    )
    arr = np.asarray(img).copy()
    region = grey < 249
    arr[region] = grey[region, None]
    img = Image.fromarray(arr)
    draw = ImageDraw.Draw(img)
    draw.line([(cx - 200, cy), (cx + 200, cy)], fill=(0, 0, 0), width=1)
    draw.line([(cx, cy - 160), (cx, cy + 160)], fill=(0, 0, 0), width=1)
    ox, oy = 560, 170
    for (gx, gy), sens in values.items():
        draw.text(
            (ox + (gx + 27) * 6.2, oy + (gy + 21) * 5.2), str(sens), fill=(0, 0, 0), font=font(11, "mono")
        )
    draw.text((650, 410), "GHT: Outside Normal Limits", fill=(0, 0, 0), font=font(15, "bold"))
    draw.text((650, 435), "VFI: 74 %", fill=(0, 0, 0), font=font(15))
    draw.text((650, 458), "MD24-2: -8.36 dB  P < 0.5%", fill=(0, 0, 0), font=font(15))
    draw.text((650, 481), "PSD24-2: 10.12 dB  P < 0.5%", fill=(0, 0, 0), font=font(15))
    return np.asarray(img)


# --------------------------------------------------------------------------- slides
THEMES = {"teal": (0, 105, 112), "plum": (96, 44, 88), "navy": (28, 52, 104), "olive": (88, 100, 36),
          "rust": (150, 64, 34)}  # fmt: skip


def _wrap(draw: ImageDraw.ImageDraw, text: str, f: ImageFont.ImageFont, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=f) > width and line:
            lines.append(line)
            line = word
        else:
            line = trial
    return lines + [line] if line else lines


def title_slide(title: str, subtitle: str, theme: str) -> np.ndarray:
    colour = THEMES[theme]
    img = Image.new("RGB", (W, H), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, W, 300], fill=colour)
    draw.rectangle([0, 300, W, 308], fill=(240, 180, 40))
    y = 110
    for line in _wrap(draw, title, font(44, "bold"), W - 120):
        draw.text((60, y), line, fill=(255, 255, 255), font=font(44, "bold"))
        y += 56
    draw.text((60, 340), subtitle, fill=(60, 60, 60), font=font(26))
    draw.text((60, 470), "Ophthalmology teaching series", fill=(120, 120, 120), font=font(18, "oblique"))
    return np.asarray(img)


def text_slide(heading: str, bullets: list[str], theme: str, number: int) -> np.ndarray:
    colour = THEMES[theme]
    img = Image.new("RGB", (W, H), (252, 251, 246))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, 18, H], fill=colour)
    draw.text((60, 36), heading, fill=colour, font=font(36, "bold"))
    draw.line([(60, 92), (W - 60, 92)], fill=colour, width=3)
    y = 125
    for bullet in bullets:
        lines = _wrap(draw, bullet, font(26), W - 170)
        draw.ellipse([70, y + 11, 80, y + 21], fill=colour)
        for line in lines:
            draw.text((100, y), line, fill=(30, 30, 30), font=font(26))
            y += 36
        y += 16
    draw.text((W - 60, H - 36), str(number), fill=(140, 140, 140), font=font(16))
    return np.asarray(img)


def framed_slide(
    picture: np.ndarray, heading: str, caption: str, theme: str
) -> tuple[np.ndarray, list[float]]:
    """A slide: title bar, the picture and a caption under it; returns the frame and the picture's box."""
    colour = THEMES[theme]
    img = Image.new("RGB", (W, H), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, W, 64], fill=colour)
    draw.text((30, 14), heading, fill=(255, 255, 255), font=font(30, "bold"))
    ph, pw = picture.shape[:2]
    scale = min(400 / ph, 820 / pw)
    pic = cv2.resize(picture, (int(pw * scale), int(ph * scale)), interpolation=cv2.INTER_AREA)
    x0, y0 = (W - pic.shape[1]) // 2, 80
    img.paste(Image.fromarray(pic), (x0, y0))
    draw.text((x0, y0 + pic.shape[0] + 10), caption, fill=(70, 70, 70), font=font(18, "oblique"))
    box = [
        round(x0 / W, 4),
        round(y0 / H, 4),
        round((x0 + pic.shape[1]) / W, 4),
        round((y0 + pic.shape[0]) / H, 4),
    ]
    return np.asarray(img), box


def full_frame(picture: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """The picture centred on black at full height (a camera export shown full screen)."""
    ph, pw = picture.shape[:2]
    scale = min(H / ph, W / pw)
    pic = cv2.resize(picture, (int(pw * scale), int(ph * scale)), interpolation=cv2.INTER_AREA)
    out = np.zeros((H, W, 3), np.uint8)
    x0, y0 = (W - pic.shape[1]) // 2, (H - pic.shape[0]) // 2
    out[y0 : y0 + pic.shape[0], x0 : x0 + pic.shape[1]] = pic
    box = [
        round(x0 / W, 4),
        round(y0 / H, 4),
        round((x0 + pic.shape[1]) / W, 4),
        round((y0 + pic.shape[0]) / H, 4),
    ]
    return out, box


def speaker_tile(label: str) -> np.ndarray:
    """A video-call tile with a grey silhouette standing in for the speaker (no real face)."""
    img = Image.new("RGB", (W, H), (38, 40, 46))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle([180, 40, 780, 480], radius=24, fill=(70, 76, 88))
    draw.ellipse([405, 120, 555, 270], fill=(150, 156, 168))
    draw.pieslice([320, 280, 640, 600], 180, 360, fill=(150, 156, 168))
    draw.rectangle([180, 440, 780, 480], fill=(70, 76, 88))
    draw.text((200, 448), label, fill=(235, 235, 235), font=font(20))
    return np.asarray(img)
