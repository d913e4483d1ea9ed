"""Small, redistributable sample corpus of narrated ophthalmology lecture videos.

Two sets live next to this file, each with a ``ground_truth.json`` describing
scene cuts, sentence timings and which sentences describe the visible image:

* ``demo/``    -- ``lecture_glaucoma.mp4``, ``lecture_macula.mp4``, ``lecture_cases.mp4``
* ``heldout/`` -- ``heldout_retina.mp4``, ``heldout_oct.mp4``, ``heldout_cases.mp4``
  (independently worded; use these as "never seen" lectures in tests)
* ``heldout2/`` -- a second held-out set made differently (drawn images of several modalities, other
  voices, room noise; ``make_heldout2.py``), whose ground truth states each clinical scene's ``modality``,
  ``findings`` and ``diagnoses``; present in ``SETS`` once generated
* ``dev/``     -- thirty-five short lectures (``dev_*.mp4``, ``dev_lectures.py``) to run the engine on and
  label by hand; development data like ``demo/`` (never in ``HELDOUT_SETS``), present in ``SETS`` once
  generated

Each set also holds two "footage" videos, listed under ``footage`` in its ground truth and kept out of
``videos()`` (tests iterate over the lectures and their expected figures must not shift):

* a continuous fundus examination (one shot, no cut: a slow pan and zoom with blur while moving and a slow
  illumination change) whose narration describes each finding while it is in view -- ``demo/``
  ``footage_fundus_exam.mp4``, ``heldout/`` ``heldout_footage_diabetic.mp4``;
* a long slide (one static photograph with four findings circled) narrated finding by finding --
  ``demo/`` ``slide_fundus_findings.mp4``, ``heldout/`` ``heldout_slide_diabetic.mp4``.

Their ground truth has ``spans`` (one per finding: ``start_s``/``end_s``, ``finding``, the ``region`` in
view or the ``finding_box`` on the slide, and sentences tagged with ``finding`` and ``span``),
``finding_order`` and ``boundaries_s`` (where the view passes from one finding to the next).

The ``*_cases.mp4`` lectures add hard cases (burned-in and spoken patient identifiers,
a visual-sounding text slide, normal vs abnormal images, a webcam inset) with extra
per-scene fields: ``findings``, ``normal``, ``phi_text``/``phi_box``,
``webcam_inset``/``face_box``, and per-sentence ``phi_spoken``/``phi``.

Regenerate with ``python -m eval.corpus.generate``; see ``README.md``.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

__all__ = [
    "CORPUS_DIR",
    "HELDOUT_SETS",
    "SETS",
    "demo_videos",
    "footage_truth",
    "footage_videos",
    "ground_truth",
    "heldout_videos",
    "file_of",
    "released_urls",
    "stored_urls",
    "set_dir",
    "videos",
]

CORPUS_DIR = Path(__file__).parent
# heldout2 (a second held-out corpus made differently: drawn images, other voices, room noise) once generated.
_HELDOUT2 = (CORPUS_DIR / "heldout2" / "ground_truth.json").exists()
# dev (short lectures to develop on and label by hand) once generated; it may be tuned on, so never held out.
_DEV = (CORPUS_DIR / "dev" / "ground_truth.json").exists()
SETS = ("demo", "heldout", *(("heldout2",) if _HELDOUT2 else ()), *(("dev",) if _DEV else ()))
HELDOUT_SETS = tuple(s for s in SETS if s.startswith("heldout"))


def set_dir(set_name: str) -> Path:
    """Directory of one corpus set (``"demo"``, ``"heldout"``, ``"heldout2"`` or ``"dev"``)."""
    if set_name not in SETS:
        raise ValueError(f"unknown sample corpus set {set_name!r}; expected one of {SETS}")
    return CORPUS_DIR / set_name


def ground_truth(set_name: str) -> dict[str, Any]:
    """Parsed ``ground_truth.json`` of a set: ``{"videos": [{"file", "title", "scenes", ...}]}``."""
    path = set_dir(set_name) / "ground_truth.json"
    return json.loads(path.read_text(encoding="utf-8"))


def videos(set_name: str) -> list[Path]:
    """Video paths of a set, in ground-truth order."""
    base = set_dir(set_name)
    return [base / video["file"] for video in ground_truth(set_name)["videos"]]


def demo_videos() -> list[Path]:
    """Paths of the demo lecture videos."""
    return videos("demo")


def heldout_videos() -> list[Path]:
    """Paths of the held-out lecture videos (never used while writing the cue scorer)."""
    return videos("heldout")


def footage_truth(set_name: str, kind: str | None = None) -> list[dict[str, Any]]:
    """Ground truth of a set's footage videos (``kind`` ``"continuous"`` or ``"long_slide"`` to pick one)."""
    entries = ground_truth(set_name).get("footage", [])
    return [entry for entry in entries if kind is None or entry["kind"] == kind]


def footage_videos(set_name: str, kind: str | None = None) -> list[Path]:
    """Paths of a set's continuous-footage and long-slide videos (not part of :func:`videos`)."""
    base = set_dir(set_name)
    return [base / entry["file"] for entry in footage_truth(set_name, kind)]


def released_urls(set_name: str) -> list[str]:
    """The URLs the engine stores and releases for this set's videos (a local file by its name)."""
    return [f"local-file:{path.name}" for path in [*videos(set_name), *footage_videos(set_name)]]


def stored_urls(set_name: str) -> list[str]:
    """Every URL a set's videos may be stored under: as released now (``local-file:<name>``), or by an engine
    from before the evaluation left it (``sample-corpus:<set>/<name>``), so older runs measure the same."""
    urls = released_urls(set_name)
    return urls + [f"sample-corpus:{set_name}/{url.split(':', 1)[1]}" for url in urls]


def file_of(url: str) -> str:
    """The video file name a stored URL names (``local-file:x.mp4``, ``sample-corpus:heldout/x.mp4``)."""
    return PurePosixPath(url.split(":", 1)[-1]).name
