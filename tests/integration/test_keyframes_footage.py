"""Keyframes of continuous footage and of long narrated slides, end to end on real ffmpeg, Whisper and
Postgres: drift boundaries inside scene cuts, a stable frame per clip, and narration split per finding."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage.data import retina
from sqlalchemy import select, update

from ophin.adapters.media import FfmpegMedia, MediaError
from ophin.db.models import Clip, Frame, Pair, Video
from ophin.db.session import session_scope
from ophin.pipeline import acquire_urls, params_for
from ophin.stages.keyframes import extract_keyframes
from ophin.stages.pair import pair_frames
from ophin.stages.transcribe import transcribe_video
from tests.conftest import make_services
from tests.support.media import concat_videos, footage_video, still_image_video


def _lerp(a: float, b: float, t: float, t0: float, t1: float) -> float:
    return a + (b - a) * min(max((t - t0) / (t1 - t0), 0.0), 1.0)


def _slide() -> np.ndarray:
    """A white lecture slide: a title and a fundus photograph (RGB)."""
    slide = np.full((720, 1280, 3), 255, np.uint8)
    slide[160:660, 390:890] = cv2.resize(retina(), (500, 500), interpolation=cv2.INTER_AREA)
    cv2.putText(slide, "Diabetic retinopathy", (330, 110), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (20, 20, 20), 4)
    return slide


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 s of camera footage over a fundus (a pan across 15-18 s), then a hard cut to a slide for 20 s."""
    root = tmp_path_factory.mktemp("footage")

    def exam(t: float) -> tuple[float, float, float]:
        return _lerp(0.35, 0.65, t, 15, 18), 0.5, _lerp(3.0, 3.3, t, 0, 15)

    camera = footage_video(root / "exam.mp4", retina(), exam, 40.0)
    slide = footage_video(root / "slide.mp4", _slide(), lambda t: (0.5, 0.5, 1.0), 20.0)
    return concat_videos(root / "footage.mp4", camera, slide)


def test_stream_frames_samples_the_video_small_and_refuses_non_media(footage: Path, tmp_path: Path) -> None:
    media = FfmpegMedia()
    samples = list(media.stream_frames(footage, fps=2.0, width=96))
    assert 118 <= len(samples) <= 121 and samples[1][0] == 0.5
    assert samples[0][1].shape == (54, 96) and samples[0][1].dtype == np.uint8
    assert len(list(media.stream_frames(footage, fps=4.0, width=160))) >= 2 * len(samples) - 2
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("not a video\n" * 100)
    with pytest.raises(MediaError):
        next(media.stream_frames(bogus))


def _clips(svc, vid) -> list[tuple[str, float, float, str | None]]:  # noqa: ANN001
    with session_scope(svc.sessions) as session:
        rows = session.execute(
            select(Clip.boundary, Clip.start_s, Clip.end_s, Frame.selection, Frame.t_s)
            .join(Frame, Frame.clip_id == Clip.id)
            .where(Clip.video_id == vid)
            .order_by(Clip.start_s)
        ).all()
    return [tuple(r) for r in rows]


def test_extract_keyframes_splits_footage_at_drift_and_cuts(footage, tmp_path, make_database, transcriber):  # noqa: ANN001
    svc = make_services(tmp_path, make_database(), transcriber)
    vid = acquire_urls([footage.resolve().as_uri()], svc).videos[0]
    params = params_for(svc).keyframes
    assert params.decode == "keyframes"
    # Every frame decoded (decode=full): the drift boundary falls inside the pan, frames where it holds.
    full = extract_keyframes(vid, replace(params, decode="full"), svc=svc)
    assert full.status == "succeeded"
    clips = _clips(svc, vid)
    assert [c[0] for c in clips] == ["start", "change", "cut"], clips
    assert 15.0 <= clips[1][1] <= 18.0 and abs(clips[2][1] - 40.0) < 0.2
    assert all(c[3] == "settle" for c in clips) and clips[1][4] >= 17.0  # after the pan, in its clip
    # Keyframes only (the default; this file has one every 10 s and a still GOP before the cut): the
    # same clips, the drift boundary at the first keyframe after the pan, the cut exact.
    result = extract_keyframes(vid, params, svc=svc)
    assert result.status == "succeeded"
    clips = _clips(svc, vid)
    assert [c[0] for c in clips] == ["start", "change", "cut"], clips
    assert 15.0 <= clips[1][1] <= 20.0 and abs(clips[2][1] - 40.0) < 0.05
    assert clips[1][4] >= 18.0 and clips[0][4] < 15.0  # each clip's frame shows its own view
    # Scene cuts only (version 3's behaviour): the pan goes unnoticed.
    cuts_only = extract_keyframes(vid, replace(params, drift=False), svc=svc)
    assert cuts_only.status == "succeeded"
    assert [c[0] for c in _clips(svc, vid)] == ["start", "cut"]


FINDINGS = [
    ("The optic disc is pale and swollen.", "Its margins are blurred.", {"disc", "swollen", "margins"}),
    ("The macula shows hard exudates.", "They ring the fovea.", {"macula", "exudates", "fovea"}),
    ("The blood vessels are narrow.", "The arteries look like copper.", {"vessels", "arteries", "copper"}),
    ("The periphery has laser scars.", "They are old and pigmented.", {"periphery", "pigmented", "scars"}),
]


@pytest.fixture(scope="module")
def narrated_slide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One slide narrated finding after finding, a long pause (1.5 s) between findings, for about 40 s."""
    root = tmp_path_factory.mktemp("narrated")
    text = '<break time="1500ms"/>'.join(f"{a} {b}" for a, b, _ in FINDINGS)
    wav = root / "narration.wav"
    subprocess.run(["espeak-ng", "-m", "-s", "140", "-w", str(wav), f"<speak>{text}</speak>"], check=True)
    duration = _wav_seconds(wav)
    png = root / "slide.png"
    cv2.imwrite(str(png), cv2.cvtColor(_slide(), cv2.COLOR_RGB2BGR))
    return still_image_video(root / "narrated.mp4", png, duration + 1.0, audio=wav)


def _wav_seconds(path: Path) -> float:
    import wave

    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def test_a_long_narrated_slide_pairs_each_finding_on_its_own(
    narrated_slide: Path,
    tmp_path: Path,
    make_database,
    transcriber,  # noqa: ANN001
) -> None:
    svc = make_services(
        tmp_path, make_database(), transcriber, pair={"max_window_s": 9.0, "min_window_s": 4.0}
    )
    vid = acquire_urls([narrated_slide.resolve().as_uri()], svc).videos[0]
    params = params_for(svc)
    assert transcribe_video(vid, params.transcribe, svc=svc).status == "succeeded"
    assert extract_keyframes(vid, params.keyframes, svc=svc).status == "succeeded"
    assert pair_frames(vid, params.pair, svc=svc).status == "succeeded"
    with session_scope(svc.sessions) as session:
        pairs = session.scalars(select(Pair).where(Pair.video_id == vid).order_by(Pair.start_s)).all()
        frames = {p.frame_id for p in pairs}
        texts = [p.text.lower() for p in pairs]
    assert len(frames) == 1 and len(pairs) == len(FINDINGS), texts
    for text, (_, _, words) in zip(texts, FINDINGS, strict=True):
        others = set().union(*(w for *_, w in FINDINGS)) - words
        assert any(w in text for w in words), text  # its own finding (Whisper base mishears some words)
        assert not any(w in text for w in others), text  # and no other finding's

    # A wider max window makes fewer, longer pairs; the default (30 s) splits this ~28 s slide only at a
    # topic pause (1.5 s), where the sentence-by-sentence recognition may leave one.
    for max_window_s, count in ((20.0, range(2, len(FINDINGS))), (30.0, range(1, 3))):
        wide = replace(params.pair, max_window_s=max_window_s)
        assert pair_frames(vid, wide, svc=svc).status == "succeeded"
        with session_scope(svc.sessions) as session:
            assert len(session.scalars(select(Pair).where(Pair.video_id == vid)).all()) in count

    # A video spoken in another language: every pair dropped, saying why.
    with session_scope(svc.sessions) as session:
        session.execute(update(Video).where(Video.id == vid).values(spoken_language="de"))
    assert pair_frames(vid, params.pair, svc=svc, force=True).status == "succeeded"
    with session_scope(svc.sessions) as session:
        dropped = session.scalars(select(Pair).where(Pair.video_id == vid)).all()
    assert dropped and all(p.status == "dropped" and "'de'" in p.drop_reason for p in dropped)
    allowed = replace(params.pair, languages=("en", "de"))
    assert pair_frames(vid, allowed, svc=svc).status == "succeeded"
    with session_scope(svc.sessions) as session:
        kept = session.scalars(select(Pair).where(Pair.video_id == vid)).all()
    assert kept and all(p.status == "paired" for p in kept)
