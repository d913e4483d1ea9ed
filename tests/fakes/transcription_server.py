"""A local server of OpenAI's transcription protocol (POST /v1/audio/transcriptions, multipart), backed by
the real faster-whisper model, with scripted failures (429, 5xx, garbage) served first when asked."""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import json
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ophin.adapters.asr_http import _LANGUAGE_CODES

PATH = "/v1/audio/transcriptions"
_NAMES = {code: name for name, code in _LANGUAGE_CODES.items()}  # OpenAI answers "english", not "en"


@dataclass
class Upload:
    fields: dict[str, list[str]]
    filename: str | None
    audio: bytes


@dataclass
class Scripted:
    """One answer served before real ones: a status, headers, and a body (bytes verbatim, else JSON)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # answer this late (a client timeout)


def parse_multipart(content_type: str, body: bytes) -> Upload:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    fields: dict[str, list[str]] = {}
    filename, audio = None, b""
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if name == "file":
            filename, audio = part.get_filename(), payload
        elif name:
            fields.setdefault(name, []).append(payload.decode())
    return Upload(fields, filename, audio)


class FakeTranscriptionServer:
    """`with FakeTranscriptionServer(model) as server:` then base_url=server.base_url.

    model is a faster_whisper.WhisperModel: each real request is decoded as the request says (language,
    prompt, word timestamps), the way an OpenAI-compatible server (speaches, vLLM) runs Whisper.
    """

    def __init__(self, model: Any, script: list[Scripted] | None = None, beam_size: int = 1) -> None:
        self.model = model
        self.script = list(script or [])
        self.beam_size = beam_size  # greedy, like OpenAI's service; keeps tests quick
        self.uploads: list[Upload] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "use the server as a context manager"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeTranscriptionServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def answer(self, upload: Upload) -> Scripted:
        with self._lock:
            self.uploads.append(upload)
            if self.script:
                return self.script.pop(0)
        one = {k: v[0] for k, v in upload.fields.items()}
        if "model" not in one or not upload.audio:
            return Scripted(
                400, {"error": {"message": "model and file are required", "type": "invalid_request_error"}}
            )
        granularities = upload.fields.get("timestamp_granularities[]", ["segment"])
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / (upload.filename or "audio.wav")
            path.write_bytes(upload.audio)
            with self._lock:  # one decode at a time, like a single-worker server
                segments, info = self.model.transcribe(
                    str(path),
                    language=one.get("language"),
                    initial_prompt=one.get("prompt"),
                    word_timestamps="word" in granularities,
                    beam_size=self.beam_size,
                    condition_on_previous_text=False,
                )
                segments = list(segments)
        if one.get("response_format", "json") != "verbose_json":
            return Scripted(200, {"text": "".join(s.text for s in segments).strip()})
        body = {
            "task": "transcribe",
            "language": _NAMES.get(info.language, info.language),
            "duration": float(info.duration),
            "text": "".join(s.text for s in segments).strip(),
            "segments": [
                {
                    "id": s.id,
                    "seek": s.seek,
                    "start": float(s.start),
                    "end": float(s.end),
                    "text": s.text,
                    "tokens": list(s.tokens),
                    "temperature": float(s.temperature),
                    "avg_logprob": float(s.avg_logprob),
                    "compression_ratio": float(s.compression_ratio),
                    "no_speech_prob": float(s.no_speech_prob),
                }  # fmt: skip
                for s in segments
            ],
        }
        if "word" in granularities:
            body["words"] = [
                {"word": w.word, "start": float(w.start), "end": float(w.end)}
                for s in segments
                for w in s.words or ()
            ]
        return Scripted(200, body)


def _handler_for(server: FakeTranscriptionServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            pass

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path != PATH:
                reply = Scripted(404, {"error": {"message": f"no route {self.path}"}})
            else:
                reply = server.answer(parse_multipart(self.headers.get("Content-Type", ""), body))
            time.sleep(reply.delay_s)
            data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client timed out
                self.wfile.write(data)

    return Handler
