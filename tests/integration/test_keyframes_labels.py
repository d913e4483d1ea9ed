"""A lecture showing a fundus photograph with a camera label in its corner, through the keyframes stage on
real ffmpeg, Postgres and tesseract: the stored frame has the name unreadable."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from eval.redaction.frames import background, burn_label
from eval.redaction.report import name_readable
from ophin.adapters.ocr import TesseractOcr
from ophin.db.models import Frame
from ophin.db.session import session_scope
from ophin.pipeline import acquire_urls, params_for
from ophin.stages.keyframes import extract_keyframes
from tests.conftest import make_services
from tests.support.media import ffmpeg

NAME = "MARTINEZ, LUCIA"

pytestmark = pytest.mark.skipif(
    not TesseractOcr.available(), reason="tesseract with English is not installed"
)


def test_extract_keyframes_stores_the_fundus_without_its_camera_label_name(
    tmp_path: Path,
    make_database,  # noqa: ANN001
    transcriber,  # noqa: ANN001
) -> None:
    frame, _, _, anchor = background("fundus", 1280, 720)
    image, _, _ = burn_label(
        frame, [NAME, "DOB 12/03/1961", "ID 448812"], place="tl", anchor=anchor, height=12,
        ink=(200, 200, 200), family="dev", font=0,
    )  # fmt: skip
    reader = TesseractOcr(min_conf=50)
    assert name_readable(image, NAME, reader)  # legible before: the check below means something
    png = tmp_path / "label.png"
    cv2.imwrite(str(png), image)
    video = tmp_path / "fundus.mp4"
    ffmpeg(
        "-loop", "1", "-framerate", "5", "-t", "4", "-i", str(png), "-vf", "format=yuv420p",
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", str(video),
    )  # fmt: skip
    svc = make_services(tmp_path, make_database(), transcriber)
    vid = acquire_urls([video.resolve().as_uri()], svc).videos[0]
    assert extract_keyframes(vid, params_for(svc).keyframes, svc=svc).status == "succeeded"
    with session_scope(svc.sessions) as session:
        rows = session.execute(
            select(Frame.object_key, Frame.redaction_reasons).where(Frame.video_id == vid)
        ).all()
    assert rows
    for key, reasons in rows:
        stored = cv2.imdecode(np.frombuffer(svc.store.get_bytes(key), np.uint8), cv2.IMREAD_COLOR)
        assert not name_readable(stored, NAME, reader)
        assert reasons  # the row says why pixels were filled
