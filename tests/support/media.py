"""Small local stand-ins for the web: a static HTTP server on 127.0.0.1 and ffmpeg-made test media."""

from __future__ import annotations

import functools
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve root on 127.0.0.1:<free port>; yields the base URL (no trailing slash)."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


def cut(src: Path, out: Path, start_s: float, duration_s: float, *, audio: bool = True) -> Path:
    ffmpeg(
        "-ss",
        str(start_s),
        "-t",
        str(duration_s),
        "-i",
        str(src),
        *([] if audio else ["-an"]),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        *(["-c:a", "aac"] if audio else []),
        str(out),
    )
    return out


def silent_video(src: Path, out: Path, duration_s: float) -> Path:
    """Video with an audio track that holds only silence."""
    ffmpeg(
        "-t",
        str(duration_s),
        "-i",
        str(src),
        "-f",
        "lavfi",
        "-t",
        str(duration_s),
        "-i",
        "anullsrc=r=16000:cl=mono",
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        "-shortest",
        str(out),
    )
    return out


def still_picture_video(out: Path, audio_s: float) -> Path:
    """One video frame (a slide) muxed with audio_s seconds of tone: the container lasts audio_s."""
    ffmpeg(
        # -t on the input, not -frames:v on the output: the latter ends the whole file after one frame.
        "-f", "lavfi", "-t", "0.04", "-i", "testsrc2=size=320x240:rate=25",
        "-f", "lavfi", "-t", str(audio_s), "-i", "sine=frequency=440:sample_rate=16000",
        "-map", "0:v", "-map", "1:a",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
        "-movflags", "+faststart", str(out),
    )  # fmt: skip
    return out


def short_video(out: Path, duration_s: float, fps: int = 30) -> Path:
    """A video-only clip of duration_s (testsrc2: every frame differs, so frames can be told apart)."""
    ffmpeg(
        "-f", "lavfi", "-t", str(duration_s), "-i", f"testsrc2=size=320x240:rate={fps}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out),
    )  # fmt: skip
    return out


@contextmanager
def serve_recording(root: Path, redirects: dict[str, str] | None = None) -> Iterator[tuple[str, list[str]]]:
    """serve_directory that records each request path it receives; a path in redirects answers 302 to its URL.

    Yields (base URL, the list of received paths, in order).
    """
    received: list[str] = []
    moved = dict(redirects or {})

    class Handler(_QuietHandler):
        def send_head(self):  # noqa: ANN202 - stdlib signature; serves GET and HEAD alike
            received.append(self.path)
            if self.path in moved:
                self.send_response(302)
                self.send_header("Location", moved[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            return super().send_head()

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


# Centre x, centre y (fractions of the picture), zoom (1 = the whole picture height in view).
Viewport = tuple[float, float, float]


def footage_video(
    out: Path,
    picture: np.ndarray,
    viewport: Callable[[float], Viewport],
    duration_s: float,
    *,
    fps: int = 25,
    size: tuple[int, int] = (640, 360),
) -> Path:
    """Continuous camera-style footage: a moving viewport (pan, zoom) over one RGB picture, encoded by ffmpeg.

    viewport(t) gives where the camera looks at t seconds; frames are cut from the picture in numpy and
    piped raw into libx264, so the motion is exactly known to the test.
    """
    import cv2
    import numpy as np

    width, height = size
    ph, pw = picture.shape[:2]
    bgr = np.ascontiguousarray(picture[:, :, ::-1])
    cmd = [
        "ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24",
        "-s", f"{width}x{height}", "-r", str(fps), "-i", "pipe:0",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for n in range(round(duration_s * fps)):
        cx, cy, zoom = viewport(n / fps)
        h = ph / zoom
        w = h * width / height
        x0 = min(max(cx * pw - w / 2, 0.0), pw - w)
        y0 = min(max(cy * ph - h / 2, 0.0), ph - h)
        # An affine warp keeps sub-pixel motion smooth (an integer crop would judder at slow speeds).
        scale = width / w
        matrix = np.array([[scale, 0, -x0 * scale], [0, scale, -y0 * scale]], dtype=np.float32)
        frame = cv2.warpAffine(bgr, matrix, (width, height), flags=cv2.INTER_AREA)
        proc.stdin.write(frame.tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError("ffmpeg could not encode the footage")
    return out


def concat_videos(out: Path, *parts: Path) -> Path:
    """The parts one after another (a hard cut at each joint), re-encoded; all parts video-only, same size."""
    inputs = [arg for p in parts for arg in ("-i", str(p))]
    streams = "".join(f"[{i}:v]" for i in range(len(parts)))
    ffmpeg(
        *inputs, "-filter_complex", f"{streams}concat=n={len(parts)}:v=1:a=0[v]", "-map", "[v]",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out),
    )  # fmt: skip
    return out


def still_image_video(out: Path, image: Path, duration_s: float, *, audio: Path | None = None) -> Path:
    """One picture shown for duration_s (1 fps, a static slide), with narration when audio is given."""
    audio_in = ["-i", str(audio)] if audio else []
    ffmpeg(
        "-loop", "1", "-framerate", "1", "-t", str(duration_s), "-i", str(image), *audio_in,
        "-vf", "scale=640:360,format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast",
        "-tune", "stillimage",
        *(["-c:a", "aac", "-map", "0:v", "-map", "1:a"] if audio else []), "-t", str(duration_s), str(out),
    )  # fmt: skip
    return out


def spoken(out: Path, text: str, *, words_per_minute: int = 150) -> Path:
    """text read by espeak-ng into a WAV (pauses at sentence ends are espeak's own)."""
    subprocess.run(["espeak-ng", "-s", str(words_per_minute), "-w", str(out), text], check=True)
    return out


def one_figure_narrated_twice(root: Path) -> tuple[Path, Path]:
    """Two videos of one fundus photograph (scikit-image's retina, full frame), each narrating other findings
    of it: the same figure in two videos whose records differ (alike narration makes alike answers, which
    the verifier refuses as duplicates before export could see them)."""
    import cv2
    from skimage import data

    image = root / "fundus.png"
    cv2.imwrite(str(image), cv2.cvtColor(data.retina(), cv2.COLOR_RGB2BGR))
    said = {
        "first": (
            "This fundus photograph shows a pale optic disc with a large cup, which is typical of glaucoma."
        ),
        "second": "This fundus photograph shows flame haemorrhages near the optic disc.",
    }
    first, second = (
        still_image_video(root / f"{name}.mp4", image, 7.0, audio=spoken(root / f"{name}.wav", text))
        for name, text in said.items()
    )
    return first, second
