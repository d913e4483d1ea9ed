"""ffmpeg (through ffmpeg-python): probe, 16 kHz mono audio, scene-change times, single frames."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import ffmpeg
import numpy as np


class MediaError(RuntimeError):
    """ffmpeg could not read or convert the media (corrupt file, missing stream)."""


@dataclass(frozen=True)
class MediaInfo:
    duration_s: float
    width: int
    height: int
    has_audio: bool
    fps: float
    tags: dict[str, str] = field(default_factory=dict)


def _stderr(exc: ffmpeg.Error) -> str:
    text = (exc.stderr or b"").decode(errors="replace").strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "ffmpeg failed"


def _rate(value: str) -> float:
    num, _, den = value.partition("/")
    try:
        return float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return 0.0


class FfmpegMedia:
    """Every call shells out to ffmpeg/ffprobe; nothing is decoded in Python except single frames."""

    def probe(self, path: Path) -> MediaInfo:
        try:
            data: dict[str, Any] = ffmpeg.probe(str(path))
        except ffmpeg.Error as exc:
            raise MediaError(f"not a readable media file: {_stderr(exc)}") from exc
        streams = data.get("streams", [])
        video = next((s for s in streams if s.get("codec_type") == "video"), None)
        if video is None:
            raise MediaError("no video stream")
        fmt = data.get("format", {})
        duration = float(fmt.get("duration") or video.get("duration") or 0.0)
        if duration <= 0:
            raise MediaError("media has no duration")
        tags = {k.lower(): str(v) for k, v in (fmt.get("tags") or {}).items()}
        return MediaInfo(
            duration_s=duration,
            width=int(video.get("width") or 0),
            height=int(video.get("height") or 0),
            has_audio=any(s.get("codec_type") == "audio" for s in streams),
            fps=_rate(video.get("avg_frame_rate") or video.get("r_frame_rate") or "0/1"),
            tags=tags,
        )

    def extract_audio(self, path: Path, out: Path, sample_rate: int = 16000) -> Path:
        try:
            (
                ffmpeg.input(str(path))
                .output(str(out), vn=None, ac=1, ar=sample_rate, acodec="pcm_s16le", map="0:a:0")
                .overwrite_output()
                .run(capture_stdout=True, capture_stderr=True)
            )
        except ffmpeg.Error as exc:
            raise MediaError(f"audio extraction failed: {_stderr(exc)}") from exc
        return out

    def scene_changes(self, path: Path, threshold: float) -> list[float]:
        """Times (s) where ffmpeg's scene score exceeds threshold. Frame 0 is never among them."""
        try:
            _, err = (
                ffmpeg.input(str(path))
                .video.filter("select", f"gt(scene,{threshold})")
                .filter("showinfo")
                .output("-", format="null")
                .run(capture_stdout=True, capture_stderr=True)
            )
        except ffmpeg.Error as exc:
            raise MediaError(f"scene detection failed: {_stderr(exc)}") from exc
        times = re.findall(r"pts_time:\s*([0-9.]+)", err.decode(errors="replace"))
        return sorted({round(float(t), 3) for t in times})

    def frame_at(self, path: Path, t_s: float) -> np.ndarray:
        """One decoded BGR frame at t_s (accurate seek)."""
        try:
            out, _ = (
                ffmpeg.input(str(path), ss=max(t_s, 0.0))
                .output("pipe:", vframes=1, format="image2", vcodec="png")
                .run(capture_stdout=True, capture_stderr=True)
            )
        except ffmpeg.Error as exc:
            raise MediaError(f"frame grab at {t_s:.2f}s failed: {_stderr(exc)}") from exc
        image = cv2.imdecode(np.frombuffer(out, np.uint8), cv2.IMREAD_COLOR) if out else None
        if image is None:
            raise MediaError(f"no frame at {t_s:.2f}s")
        return image
