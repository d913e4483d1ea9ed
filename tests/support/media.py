"""Small local stand-ins for the web: a static HTTP server on 127.0.0.1 and ffmpeg-made test media."""

from __future__ import annotations

import functools
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


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
