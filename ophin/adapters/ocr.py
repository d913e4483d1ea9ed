"""Text in frames behind the Ocr protocol: words with confidence and boxes, grouped into lines."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

Box = tuple[int, int, int, int]  # x, y, w, h in pixels of the image given


@dataclass(frozen=True)
class OcrWord:
    text: str
    conf: float  # 0..100: tesseract's, less TesseractOcr.tophat_penalty for words only its top-hat pass read
    box: Box


@dataclass(frozen=True)
class OcrLine:
    text: str
    box: Box
    words: tuple[OcrWord, ...]


class Ocr(Protocol):
    def words(self, image_bgr: np.ndarray) -> list[OcrWord]: ...


class _TesseractEnv(Mapping[str, str]):
    """os.environ as it is now, plus OMP_THREAD_LIMIT=1 unless the caller set one."""

    def __getitem__(self, key: str) -> str:
        if key == "OMP_THREAD_LIMIT" and key not in os.environ:
            return "1"
        return os.environ[key]

    def __iter__(self) -> Iterator[str]:
        yield from os.environ
        if "OMP_THREAD_LIMIT" not in os.environ:
            yield "OMP_THREAD_LIMIT"

    def __len__(self) -> int:
        return len(os.environ) + ("OMP_THREAD_LIMIT" not in os.environ)


def _limit_tesseract_threads() -> None:
    """Tesseract's OpenMP threads cost more than they give on frames this small (3x slower on 2 cores,
    measured); parallelise across frames instead. Only the tesseract subprocess gets the limit: set in this
    process, OMP_THREAD_LIMIT=1 makes faster-whisper return no segments at 7x the time (measured)."""
    import pytesseract.pytesseract as tess

    if not isinstance(tess.environ, _TesseractEnv):
        tess.environ = _TesseractEnv()  # pytesseract hands this module global to subprocess.Popen(env=...)


class TesseractOcr:
    """Tesseract 5 through pytesseract, two passes per frame: plain grey, then a white top-hat.

    The grey pass reads dark-on-light and light-on-dark slide text. Burned-in overlays are mostly white or
    yellow strokes over a textured photograph (fundus vessels, OCT speckle), where tesseract's global
    binarisation loses words: the top-hat keeps bright strokes thinner than its kernel and flattens the
    photograph behind them ("DOB 12/03/1961" over a fundus rim was lost in grey and read at conf 96 here).
    """

    def __init__(
        self,
        lang: str = "eng",
        psm: int = 11,
        min_conf: float = 50,
        *,
        min_side: int = 720,
        max_upscale: float = 3.0,
        tophat_pass: bool = True,
        tophat_penalty: float = 30,
        min_height: int = 6,
    ) -> None:
        self.lang = lang
        self.psm = psm  # 11: sparse text, no assumed layout (captions, overlays, corners)
        self.min_conf = min_conf
        self.min_side = min_side  # upscale frames whose short side is smaller: 10 px text misreads at 1x
        self.max_upscale = max_upscale
        self.tophat_pass = tophat_pass
        # Vessel gaps and OCT speckle read as short "words" at conf 50-77 in the top-hat pass; real
        # overlay text read there at 90+. So top-hat words are reported tophat_penalty less sure, and one
        # min_conf (here or a caller's) means the same for both passes. Text under 6 px tall (in the
        # frame's own pixels) is not legible.
        self.tophat_penalty = tophat_penalty
        self.min_height = min_height
        self.name = f"tesseract/{lang}/psm{psm}"
        _limit_tesseract_threads()

    @staticmethod
    def available() -> bool:
        try:
            import pytesseract
        except ImportError:
            return False
        if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
            return False
        try:
            return "eng" in pytesseract.get_languages(config="")
        except (pytesseract.TesseractError, OSError):
            return False

    def words(self, image_bgr: np.ndarray) -> list[OcrWord]:
        import cv2

        gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY) if image_bgr.ndim == 3 else image_bgr
        short = min(gray.shape[:2])
        scale = min(self.max_upscale, max(1.0, self.min_side / max(short, 1)))
        if scale > 1.0:
            gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        found = self._read(gray, scale, self.min_conf)
        if self.tophat_pass:
            hat = self._read(_bright_strokes(gray), scale, self.min_conf + self.tophat_penalty)
            from_hat = {id(w) for w in hat}
            found = [  # merged on tesseract's own confidence, then discounted
                OcrWord(w.text, w.conf - self.tophat_penalty, w.box) if id(w) in from_hat else w
                for w in _merge(found, hat)
            ]
        return sorted(found, key=lambda w: (w.box[1], w.box[0]))

    def _read(self, gray: np.ndarray, scale: float, min_conf: float) -> list[OcrWord]:
        import pytesseract

        data = pytesseract.image_to_data(
            gray, lang=self.lang, config=f"--psm {self.psm}", output_type=pytesseract.Output.DICT
        )
        out = []
        for text, conf, x, y, w, h in zip(
            data["text"], data["conf"], data["left"], data["top"], data["width"], data["height"], strict=True
        ):
            text, conf = str(text).strip(), float(conf)
            box = (round(x / scale), round(y / scale), max(1, round(w / scale)), max(1, round(h / scale)))
            if conf < min_conf or box[3] < self.min_height or not any(c.isalnum() for c in text):
                continue
            out.append(OcrWord(text, conf, box))
        return out


def _bright_strokes(gray: np.ndarray) -> np.ndarray:
    """Dark text on white, from bright strokes: white top-hat, inverted, stretched."""
    import cv2

    k = max(9, round(min(gray.shape[:2]) / 24)) | 1  # wider than a stroke, narrower than a photograph's blobs
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    hat = cv2.morphologyEx(gray, cv2.MORPH_TOPHAT, kernel).astype(np.float32)
    top = max(float(np.percentile(hat, 99.9)), 1.0)
    return (255 - np.clip(hat * (255.0 / top), 0, 255)).astype(np.uint8)


def _merge(a: list[OcrWord], b: list[OcrWord]) -> list[OcrWord]:
    """Union of two passes; where two words overlap, the more confident one stays."""
    out = list(a)
    for word in b:
        clash = [i for i, kept in enumerate(out) if _overlap(kept.box, word.box) > 0.3]
        if not clash:
            out.append(word)
        elif all(out[i].conf < word.conf for i in clash):
            out = [w for i, w in enumerate(out) if i not in clash] + [word]
    return out


def _overlap(a: Box, b: Box) -> float:
    """Intersection over the smaller box's area."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / max(1, min(a[2] * a[3], b[2] * b[3]))


def lines(words: list[OcrWord], *, max_gap: float = 2.5) -> list[OcrLine]:
    """Words grouped into lines by geometry alone (psm 11 gives every word its own block).

    Two words share a line when their vertical extents overlap by half the smaller height and the gap
    between them is at most max_gap x the line's height (double spaces in overlays stay one line).
    """
    rows: list[list[OcrWord]] = []
    for word in sorted(words, key=lambda w: (w.box[0], w.box[1])):
        row = next((r for r in rows if _same_line(r, word, max_gap)), None)
        if row is None:
            rows.append([word])
        else:
            row.append(word)
    out = [_line(r) for r in rows]
    return sorted(out, key=lambda ln: (ln.box[1], ln.box[0]))


def _same_line(row: list[OcrWord], word: OcrWord, max_gap: float) -> bool:
    last = row[-1]
    x, y, w, h = word.box
    lx, ly, lw, lh = last.box
    v_overlap = min(y + h, ly + lh) - max(y, ly)
    height = max(h, lh)
    return v_overlap >= 0.5 * min(h, lh) and x - (lx + lw) <= max_gap * height


def _line(row: list[OcrWord]) -> OcrLine:
    return OcrLine(" ".join(w.text for w in row), union_box([w.box for w in row]), tuple(row))


def union_box(boxes: list[Box]) -> Box:
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)
