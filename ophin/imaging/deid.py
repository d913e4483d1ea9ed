"""De-identify a frame: blur faces, black out burned-in text that carries PHI, say what was done."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ophin.adapters.ocr import Box, Ocr, OcrLine, OcrWord, lines, union_box
from ophin.domains.pack import current as domain_pack
from ophin.imaging.field import FieldParams
from ophin.imaging.labels import LabelParams
from ophin.text.tokens import HYPHENATED_WORD

if TYPE_CHECKING:
    from ophin.domain.phi import PhiMatch

NormBox = tuple[float, float, float, float]  # x, y, w, h as fractions of the frame's width and height


@dataclass(frozen=True)
class DeidParams:
    # A face is the frame's subject (the caller drops the frame) when it covers face_subject_fraction of
    # it: astronaut() as a portrait measures 3.8%, the sample lectures' face scenes 6-20%. A presenter's
    # webcam inset in a corner can hold a face of 2-2.4% (sample lectures' *_cases scenes), so a face
    # centred in a corner zone (inset_margin of the width and of the height) must cover
    # inset_subject_fraction, i.e. be a side-by-side video rather than a picture-in-picture.
    face_subject_fraction: float = 0.02
    inset_subject_fraction: float = 0.08
    inset_margin: float = 0.3
    face_min_score: float = 0.9  # MTCNN O-Net probability; real faces here scored >= 0.97
    face_pad: float = 0.15  # grow each face box by this much of its size (hair, ears, chin)
    text_pad: float = 0.25  # grow each redacted line by this much of its height (antialiasing, descenders)
    redact_regions: tuple[NormBox, ...] = ()  # always filled: a device's known overlay corner, a name banner
    fill_colour: tuple[int, int, int] = (0, 0, 0)
    # PHI is looked for in every word the OCR hands over, however unsure (tesseract read "MRN 552091" on
    # a translucent banner right, at conf 0-46); only words this sure are reported for scoring.
    text_min_conf: float = 50
    # Re-read the redacted frame while the last read found new PHI: once its neighbours are gone, a
    # word tesseract could not segment is often read (up to ocr_rounds reads in all; a clean frame: one).
    ocr_rounds: int = 3
    # Camera labels in the border bands (ophin/imaging/labels.py): a text line found there is filled unless
    # OCR, re-reading it upscaled and inverted, read every word at label_read_conf or more and the line
    # is neither PHI nor name-shaped. Small light text on black is where OCR fails and names are written.
    labels: LabelParams = field(default_factory=LabelParams)
    # A fundus photograph's round field on a black surround (ophin/imaging/field.py): the surround, where
    # cameras write their labels in any font and colour, is filled whole.
    fundus_field: FieldParams = field(default_factory=FieldParams)
    label_read_conf: float = 80
    label_vocab_conf: float = 50  # a word read as overlay vocabulary: "B-scan," reads at 65
    label_read_height: int = 40  # px a label line is scaled to before it is re-read
    label_max_reads: int = 8  # re-reads per frame; lines past it are filled unread


# A person name read by OCR acts only when its words average this confidence (see _credible).
NAME_MIN_CONF = 30.0
LIT = 40  # of 255: a pixel brighter than this in any channel showed something before it was filled


@dataclass(frozen=True)
class DeidResult:
    image: np.ndarray  # a redacted copy; the input is never changed
    faces: int
    faces_blurred: int
    face_fraction: float  # largest face box area / frame area
    face_is_subject: bool  # the caller drops such frames: blurring a portrait leaves nothing to teach
    text_boxes_redacted: int
    redaction_reasons: list[str] = field(default_factory=list)  # kinds ("record number"), never the text
    ocr_text: str = ""  # every OCR line, PHI included, for scoring only: callers must not store it
    ocr_words: tuple[OcrWord, ...] = ()  # for clinical_score, which measures text area from the boxes
    ocr_ran: bool = False
    # Every word read (unsure ones and label re-reads included) outside the redacted lines: what a caller
    # that crops this image and redacts the crop hands back as `words`, so the crop is not read again.
    kept_words: tuple[OcrWord, ...] = ()


def face_detector(
    params: DeidParams, detect_faces: Callable[[np.ndarray], list] | None = None
) -> Callable[[np.ndarray], list]:
    """The detector given, else vision's MTCNN at params.face_min_score."""
    if detect_faces is not None:
        return detect_faces
    from ophin.adapters import vision

    return lambda im: vision.detect_faces(im, min_score=params.face_min_score)


def deidentify(
    image_bgr: np.ndarray,
    *,
    ocr: Ocr | None,
    params: DeidParams,
    detect_faces: Callable[[np.ndarray], list] | None = None,
    words: Sequence[OcrWord] | None = None,
) -> DeidResult:
    """Blur every face (the subject's too, so a caller that forgets to drop the frame still leaks none),
    fill each OCR line that find_phi flags, and fill the configured regions.

    For PHI, give an OCR that keeps unsure words (TesseractOcr(min_conf=0)): over-redacting a frame costs
    a black bar, missing a record number leaks it. detect_faces: (image) -> [Face]; vision's by default.
    words: this image's words already read at this scale (a larger frame's kept_words mapped into its
    crop); they stand for the first OCR read, which costs seconds on a speckled OCT frame.
    """
    from ophin.adapters import vision

    h, w = image_bgr.shape[:2]
    faces = face_detector(params, detect_faces)(image_bgr)
    largest = max((f.box[2] * f.box[3] for f in faces), default=0)
    out = image_bgr.copy()
    if faces:
        out = vision.blur_regions(out, [f.box for f in faces], pad=params.face_pad)

    regions = [_to_pixels(r, w, h) for r in params.redact_regions]
    out = vision.fill_boxes(out, regions, params.fill_colour)
    reasons = ["configured region"] if regions else []
    out, surround = _clear_surround(out, params)
    if surround:
        reasons.append("fundus surround")
    redacted: list[Box] = []
    seen: list[OcrWord] = []
    for round_ in range(params.ocr_rounds if ocr is not None else 0):
        # The first read sees the frame as it came (blur and fills can merge or cut glyphs).
        given = round_ == 0 and words is not None
        read = list(words or ()) if given else ocr.words(image_bgr if round_ == 0 else out)
        seen += [wd for wd in read if not any(_overlaps(wd.box, s.box) for s in seen)]
        boxes, kinds = _phi_lines(lines(read))
        boxes = [b for b in boxes if not any(_overlaps(b, r) for r in redacted)]
        if not boxes:
            break
        redacted += boxes
        reasons += kinds
        out = vision.fill_boxes(out, [_pad_line(b, params.text_pad) for b in boxes], params.fill_colour)

    reread: list[OcrWord] = []
    if ocr is not None or params.labels.enabled:
        boxes, kinds, reread = _unread_labels(image_bgr, out, seen, redacted, ocr, params)
        redacted += boxes
        reasons += kinds
        out = vision.fill_boxes(out, [_pad_line(b, params.text_pad) for b in boxes], params.fill_colour)

    sure = [wd for wd in seen if wd.conf >= params.text_min_conf]
    return DeidResult(
        image=out,
        faces=len(faces),
        faces_blurred=len(faces),
        face_fraction=round(largest / float(h * w), 5),
        face_is_subject=any(_is_subject(f.box, w, h, params) for f in faces),
        text_boxes_redacted=len(redacted) + len(regions) + surround,
        redaction_reasons=list(dict.fromkeys(reasons)),
        ocr_text="\n".join(line.text for line in lines(sure)),
        ocr_words=tuple(sure),
        ocr_ran=ocr is not None,
        kept_words=tuple(wd for wd in seen + reread if not any(_overlaps(wd.box, r) for r in redacted)),
    )


def hidden_fraction(before: np.ndarray, after: np.ndarray, fill: tuple[int, int, int]) -> float:
    """The share of the picture a redaction hid: pixels of the fill colour now that were lit before (a black
    surround or an OCT's dark vitreous filled black hides nothing). `before` is resized to `after` if
    needed."""
    import cv2

    if before.shape[:2] != after.shape[:2]:
        before = cv2.resize(before, (after.shape[1], after.shape[0]), interpolation=cv2.INTER_AREA)
    filled = np.all(after == np.asarray(fill, dtype=after.dtype), axis=2)
    lit = before.max(axis=2) > LIT
    return round(float(np.count_nonzero(filled & lit)) / max(1, filled.size), 4)


def _clear_surround(image: np.ndarray, params: DeidParams) -> tuple[np.ndarray, int]:
    """The image with a fundus field's surround filled, and 1 when that removed something lit (a label,
    a tab, the rim's glare), else 0. Only a black fill: another colour would add a ring to a black field."""
    from ophin.imaging.field import clear_surround

    if params.fill_colour != (0, 0, 0):
        return image, 0
    out, removed = clear_surround(image, params.fundus_field)
    # Antialiasing and JPEG noise leave a few lit pixels on any surround: that is no label.
    return out, int(removed >= 20)


def _is_subject(box: Box, w: int, h: int, p: DeidParams) -> bool:
    x, y, bw, bh = box
    cx, cy = (x + bw / 2) / w, (y + bh / 2) / h
    in_corner = min(cx, 1 - cx) < p.inset_margin and min(cy, 1 - cy) < p.inset_margin
    return bw * bh / (w * h) >= (p.inset_subject_fraction if in_corner else p.face_subject_fraction)


def _overlaps(a: Box, b: Box) -> bool:
    """More than half of the smaller box lies inside the other."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy > 0.5 * min(a[2] * a[3], b[2] * b[3])


def _phi_lines(found: list[OcrLine]) -> tuple[list[Box], list[str]]:
    """Boxes of lines holding PHI, and the kinds found.

    A label and its value can sit on two stacked lines ("Patient name" above "DOE, JANE"), so each line is
    also read joined with the line below it; a match the two lines make only together marks both.
    """
    from ophin.domain.phi import find_phi

    flagged: dict[int, None] = {}
    kinds: list[str] = []
    for i, line in enumerate(found):
        matches = [m for m in find_phi(line.text) if _credible(m, line.words)]
        if matches:
            flagged[i] = None
            kinds += [m.kind for m in matches]
    for i, j in _stacked_pairs(found):
        a = found[i].text
        both = (*found[i].words, *found[j].words)
        for m in (m for m in find_phi(f"{a} {found[j].text}") if _credible(m, both)):
            inside_a, inside_b = m.end <= len(a), m.start > len(a)
            if (inside_a and i in flagged) or (inside_b and j in flagged):
                continue  # that line was flagged on its own
            flagged[i] = flagged[j] = None
            kinds.append(m.kind)
    # A camera label is one block: name over date of birth over record number. When one line of a block
    # is PHI, the lines stacked with it are too (the name line alone reads as no PHI to find_phi).
    grew = True
    while grew:
        grew = False
        for i, j in _stacked_pairs(found):
            if (i in flagged) != (j in flagged):
                flagged[i] = flagged[j] = None
                kinds.append("label block")
                grew = True
    return [found[i].box for i in sorted(flagged)], kinds


def _credible(match: PhiMatch, words: Sequence[OcrWord]) -> bool:
    """Whether the OCR read a PHI match's words surely enough to act on. Dates and numbers have shapes
    junk seldom takes; a person name is any pair of capitalised tokens, which tesseract makes of OCT speckle
    and fundus texture ("Bae Wivaéias", "TERA Spey", conf 0-26, 5 dev OCT scans filled up to 37 %), so its
    words must average NAME_MIN_CONF. Rendered label text reads at 90 or more."""
    if match.kind != "person name":
        return True
    at, confs = 0, []
    for word in words:  # the line's text is its words joined by single spaces
        if at < match.end and match.start < at + len(word.text):
            confs.append(word.conf)
        at += len(word.text) + 1
    return not confs or sum(confs) / len(confs) >= NAME_MIN_CONF


def _stacked_pairs(found: list[OcrLine]) -> list[tuple[int, int]]:
    """(upper, lower) index pairs: lower starts within one line height below upper, overlaps it across,
    is written at a similar height and aligned with it (left, right or centre, within a line height), as
    the lines of one label block are. OCR junk read in OCT speckle is stacked too, but neither aligned nor
    of one height: without these checks one PHI match spread through a whole B-scan (31 % of it filled)."""
    pairs = []
    for i, a in enumerate(found):
        ax, ay, aw, ah = a.box
        for j, b in enumerate(found):
            bx, by, bw, bh = b.box
            gap = by - (ay + ah)
            if i == j or not 0 <= gap <= max(ah, bh) or min(ax + aw, bx + bw) <= max(ax, bx):
                continue
            tol = max(ah, bh)
            aligned = min(abs(ax - bx), abs(ax + aw - bx - bw), abs(2 * ax + aw - 2 * bx - bw) / 2) <= tol
            if aligned and 0.6 <= bh / max(ah, 1) <= 1.6:
                pairs.append((i, j))
    return pairs


def _pad_line(box: Box, pad: float) -> Box:
    x, y, w, h = box
    p = max(2, round(h * pad))
    return (x - p, y - p, w + 2 * p, h + 2 * p)  # fill_boxes clips to the frame


def _to_pixels(region: NormBox, w: int, h: int) -> Box:
    x, y, rw, rh = region
    return (round(x * w), round(y * h), max(1, round(rw * w)), max(1, round(rh * h)))


# Words a camera or a slide writes in a corner that are not names (laterality, modality, field, units): any
# device's, then the specialty's own (the pack's not_people/overlay.txt).
OVERLAY_WORDS = frozenset(
    """right left colour color field wide ultra deg mm um scale bar image scan cross line raster volume
    enhanced depth avg average quality signal strength fig figure slide case normal""".split()
) | frozenset(w.lower() for w in domain_pack().lines("not_people", "overlay.txt"))


def name_shaped(text: str) -> bool:
    """A line that could be a person's name in a label: one to four capitalised words, no digits, not all
    of them overlay vocabulary ("DOE, JANE", "Chidi Okafor"; not "OCT B-scan, right eye", not "OD")."""
    words = HYPHENATED_WORD.findall(text)
    if not 1 <= len(words) <= 4 or any(c.isdigit() for c in text):
        return False
    if not all(w[0].isupper() for w in words):
        return False
    return not all(w.lower() in OVERLAY_WORDS for w in words)


def _unread_labels(
    original: np.ndarray,
    current: np.ndarray,
    seen: list[OcrWord],
    redacted: list[Box],
    ocr: Ocr | None,
    params: DeidParams,
) -> tuple[list[Box], list[str], list[OcrWord]]:
    """Label lines in the border bands that are still there and could not be read as harmless; and the
    words re-read on the lines that were (kept for a later pass over a crop of this image)."""
    from ophin.imaging.labels import label_lines

    found = [b for b in label_lines(current, params.labels) if not any(_overlaps(b, r) for r in redacted)]
    found = _rows(found)
    boxes: list[Box] = []
    kinds: list[str] = []
    harmless: list[OcrWord] = []
    for n, box in enumerate(found):
        words = [w for w in seen if _overlaps(w.box, box)]
        if not _read_as_harmless(words, params) and ocr is not None and n < params.label_max_reads:
            words = _reread(original, box, ocr, params)
        if _read_as_harmless(words, params):
            harmless += words
            continue
        boxes.append(box)
        kinds.append("name-shaped label" if words and _named(words) else "unreadable label text")
    return boxes, kinds, harmless


def _rows(boxes: list[Box]) -> list[Box]:
    """Label lines on one row, at most three heights apart, as one box: a word read alone loses the
    context tesseract reads it in ("B-scan," alone re-read as "1" at conf 31, in its caption at 90+)."""
    rows: list[Box] = []
    for b in sorted(boxes):
        x, y, w, h = b
        for k, r in enumerate(rows):
            rx, ry, rw, rh = r
            v = min(y + h, ry + rh) - max(y, ry)
            if v >= 0.5 * min(h, rh) and x - (rx + rw) <= 3 * max(h, rh):
                rows[k] = union_box([r, b])
                break
        else:
            rows.append(b)
    return rows


def _named(words: list[OcrWord]) -> bool:
    return any(name_shaped(line.text) for line in lines(words))


def _read_as_harmless(words: list[OcrWord], params: DeidParams) -> bool:
    from ophin.domain.phi import find_phi

    if not words or any(w.conf < _conf_needed(w.text, params) for w in words):
        return False
    return not any(find_phi(line.text) or name_shaped(line.text) for line in lines(words))


def _conf_needed(text: str, params: DeidParams) -> float:
    """A word read as overlay vocabulary needs less confidence: a misread name does not land on one of a
    few dozen words ("B-scan," in a caption reads at conf 65 however it is scaled)."""
    core = text.strip(".,:;()[]").lower()
    return params.label_vocab_conf if core in OVERLAY_WORDS else params.label_read_conf


def _reread(image: np.ndarray, box: Box, ocr: Ocr, params: DeidParams) -> list[OcrWord]:
    """OCR of one label line at a legible scale: cropped with a margin, scaled to label_read_height,
    inverted when light on dark (tesseract reads dark text on light best); boxes back in frame pixels."""
    import cv2

    x, y, w, h = box
    m = max(3, h // 2)
    x0, y0 = max(0, x - m), max(0, y - m)
    crop = image[y0 : y + h + m, x0 : x + w + m]
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    scale = max(1.0, params.label_read_height / max(h, 1))
    big = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    if float(np.median(big)) < 128:
        big = 255 - big
    pad = cv2.copyMakeBorder(big, 16, 16, 16, 16, cv2.BORDER_REPLICATE)
    out = []
    for wd in ocr.words(cv2.cvtColor(pad, cv2.COLOR_GRAY2BGR)):
        bx, by, bw, bh = wd.box
        fx, fy = x0 + (bx - 16) / scale, y0 + (by - 16) / scale
        out.append(
            OcrWord(
                wd.text, wd.conf, (round(fx), round(fy), max(1, round(bw / scale)), max(1, round(bh / scale)))
            )
        )
    return out or []
