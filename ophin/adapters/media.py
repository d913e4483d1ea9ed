"""ffmpeg (through ffmpeg-python): probe, decode check, 16 kHz mono audio, scene changes, single frames,
low-resolution grey frame streams for visual-change segmentation (every frame, a sampled grid, or the
keyframes only), and the video packets' sizes (read without decoding)."""

from __future__ import annotations

import re
import subprocess
import tempfile
import threading
from array import array
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import ffmpeg
import numpy as np

from ophin.adapters.media_safety import SAFE_INPUT, SAFE_KWARGS, MediaError, probe_container, safe_input


@dataclass(frozen=True)
class MediaInfo:
    duration_s: float  # the container's duration, as the header claims it (a truncated file keeps it)
    width: int
    height: int
    has_audio: bool
    fps: float
    tags: dict[str, str] = field(default_factory=dict)
    # The video stream's own duration when ffprobe knows it: a single picture muxed with a long narration
    # has a tiny one while duration_s follows the audio.
    video_duration_s: float | None = None


@dataclass(frozen=True)
class StreamDecode:
    """One decoded input stream's counts, as ffmpeg's final statistics give them."""

    index: int
    kind: str  # video | audio | ...
    packets: int  # read from the container
    frames: int  # decoded from them: a corrupt packet decodes to nothing

    @property
    def undecoded(self) -> float:
        """The share of the stream's packets that decoded to nothing (0-1)."""
        return max(self.packets - self.frames, 0) / self.packets if self.packets else 0.0


@dataclass(frozen=True)
class DecodeReport:
    decoded_s: float  # how far (s) the decoded streams actually reached; compare with MediaInfo.duration_s
    errors: int  # error lines ffmpeg printed while decoding ("partial file", corrupt packets, ...)
    first_error: str | None
    # Per decoded stream: the furthest-stream time above hides an audio track whose packets do not decode.
    streams: tuple[StreamDecode, ...] = ()
    stopped: str | None = None  # ffmpeg's last error when it gave up before the end (a non-zero exit)

    def stream(self, kind: str) -> StreamDecode | None:
        return next((s for s in self.streams if s.kind == kind), None)


@dataclass(frozen=True)
class Packets:
    """The video stream's packets in presentation order, as the demuxer sees them (nothing decoded): time
    (s from the file's start), size in bytes, keyframe flag. Compact arrays: an hour at 30 fps is ~1.4 MB."""

    t_s: array  # of float
    size: array  # of int
    key: array  # of 0/1

    def __len__(self) -> int:
        return len(self.t_s)


_SCENE_SCORE = re.compile(rb"lavfi\.scene_score=([0-9.]+)")
_SHOWINFO_FRAME = re.compile(rb"\sn:\s*\d+\s+pts:\s*-?\d+\s+pts_time:\s*(-?[0-9.]+)")


def require_decoded(info: MediaInfo, report: DecodeReport, max_missing_s: float) -> None:
    """Raise MediaError when less of the media decodes than its container claims, by more than max_missing_s
    or 2 % of its duration: the furthest stream (a truncated file), then the audio track on its own (its
    corrupt packets decode to nothing while the video runs to the end)."""
    allowed = max(max_missing_s, 0.02 * info.duration_s)
    if info.duration_s - report.decoded_s > allowed:
        raise MediaError(
            f"truncated or corrupt media: only {report.decoded_s:.1f} s of the container's "
            f"{info.duration_s:.1f} s decode"
        )
    audio = report.stream("audio")
    if audio is not None and audio.undecoded * info.duration_s > allowed:
        raise MediaError(
            f"corrupt audio: {audio.packets - audio.frames} of its {audio.packets} packets do not decode "
            f"(about {audio.undecoded * info.duration_s:.1f} s of {info.duration_s:.1f} s)"
            + (f"; first error: {report.first_error}" if report.first_error else "")
        )
    if report.stopped:  # e.g. a corrupt frame that changes the channel layout mid-stream aborts the decode
        raise MediaError(f"corrupt media: decoding stopped at {report.decoded_s:.1f} s: {report.stopped}")


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


def _seconds(value: object) -> float | None:
    """A duration as ffprobe prints it: "12.5", or matroska's "HH:MM:SS.nnnnnnnnn" tag; None when absent."""
    text = str(value or "").strip()
    if not text or text == "N/A":
        return None
    try:
        if ":" in text:
            hours, minutes, seconds = text.split(":")
            return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        return float(text)
    except ValueError:
        return None


def _video_duration(video: dict[str, Any]) -> float | None:
    tags = {k.lower(): v for k, v in (video.get("tags") or {}).items()}
    duration = _seconds(video.get("duration")) or _seconds(tags.get("duration"))
    return duration if duration and duration > 0 else None


def _progress_end_s(progress: str) -> float:
    """The last out_time ffmpeg's -progress reported, in seconds (0.0 when it never got one)."""
    end = 0.0
    for key, _, value in (line.partition("=") for line in progress.splitlines()):
        # out_time_us is the reliable key: out_time_ms holds microseconds too (a known misnomer), and any
        # of them reads N/A before the first packet.
        if key.strip() == "out_time_us":
            try:
                end = max(end, int(value) / 1e6)
            except ValueError:
                continue
    return end


# ffmpeg's final statistics (verbose): "Input stream #0:1 (audio): 260 packets read (52191 bytes); 9 frames
# decoded (9216 samples);". A stream that is demuxed but not decoded has no "frames decoded".
_STREAM_STATS = re.compile(
    r"Input stream #\d+:(\d+) \((\w+)\): (\d+) packets read[^;]*; (\d+) frames decoded"
)
_LEVEL = re.compile(r"\[(fatal|error|panic)\] ")


def _stream_stats(stderr: str) -> tuple[StreamDecode, ...]:
    return tuple(
        StreamDecode(int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4)))
        for m in _STREAM_STATS.finditer(stderr)
    )


def _count_errors(stderr: str) -> tuple[int, str | None]:
    """Error lines of a `-loglevel level+verbose` run (each line carries its level), without the prefix."""
    count, first, in_error = 0, None, False
    for line in (line.strip() for line in stderr.splitlines()):
        # ffmpeg folds identical consecutive messages into one unprefixed line; count them all the same.
        repeated = re.search(r"Last message repeated (\d+) times?", line)
        if repeated:
            count += int(repeated.group(1)) if in_error else 0
            continue
        in_error = bool(_LEVEL.search(line))
        if in_error:
            count += 1
            first = first or _LEVEL.sub("", line).strip()
    return count, first


class FfmpegMedia:
    """Every call shells out to ffmpeg/ffprobe; nothing is decoded in Python except single frames."""

    def probe(self, path: Path) -> MediaInfo:
        data = probe_container(path)  # refuses playlists, lists and images before anything decodes
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
            video_duration_s=_video_duration(video),
        )

    def decode_check(self, path: Path) -> DecodeReport:
        """Decode the default video and audio streams end to end into ffmpeg's null muxer.

        probe() only reads the header: a faststart mp4 cut at 30% still reports its full 63.5 s, of which
        18.1 s decode. Cost: 0.25-0.28 s wall (5 runs) for the 63.5 s, 640x360 sample lecture on a 2-core
        development machine, about 240x real time: cheap enough to run on every upload.
        decoded_s is the furthest any decoded stream reached, as ffmpeg's own progress reports it (the
        same convention as the container duration, so the two compare directly). streams counts, per
        decoded stream, the packets read and the frames they decoded to, from ffmpeg's verbose statistics:
        an audio track of garbage decodes to nothing while the video carries decoded_s to the end.
        """
        cmd = [
            "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+verbose",
            "-progress", "pipe:1", *safe_input(path), "-f", "null", "-",
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, check=False)  # noqa: S603 - an argv list (no shell); the input is our own local file under SAFE_INPUT
        stderr = proc.stderr.decode(errors="replace")
        decoded_s = _progress_end_s(proc.stdout.decode(errors="replace"))
        errors, first_error = _count_errors(stderr)
        if proc.returncode != 0 and decoded_s == 0.0:
            # ffmpeg could not even open the input: that is no decode report, it is not media.
            raise MediaError(f"not a readable media file: {first_error or 'ffmpeg failed'}")
        stopped = None
        if proc.returncode != 0:
            stopped = next((ln for ln in reversed(stderr.splitlines()) if _LEVEL.search(ln)), "ffmpeg failed")
            stopped = _LEVEL.sub("", stopped).strip()
        return DecodeReport(decoded_s, errors, first_error, _stream_stats(stderr), stopped)

    def extract_audio(self, path: Path, out: Path, sample_rate: int = 16000) -> Path:
        try:
            (
                ffmpeg.input(str(path), **SAFE_KWARGS)
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
                ffmpeg.input(str(path), **SAFE_KWARGS)
                .video.filter("select", f"gt(scene,{threshold})")
                .filter("showinfo")
                .output("-", format="null")
                .run(capture_stdout=True, capture_stderr=True)
            )
        except ffmpeg.Error as exc:
            raise MediaError(f"scene detection failed: {_stderr(exc)}") from exc
        times = re.findall(r"pts_time:\s*([0-9.]+)", err.decode(errors="replace"))
        return sorted({round(float(t), 3) for t in times})

    def stream_frames(
        self, path: Path, fps: float = 4.0, width: int = 160
    ) -> Iterator[tuple[float, np.ndarray]]:
        """(t_s, grey uint8 array (h, width)) every 1/fps seconds, decoded once through a rawvideo pipe.

        Grey, not colour: frame differences and sharpness are luminance measures, fundus and slide colour
        shifts show in luma too, and one byte a pixel keeps an hour of 4 fps samples streaming at ~14 kB
        each. Only one frame is in memory at a time (see _frames_with_times). t_s is the sample's index over
        fps, the fps filter's own grid.
        """
        info = self.probe(path)
        if info.width <= 0 or info.height <= 0:
            raise MediaError("video stream has no frame size")
        height = max(2, round(info.height * width / info.width / 2) * 2)
        cmd = [
            "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info", *safe_input(path),
            "-map", "0:v:0", "-vf", f"fps={fps},scale={width}:{height}:flags=area,showinfo",
            "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1",
        ]  # fmt: skip
        for count, (_, grey, _) in enumerate(_frames_with_times(cmd, (height, width), 0.0)):
            yield round(count / fps, 3), grey

    def packets(self, path: Path) -> Packets:
        """Every video packet's time, size and keyframe flag from a demux-only pass (no decoding: about 0.2
        CPU-s for 7,500 packets of 720p H.264), in presentation order."""
        cmd = [
            "ffprobe", "-v", "error", "-select_streams", "v:0",
            "-show_entries", "packet=pts_time,dts_time,size,flags:format=start_time",
            "-of", "compact=p=0", *SAFE_INPUT, str(path),
        ]  # fmt: skip
        times, sizes, keys = array("d"), array("q"), array("b")
        start = 0.0
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)  # noqa: S603 - an argv list, no shell
            assert proc.stdout is not None  # noqa: S101 - for the type checker: PIPE always sets it
            for raw in proc.stdout:
                fields = dict(
                    f.split("=", 1) for f in raw.decode(errors="replace").strip().split("|") if "=" in f
                )
                if "start_time" in fields:
                    start = _seconds(fields["start_time"]) or 0.0
                    continue
                t = _seconds(fields.get("pts_time")) or _seconds(fields.get("dts_time"))
                if t is None:
                    continue
                times.append(t)
                sizes.append(int(fields.get("size") or 0))
                keys.append(1 if "K" in fields.get("flags", "") else 0)
            if proc.wait() != 0 and not times:
                err.seek(0)
                lines = [ln for ln in err.read().decode(errors="replace").splitlines() if ln.strip()]
                raise MediaError(f"packet scan failed: {lines[-1] if lines else 'ffprobe failed'}")
        order = sorted(range(len(times)), key=times.__getitem__)
        return Packets(
            array("d", (times[i] - start for i in order)),
            array("q", (sizes[i] for i in order)),
            array("b", (keys[i] for i in order)),
        )

    def small_frames(
        self,
        path: Path,
        width: int = 160,
        *,
        keyframes_only: bool = False,
        start_s: float | None = None,
        duration_s: float | None = None,
        info: MediaInfo | None = None,
    ) -> Iterator[tuple[float, np.ndarray]]:
        """(t_s, picture) of the decoded frames, scaled to width: every frame, or the keyframes only (the
        decoder skips the rest: -skip_frame nokey); from start_s (a seek) for duration_s.

        The picture is planar YUV 4:2:0 as one uint8 array of 1.5 x height rows (gops.luma is its grey
        top), so a scene score can count colour the way ffmpeg's does. Times are the frames' own presentation
        times (showinfo, read from stderr as the frames come), in seconds from the file's start, floored to
        the millisecond so a seek to one lands on the frame itself. One frame is in memory at a time.
        """
        frames = self._small(path, width, keyframes_only, start_s, duration_s, info, scored=False)
        for t, picture, _ in frames:
            yield t, picture

    def scored_frames(
        self, path: Path, width: int, start_s: float, duration_s: float, info: MediaInfo | None = None
    ) -> Iterator[tuple[float, np.ndarray, float]]:
        """small_frames of every frame from start_s for duration_s, each with ffmpeg's scene score against
        the frame before it, computed at full resolution (the select filter's, as scene_changes uses; the
        first frame after the seek has none to compare with: 0)."""
        for t, picture, score in self._small(path, width, False, start_s, duration_s, info, scored=True):
            yield t, picture, score or 0.0

    def _small(
        self,
        path: Path,
        width: int,
        keyframes_only: bool,
        start_s: float | None,
        duration_s: float | None,
        info: MediaInfo | None,
        *,
        scored: bool,
    ) -> Iterator[tuple[float, np.ndarray, float | None]]:
        info = info or self.probe(path)
        if info.width <= 0 or info.height <= 0:
            raise MediaError("video stream has no frame size")
        height = max(2, round(info.height * width / info.width / 2) * 2)
        offset = max(start_s or 0.0, 0.0)
        score = "select=gte(scene\\,0),metadata=print:key=lavfi.scene_score," if scored else ""
        cmd = [
            "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info",
            *(["-skip_frame", "nokey"] if keyframes_only else []),
            *(["-ss", f"{offset:.3f}"] if start_s is not None else []), *safe_input(path),
            *(["-t", f"{duration_s:.3f}"] if duration_s is not None else []),
            "-map", "0:v:0", "-vf", f"{score}scale={width}:{height}:flags=area,showinfo",
            "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1",
        ]  # fmt: skip
        yield from _frames_with_times(cmd, (height * 3 // 2, width), offset)

    def keyframes_at(
        self, path: Path, times: list[float], batch: int = 1000, info: MediaInfo | None = None
    ) -> dict[float, np.ndarray]:
        """Full-resolution BGR pictures of the keyframes presented at `times` (within 1.5 ms), decoding the
        keyframes only, in one ffmpeg run per `batch` times that reads only the stretch those times span;
        times that are no keyframe are left out (ask frame_at for those)."""
        info = info or self.probe(path)
        found: dict[float, np.ndarray] = {}
        wanted = sorted(set(times))
        for i in range(0, len(wanted), batch):
            chunk = wanted[i : i + batch]
            pick = _balanced_sum([f"lt(abs(t-{t:.3f})\\,0.0015)" for t in chunk])
            start = max(chunk[0] - 1.0, 0.0)
            cmd = [
                "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info", "-skip_frame", "nokey",
                "-ss", f"{start:.3f}", "-t", f"{chunk[-1] + 1.0 - start:.3f}", "-copyts",  # times as given
                *safe_input(path), "-map", "0:v:0", "-vf", f"select={pick},showinfo",
                "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "bgr24", "pipe:1",
            ]  # fmt: skip
            for t, image, _ in _frames_with_times(cmd, (info.height, info.width, 3), 0.0):
                near = min(chunk, key=lambda w: abs(w - t))
                if abs(near - t) <= 2e-3:
                    found[near] = image
        return found

    def frames_at(self, path: Path, times: list[float], batch: int = 8) -> dict[float, np.ndarray]:
        """frame_at for many times, `batch` seeks per ffmpeg run (one input per time, each decoding from
        its keyframe): a third of the CPU of one run each, whose start-up dominates a single grab."""
        found: dict[float, np.ndarray] = {}
        wanted = sorted({max(t, 0.0) for t in times})
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(0, len(wanted), batch):
                chunk = wanted[i : i + batch]
                inputs = [a for t in chunk for a in ("-ss", f"{t:.3f}", *safe_input(path))]
                outputs = [
                    a
                    for n in range(len(chunk))
                    for a in (
                        "-map",
                        f"{n}:v:0",
                        "-frames:v",
                        "1",
                        "-f",
                        "image2",
                        "-c:v",
                        "bmp",
                        f"{tmp}/{n}.bmp",
                    )
                ]
                cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, *outputs]
                # An argv list (no shell); ffmpeg from PATH like every call here, inputs under SAFE_INPUT.
                subprocess.run(cmd, capture_output=True)  # noqa: S603, S607
                for n, t in enumerate(chunk):
                    image = cv2.imread(f"{tmp}/{n}.bmp", cv2.IMREAD_COLOR)
                    Path(f"{tmp}/{n}.bmp").unlink(missing_ok=True)
                    # Nothing at or after t (a still picture's single frame lies before it): frame_at's way.
                    found[t] = image if image is not None else self.frame_at(path, t)
        return found

    def frame_at(self, path: Path, t_s: float) -> np.ndarray:
        """One decoded BGR frame: the first at or after t_s (accurate seek), else the last one before it.

        An accurate seek drops every frame whose pts is below t_s, so nothing decodes when t_s lies past the
        last video frame: a still picture muxed with a long narration, a clip shorter than a frame period
        away from its end, a video stream that stops before the audio. Then the last frame at or before
        t_s is what a viewer sees at t_s.
        """
        t_s = max(t_s, 0.0)
        image = self._grab(path, t_s)
        if image is None:
            last = self._last_video_pts(path, t_s)
            # A millisecond below the packet's pts, so float rounding in -ss cannot drop the frame itself.
            image = self._grab(path, max(last - 1e-3, 0.0)) if last is not None else None
        if image is None:
            raise MediaError(f"no frame at or before {t_s:.2f}s")
        return image

    def _grab(self, path: Path, t_s: float) -> np.ndarray | None:
        try:
            out, _ = (  # BMP: no compression to pay for on a frame decoded only to be read back
                ffmpeg.input(str(path), ss=t_s, **SAFE_KWARGS)
                .output("pipe:", vframes=1, format="image2", vcodec="bmp")
                .run(capture_stdout=True, capture_stderr=True)
            )
        except ffmpeg.Error as exc:
            raise MediaError(f"frame grab at {t_s:.2f}s failed: {_stderr(exc)}") from exc
        return cv2.imdecode(np.frombuffer(out, np.uint8), cv2.IMREAD_COLOR) if out else None

    def _last_video_pts(self, path: Path, t_s: float) -> float | None:
        """Seconds from the file's start of the last video packet presented at or before t_s.

        Reads packets only (demuxing, no decoding), so a still-image lecture costs one packet and even an
        hour-long file is read in about a second; decoding from 0 and keeping the last frame would instead
        cost a full decode of the video up to t_s.
        """
        try:
            data: dict[str, Any] = ffmpeg.probe(
                str(path),
                select_streams="v:0",
                show_entries="packet=pts_time,dts_time:format=start_time",
                **SAFE_KWARGS,
            )
        except ffmpeg.Error as exc:
            raise MediaError(f"packet scan failed: {_stderr(exc)}") from exc
        # ffmpeg's -ss counts from the container's start_time; ffprobe prints absolute packet times.
        start = _seconds(data.get("format", {}).get("start_time")) or 0.0
        # Packets without a pts (raw streams) fall back to the dts, equal to it when there are no B-frames.
        times = (_seconds(p.get("pts_time")) or _seconds(p.get("dts_time")) for p in data.get("packets", []))
        before = [t - start for t in times if t is not None and t - start <= t_s + 1e-6]
        return max(before) if before else None


def _balanced_sum(terms: list[str]) -> str:
    """`a+b+...` as a balanced tree of parenthesised sums: ffmpeg's expression evaluator nests a flat chain
    one level per term and refuses one of 100 terms ("Cannot allocate memory"); the tree nests log2(n)."""
    if len(terms) == 1:
        return terms[0]
    half = len(terms) // 2
    return f"({_balanced_sum(terms[:half])}+{_balanced_sum(terms[half:])})"


def _frames_with_times(
    cmd: list[str], shape: tuple[int, ...], offset: float
) -> Iterator[tuple[float, np.ndarray, float | None]]:
    """Run an ffmpeg rawvideo command whose filters end in showinfo; pair each frame with its pts_time
    and, when a metadata filter prints it, its lavfi.scene_score.

    A thread drains stderr (showinfo writes a line per frame before the frame reaches the pipe), so neither
    pipe can fill and stall ffmpeg; the last lines are kept for the error message.
    """
    size = int(np.prod(shape))
    times: deque[tuple[float, float | None]] = deque()
    score: float | None = None
    tail: deque[str] = deque(maxlen=5)
    ready = threading.Condition()
    done = False
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603 - argv list, no shell
    assert proc.stdout is not None and proc.stderr is not None  # noqa: S101 - for the type checker: PIPE sets them

    def drain(stream: Any) -> None:
        nonlocal done, score
        for line in stream:
            found = _SHOWINFO_FRAME.search(line)
            scored = _SCENE_SCORE.search(line)
            with ready:
                if found:
                    times.append((float(found.group(1)), score))
                    score = None
                    ready.notify()
                elif scored:
                    score = float(scored.group(1))
                elif b"Parsed_" not in line and line.strip():
                    tail.append(line.decode(errors="replace").strip())
        with ready:
            done = True
            ready.notify()

    reader = threading.Thread(target=drain, args=(proc.stderr,), daemon=True)
    reader.start()
    count = 0
    try:
        while True:
            buf = proc.stdout.read(size)
            if len(buf) < size:
                break
            with ready:
                ready.wait_for(lambda: times or done)
                stamp = times.popleft() if times else None
            if stamp is None:
                raise MediaError("frame stream lost its timestamps")
            t = int((offset + stamp[0]) * 1000) / 1000  # floored: a seek to t lands on this frame, not after
            yield t, np.frombuffer(buf, np.uint8).reshape(shape), stamp[1]
            count += 1
    finally:
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()  # the consumer stopped early (or raised): no orphan decoder
        proc.wait()
        reader.join(timeout=5)
    if proc.returncode != 0 and count == 0:
        raise MediaError(f"frame stream failed: {tail[-1] if tail else 'ffmpeg failed'}")
