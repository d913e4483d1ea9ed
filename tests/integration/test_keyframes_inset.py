"""The demo lecture whose fundus slide carries a webcam inset, through the keyframes stage on real ffmpeg,
Postgres and tesseract: no stored frame of that scene holds the inset (its box in the ground truth)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from ophin.adapters.ocr import TesseractOcr
from ophin.db.models import Frame
from ophin.db.session import session_scope
from ophin.pipeline import acquire_urls, params_for
from ophin.stages.keyframes import extract_keyframes
from tests.conftest import make_services

DEMO = Path(__file__).resolve().parents[2] / "eval" / "corpus" / "demo"

pytestmark = pytest.mark.skipif(
    not TesseractOcr.available(), reason="tesseract with English is not installed"
)


def test_extract_keyframes_leaves_the_webcam_inset_out_of_the_stored_frame(
    tmp_path: Path,
    make_database,  # noqa: ANN001
    transcriber,  # noqa: ANN001
) -> None:
    truth = json.loads((DEMO / "ground_truth.json").read_text())
    video_truth = next(v for v in truth["videos"] if v["file"] == "lecture_cases.mp4")
    scene = next(s for s in video_truth["scenes"] if s.get("webcam_inset"))
    ix0, iy0, _, _ = scene["inset_box"]  # fractions of the frame
    svc = make_services(tmp_path, make_database(), transcriber)
    vid = acquire_urls([(DEMO / "lecture_cases.mp4").resolve().as_uri()], svc).videos[0]
    assert extract_keyframes(vid, params_for(svc).keyframes, svc=svc).status == "succeeded"
    with session_scope(svc.sessions) as session:
        rows = session.execute(
            select(Frame.t_s, Frame.crop_box, Frame.source_width, Frame.source_height, Frame.kept).where(
                Frame.video_id == vid
            )
        ).all()
    inside = [r for r in rows if scene["start_s"] <= r.t_s < scene["end_s"]]
    assert inside, rows
    for t, crop, sw, sh, _kept in inside:
        x, y, w, h = crop["box"]
        # The crop ends left of the inset or above it: none of the inset's pixels are stored.
        assert x + w <= ix0 * sw + 2 or y + h <= iy0 * sh + 2, (t, crop)
        assert "inset" in crop["removed"]
