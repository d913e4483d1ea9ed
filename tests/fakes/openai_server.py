"""A local HTTP server speaking the OpenAI chat-completions protocol, answering from a scripted responder."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# str: the assistant message content. dict: {"status": int, "headers": {...}, "body": {...}} for an error
# or a verbatim body, or {"content": str | None, "finish_reason": str, "model": str, "usage": {...}} to shape
# a normal completion (model: what the server says it served; usage: prompt/completion token counts).
# Any dict may carry "delay_s": the server waits that long before answering (a slow or stuck model).
Responder = Callable[[dict[str, Any]], str | dict[str, Any]]

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lowercased
    json: Any


class FakeOpenAIServer:
    """`with FakeOpenAIServer(responder) as server: OpenAI(base_url=server.base_url, api_key="k")`."""

    def __init__(self, responder: Responder, models: tuple[str, ...] = ("fake-model",)) -> None:
        self.responder = responder
        self.models = models  # what GET /v1/models lists
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0  # chat completions being answered now...
        self.max_in_flight = 0  # ...and the most ever answered at once
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server is not running; use it as a context manager")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        # A short poll interval keeps shutdown (which waits for the next poll) from costing 0.5 s per test.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def completion(
        self,
        request: dict[str, Any],
        content: str | None,
        finish_reason: str = "stop",
        model: str | None = None,
        usage: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        usage = usage or {}
        prompt_tokens = usage.get(
            "prompt_tokens", sum(len(str(m.get("content", "")).split()) for m in request.get("messages", []))
        )
        completion_tokens = usage.get("completion_tokens", len((content or "").split()))
        return {
            "id": f"chatcmpl-fake{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model or request.get("model", "fake-model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            "system_fingerprint": None,
        }


def _error_body(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _lower(items: Any) -> dict[str, str]:
    # Header names are case-insensitive and clients differ (httpx sends lowercase): record one spelling.
    return {str(k).lower(): str(v) for k, v in items}


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like the real API; the client pools connections

        def do_POST(self) -> None:  # http.server dispatches on this exact name
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body: Any = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = None
            server.record(RecordedRequest("POST", self.path, _lower(self.headers.items()), body))
            if self.path.split("?")[0] != CHAT_PATH:
                self._send(404, _error_body(f"Invalid URL (POST {self.path})", "invalid_request_error"))
                return
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or not auth[len("Bearer ") :].strip():
                self._send(401, _error_body("You didn't provide an API key.", "invalid_request_error"))
                return
            if not isinstance(body, dict):
                self._send(400, _error_body("We could not parse the JSON body.", "invalid_request_error"))
                return
            self._respond(body)

        def do_GET(self) -> None:
            server.record(RecordedRequest("GET", self.path, _lower(self.headers.items()), None))
            if self.path.split("?")[0] == MODELS_PATH:
                models = [{"id": m, "object": "model", "owned_by": "fake"} for m in server.models]
                self._send(200, {"object": "list", "data": models})
                return
            self._send(404, _error_body(f"Invalid URL (GET {self.path})", "invalid_request_error"))

        def _respond(self, request: dict[str, Any]) -> None:
            server.enter()
            try:
                answer = server.responder(request)
                if isinstance(answer, dict) and answer.get("delay_s"):
                    time.sleep(float(answer["delay_s"]))
            finally:
                server.leave()
            if isinstance(answer, str):
                self._send(200, server.completion(request, answer))
                return
            status = int(answer.get("status", 200))
            headers = {str(k): str(v) for k, v in answer.get("headers", {}).items()}
            if "body" in answer:
                self._send(status, answer["body"], headers)
            elif status >= 400:
                self._send(status, _error_body(f"scripted HTTP {status}", "server_error"), headers)
            else:
                completion = server.completion(
                    request,
                    answer.get("content"),
                    answer.get("finish_reason", "stop"),
                    answer.get("model"),
                    answer.get("usage"),
                )
                self._send(status, completion, headers)

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (its timeout): a real server's write fails the same way

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep pytest output clean

    return Handler
